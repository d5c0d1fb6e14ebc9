from oslo_config import cfg

GROUP = cfg.OptGroup("event_trigger", title="Event trigger options")

OPTS = [
    cfg.BoolOpt("enabled", default=True,
                help="Whether engines listen for the notifications of the "
                     "stored event triggers (on the notification transport: "
                     "[oslo_messaging_notifications] transport_url, else "
                     "[DEFAULT] transport_url; an embedded server without "
                     "a transport_url does not listen)."),
    cfg.FloatOpt("refresh_interval", default=5.0, min=0.05,
                 help="Seconds between two reads of the stored event "
                      "triggers: a trigger created or deleted through the "
                      "API is listened for, or not, at most this much "
                      "later."),
    cfg.StrOpt("listener_pool", default="wfengine-event-triggers",
               help="The prefix of the notification listener pools every "
                    "engine joins, one per exchange and topic "
                    "(<prefix>.<exchange>.<topic>, also the name of its "
                    "RabbitMQ queue): of the engines, one takes each "
                    "notification, and other consumers of the topic still "
                    "get every notification."),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)
