"""Options for oslo-config-generator (entry point ``oslo.config.opts``)."""
from wfengine.conf import action_std_http
from wfengine.conf import api
from wfengine.conf import auth
from wfengine.conf import cron_trigger
from wfengine.conf import database
from wfengine.conf import default
from wfengine.conf import event_trigger
from wfengine.conf import engine
from wfengine.conf import execution_expiration_policy as expiration
from wfengine.conf import executor
from wfengine.conf import limits
from wfengine.conf import monitoring
from wfengine.conf import notifier
from wfengine.conf import retention


def list_opts():
    return [
        ("DEFAULT", default.OPTS),
        (action_std_http.GROUP, action_std_http.OPTS),
        (api.GROUP, api.OPTS + auth.API_OPTS + limits.API_OPTS),
        (auth.JWT_GROUP, auth.JWT_OPTS),
        (cron_trigger.GROUP, cron_trigger.OPTS),
        (database.GROUP, database.OPTS),
        (engine.GROUP, engine.OPTS + limits.ENGINE_OPTS),
        (event_trigger.GROUP, event_trigger.OPTS),
        (executor.GROUP, executor.OPTS),
        (expiration.GROUP, expiration.OPTS),
        (limits.EXPRESSIONS_GROUP, limits.EXPRESSIONS_OPTS),
        (monitoring.GROUP, monitoring.OPTS),
        (notifier.GROUP, notifier.OPTS),
        (retention.GROUP, retention.OPTS),
    ]
