"""The console as one application: importing this module registers every
route, and :func:`mount` puts the console in front of the API."""
from wfengine.console import actions  # noqa: F401
from wfengine.console import definitions  # noqa: F401
from wfengine.console import execution  # noqa: F401
from wfengine.console import executions  # noqa: F401
from wfengine.console import listeners  # noqa: F401
from wfengine.console import signin  # noqa: F401
from wfengine.console import web


def mount(api_app, max_body, token_mode=False):
    """The API application with the console in front of it, at
    ``/console``; forms larger than ``max_body`` bytes are refused (413).
    In ``token_mode`` (the API wants a token) console pages need one:
    the browser signs in on ``/console/login`` (``console/signin.py``).

    ``api_app`` must be the whole API as clients reach it (every
    middleware included), since the console calls it with the browser's
    credentials instead of reaching past it.
    """
    return web.Console(api_app, max_body, token_mode)
