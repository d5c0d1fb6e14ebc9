from oslo_config import cfg

GROUP = cfg.OptGroup("executor", title="Executor options")

OPTS = [
    cfg.StrOpt("topic", default="wfengine_executor",
               help="RPC topic the executors listen on. Deployments that "
                    "share a broker vhost need their own topics and "
                    "[DEFAULT] control_exchange (or a vhost each)."),
    cfg.StrOpt("host", default=None,
               help="Name of this executor in heartbeats and claims "
                    "(default: host name and pid). Its broker queue, the "
                    "one a task's 'target:' reaches, is named after the "
                    "host alone unless this is set, so restarts leave no "
                    "queue behind."),
    cfg.IntOpt("workers", default=16, min=1,
               help="Actions one executor runs at once."),
    cfg.FloatOpt("heartbeat_interval", default=5.0, min=0.1,
                 help="Seconds between two heartbeats this executor writes "
                      "to the database while it lives."),
    cfg.FloatOpt("report_timeout", default=10.0, min=0.5,
                 help="Seconds an executor waits for the engine to take "
                      "a claim or a result before it asks again; also how "
                      "long the broker holds such a call. Engines read it "
                      "too, to know how long a claim a stopping executor "
                      "never ran may still be granted: give engines and "
                      "executors the same value."),
    cfg.IntOpt("report_calls", default=2, min=1,
               help="Result reports one executor has under way at once. "
                    "An engine takes the results of one report in one "
                    "unit of work; with more than one report under way, "
                    "engines take this executor's results in as many "
                    "units at a time instead of one after the other."),
    cfg.FloatOpt("report_retry_max_delay", default=10.0, min=0.1,
                 help="Longest pause between two attempts to report to "
                      "the engine."),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)
