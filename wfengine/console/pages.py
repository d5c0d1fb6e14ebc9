"""Importing this module registers every console route."""
from wfengine.console import actions  # noqa: F401
from wfengine.console import definitions  # noqa: F401
from wfengine.console import execution  # noqa: F401
from wfengine.console import executions  # noqa: F401
from wfengine.console import listeners  # noqa: F401
from wfengine.console import signin  # noqa: F401
