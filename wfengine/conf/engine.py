from oslo_config import cfg

GROUP = cfg.OptGroup("engine", title="Engine options")

OPTS = [
    cfg.StrOpt("topic", default="wfengine_engine",
               help="RPC topic the engines listen on. Deployments that "
                    "share a broker vhost need their own topics and "
                    "[DEFAULT] control_exchange (or a vhost each)."),
    cfg.StrOpt("host", default=None,
               help="Name of this engine (default: host name and pid). "
                    "Its broker queue is named after the host alone unless "
                    "this is set, so restarts leave no queue behind."),
    cfg.FloatOpt("outbox_sweep_interval", default=2.0, min=0.1,
                 help="Seconds between sweeps that re-send outbox rows "
                      "nobody acknowledged."),
    cfg.FloatOpt("outbox_resend_after", default=10.0, min=0.1,
                 help="Seconds an outbox row may stay unacknowledged "
                      "after it was sent before a sweeper sends it again; "
                      "the pause doubles with each further attempt, up to "
                      "5 minutes."),
    cfg.FloatOpt("executor_heartbeat_timeout", default=30.0, min=1.0,
                 help="Seconds without a heartbeat after which an executor "
                      "counts as dead: its running synchronous actions fail "
                      "(or run again elsewhere when the task says "
                      "safe-rerun: true). Keep it well above "
                      "[executor] heartbeat_interval."),
    cfg.FloatOpt("liveness_check_interval", default=5.0, min=0.1,
                 help="Seconds between checks for actions of dead "
                      "executors."),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)
