"""oslo.config options, one module per group; ``CONF`` is the global."""
import oslo_messaging as messaging
from oslo_config import cfg
from oslo_messaging import opts as messaging_opts

from wfengine.conf import action_std_http
from wfengine.conf import api
from wfengine.conf import auth
from wfengine.conf import cron_trigger
from wfengine.conf import event_trigger
from wfengine.conf import database
from wfengine.conf import default
from wfengine.conf import engine
from wfengine.conf import execution_expiration_policy as expiration
from wfengine.conf import executor
from wfengine.conf import limits
from wfengine.conf import monitoring
from wfengine.conf import notifier
from wfengine.conf import retention

CONF = cfg.CONF

default.register_opts(CONF)
action_std_http.register_opts(CONF)
api.register_opts(CONF)
auth.register_opts(CONF)
cron_trigger.register_opts(CONF)
event_trigger.register_opts(CONF)
database.register_opts(CONF)
engine.register_opts(CONF)
executor.register_opts(CONF)
expiration.register_opts(CONF)
limits.register_opts(CONF)
monitoring.register_opts(CONF)
notifier.register_opts(CONF)
retention.register_opts(CONF)

# oslo.messaging registers its options lazily; register the [DEFAULT] ones
# now so that an unset transport_url can mean "in-process messaging".
messaging.set_transport_defaults("wfengine")
for _group, _opts in messaging_opts.list_opts():
    if _group is None or _group == "DEFAULT":
        CONF.register_opts(_opts)
    elif _group == "oslo_messaging_notifications":
        # Read before a notification transport is made (event triggers).
        CONF.register_opts(_opts, group=_group)
CONF.set_default("transport_url", None)
