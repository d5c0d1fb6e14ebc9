from oslo_config import cfg

OPTS = [
    cfg.BoolOpt("debug", default=False, help="Log at DEBUG level."),
]


def register_opts(conf):
    conf.register_opts(OPTS)
