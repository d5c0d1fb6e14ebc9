"""Options for oslo-config-generator (entry point ``oslo.config.opts``)."""
from wfengine.conf import api
from wfengine.conf import database
from wfengine.conf import default
from wfengine.conf import engine
from wfengine.conf import executor


def list_opts():
    return [
        ("DEFAULT", default.OPTS),
        (api.GROUP, api.OPTS),
        (database.GROUP, database.OPTS),
        (engine.GROUP, engine.OPTS),
        (executor.GROUP, executor.OPTS),
    ]
