from oslo_config import cfg

GROUP = cfg.OptGroup("notifier", title="Notifier options (event delivery)")

OPTS = [
    cfg.StrOpt("host", default=None,
               help="Name of this notifier (default: host name and pid); "
                    "recorded on the deliveries it holds."),
    cfg.FloatOpt("poll_interval", default=0.3, min=0.01,
                 help="Seconds between two looks for new events and due "
                      "deliveries when there is nothing to do."),
    cfg.IntOpt("batch_size", default=100, min=1,
               help="Events fanned out, or deliveries claimed, per round."),
    cfg.IntOpt("workers", default=8, min=1,
               help="Deliveries one notifier attempts at the same time."),
    cfg.FloatOpt("http_timeout", default=10.0, min=0.1,
                 help="Seconds to connect to a webhook receiver and, "
                      "separately, to wait for its answer."),
    cfg.FloatOpt("claim_timeout", default=60.0, min=1.0,
                 help="Seconds a notifier holds a delivery it attempts; "
                      "after that another notifier may attempt it again. "
                      "Must be longer than twice http_timeout."),
    cfg.IntOpt("max_attempts", default=10, min=1,
               help="Attempts of one delivery before it is FAILED."),
    cfg.IntOpt("max_age", default=86400, min=1,
               help="Seconds after which a delivery that still did not "
                    "succeed is FAILED."),
    cfg.FloatOpt("backoff_base", default=1.0, min=0.01,
                 help="Seconds before the first retry; each further retry "
                      "waits twice as long (with jitter)."),
    cfg.FloatOpt("backoff_max", default=300.0, min=0.01,
                 help="Longest wait between two attempts, in seconds."),
    cfg.ListOpt("allowed_networks", default=[],
                help="Networks (CIDR, e.g. 127.0.0.1/32, 10.0.0.0/8) that "
                     "webhooks may reach although they are loopback, "
                     "private, link-local or otherwise not global."),
    cfg.BoolOpt("allow_private_networks", default=False,
                help="Allow webhooks to reach any non-global address "
                     "(loopback, private, link-local). Only for closed "
                     "test deployments."),
    cfg.ListOpt("publishers", default=["webhook", "messaging", "noop"],
                help="Publishers (entry points of group "
                     "wfengine.notification.publishers) this deployment "
                     "enables."),
    cfg.ListOpt("broadcast_publishers", default=[],
                help="Publishers that receive every event of every "
                     "execution, e.g. messaging, to emit all events as "
                     "oslo.messaging notifications on the bus."),
    cfg.ListOpt("notification_topics", default=["wfengine_notifications"],
                help="Topics the messaging publisher sends notifications "
                     "to."),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)
