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

MESSAGING_OPTS = [
    cfg.FloatOpt("messaging_ack_wait", default=0.02, min=0.001, max=1.0,
                 help="Seconds oslo.messaging's RabbitMQ consumer threads "
                      "wait at least before looking again for the "
                      "acknowledgements other threads left them to send. "
                      "A message that arrives ends the wait at once; only "
                      "acknowledgements wait, at most this long. After "
                      "each message a consumer wakes at this interval, "
                      "then twice, four times as long...: the driver's "
                      "own 0.001 cost each process a dozen wake-ups per "
                      "message, about a quarter of an executor's CPU "
                      "(doc/source/performance.rst)."),
]

OPTS = log.list_opts() + STOP_OPTS + MESSAGING_OPTS


def register_opts(conf):
    log.register_opts(conf)
    conf.register_opts(STOP_OPTS)
    conf.register_opts(MESSAGING_OPTS)
