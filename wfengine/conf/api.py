from oslo_config import cfg

GROUP = cfg.OptGroup("api", title="REST API options")

OPTS = [
    cfg.HostAddressOpt("host", default="127.0.0.1",
                       help="Address the API server binds to."),
    cfg.PortOpt("port", default=8989, help="Port the API server binds to."),
    cfg.IntOpt("api_workers", default=16, min=1,
               help="Threads serving API requests."),
    cfg.StrOpt("public_url",
               help="Public base URL of the API (callbacks, links); "
                    "default http://<host>:<port>."),
    cfg.BoolOpt("allow_action_execution_deletion", default=False,
                help="Allow DELETE /v2/action_executions/<id> (of finished "
                     "action executions), as Mistral's option of the same "
                     "name."),
    cfg.FloatOpt("start_resend_after", default=10.0, min=0.1,
                 help="Seconds the API waits for an engine to answer a "
                      "start (POST /v2/executions) before it sends the "
                      "start again, under the same execution id so that "
                      "it runs once: a start lost on the way (no engine "
                      "listening yet, a broker restart) is not lost. The "
                      "whole wait stays within [DEFAULT] "
                      "rpc_response_timeout; with a message broker, within "
                      "engine_answer_timeout, and at most half of it "
                      "apart."),
    cfg.FloatOpt("engine_answer_timeout", default=2.0, min=0.1,
                 help="With a message broker (transport_url set): seconds "
                      "the API waits for an engine to answer a start (POST "
                      "/v2/executions) or the completion of an "
                      "asynchronous action (PUT /v2/action_executions/<id>) "
                      "before it decides on its own. A start is then "
                      "refused with 503 and Retry-After, and never runs "
                      "later, unless an engine started it meanwhile (then "
                      "201, as usual); a completion is kept in the "
                      "database, which the engines drain, and answered "
                      "200. The embedded server (no transport_url) has its "
                      "engine in its own process and always waits for "
                      "it."),
    cfg.IntOpt("max_engine_calls", default=0, min=0,
               help="Most requests that wait for an engine's answer "
                    "(starts, updates, completions, deletions) at once; 0 "
                    "means half of api_workers. The others wait "
                    "engine_call_wait seconds for a turn and are then "
                    "refused with 503 and Retry-After, so that reads always "
                    "find a thread even when no engine answers."),
    cfg.FloatOpt("engine_call_wait", default=1.0, min=0.0,
                 help="Seconds a request waits for a turn to call the "
                      "engine (see max_engine_calls) before it is refused "
                      "with 503."),
    cfg.BoolOpt("server_timing", default=False,
                help="Add a Server-Timing header (app;dur=<ms>) to every "
                     "response: the server's own time for the request, "
                     "from the moment it reaches the application until "
                     "the response starts. For benchmarks and for tracing "
                     "slow requests from the client side; it tells a "
                     "client how long the server worked."),
    cfg.IntOpt("max_request_body_size", default=1024 * 1024, min=1024,
               help="Largest request body accepted, in bytes."),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)
