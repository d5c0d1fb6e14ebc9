"""``[DEFAULT]`` options of wfengine itself (logging: ``conf.log``)."""
from oslo_config import cfg

from wfengine.conf import log

STOP_OPTS = [
    cfg.FloatOpt("graceful_stop_timeout", default=60.0, min=0.0,
                 help="Seconds a stopping service (SIGTERM or SIGINT) "
                      "gives the work it has in flight: an executor stops "
                      "claiming actions but keeps its heartbeat and keeps "
                      "reporting results while the actions it runs finish; "
                      "those still running after this long are handed back "
                      "to the engine (run again elsewhere with safe-rerun, "
                      "else failed saying the executor was stopped), and "
                      "results no engine took are kept in the database's "
                      "result inbox, which the engines drain."),
]

OPTS = log.list_opts() + STOP_OPTS


def register_opts(conf):
    log.register_opts(conf)
    conf.register_opts(STOP_OPTS)
