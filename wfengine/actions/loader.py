"""Finds action classes by name (``wfengine.actions`` entry points)."""
import functools
from importlib import metadata
import logging

from wfengine import exceptions

LOG = logging.getLogger(__name__)

GROUP = "wfengine.actions"


@functools.lru_cache(maxsize=1)
def _entry_points():
    return {ep.name: ep for ep in metadata.entry_points(group=GROUP)}


def names():
    """Names of every installed action."""
    return sorted(_entry_points())


def is_installed(name):
    """True if an action of that name is installed (no import needed)."""
    return name in _entry_points()


@functools.lru_cache(maxsize=None)
def get_action_class(name):
    """The class registered as ``name``.

    :raises ActionError: no action of that name is installed.
    """
    entry_point = _entry_points().get(name)
    if entry_point is None:
        raise exceptions.ActionNotFound(name=name, where="")
    return entry_point.load()


def preload(import_classes=False):
    """Read the entry points now (and, with ``import_classes``, import
    every action class), so that the first workflows a service runs do
    not wait for it. An action that fails to import is logged here and
    fails when it is run."""
    installed = names()
    for name in installed if import_classes else ():
        try:
            get_action_class(name)
        except Exception:
            LOG.warning("Action %s can not be imported", name, exc_info=True)
