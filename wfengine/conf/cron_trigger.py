from oslo_config import cfg

GROUP = cfg.OptGroup("cron_trigger", title="Cron trigger options")

OPTS = [
    cfg.BoolOpt("enabled", default=True,
                help="Whether engines fire cron triggers."),
    cfg.FloatOpt("execution_interval", default=1.0, min=0.05,
                 help="Seconds between two looks for due cron triggers."),
    cfg.IntOpt("batch_size", default=50, min=1,
               help="Most cron triggers one look fires."),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)
