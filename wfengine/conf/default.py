from oslo_config import cfg

OPTS = [
    cfg.BoolOpt("debug", default=False, help="Log at DEBUG level."),
    cfg.FloatOpt("graceful_stop_timeout", default=60.0, min=0.0,
                 help="Seconds a stopping service (SIGTERM or SIGINT) "
                      "gives the work it has in flight: an executor stops "
                      "claiming actions but keeps its heartbeat and keeps "
                      "reporting results while the actions it runs finish; "
                      "those still running after this long are handed back "
                      "to the engine (run again elsewhere with safe-rerun, "
                      "else failed saying the executor was stopped)."),
]


def register_opts(conf):
    conf.register_opts(OPTS)
