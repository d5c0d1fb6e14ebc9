"""Finds action classes by name (``wfengine.actions`` entry points)."""
import functools
from importlib import metadata
import inspect
import logging

from wfengine.core.lang import actions as lang_actions
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


@functools.lru_cache(maxsize=None)
def parameters(name):
    """``(required, allowed)`` input names of action ``name``; allowed is
    None when its ``__init__`` takes ``**kwargs``."""
    cls = get_action_class(name)
    if cls.__init__ is object.__init__:
        return (), ()
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return (), None
    named = [p for p in params if p.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY)]
    required = tuple(p.name for p in named
                     if p.default is inspect.Parameter.empty)
    return required, tuple(p.name for p in named)


def check_input(name, action_input):
    """Refuse an input that the built-in action ``name`` can not take, as
    Mistral checks it before it creates the action execution.

    :raises InvalidInputNames: naming the missing and unexpected inputs
        (the names, never the values).
    :raises ActionError: no action of that name is installed.
    """
    lang_actions.check_input_names(name, parameters(name), action_input)


# The module an executor imports at its start: the actions nearly every
# workflow runs. The others (std.http and std.mistral_http with requests
# and urllib3, std.email with smtplib, any plug-in's) are imported when
# first run or checked, by whichever process needs them: about 4 MiB that
# a process whose workflows never call them does not carry.
EAGER_MODULE = "wfengine.actions.std"


def preload(import_classes=False):
    """Read the entry points now (and, with ``import_classes``, import
    the classes of :data:`EAGER_MODULE`), so that the first workflows a
    service runs do not wait for it. An action that fails to import is
    logged here and fails when it is run."""
    points = _entry_points()
    for name in sorted(points) if import_classes else ():
        if points[name].module != EAGER_MODULE:
            continue
        try:
            get_action_class(name)
        except Exception:
            LOG.warning("Action %s can not be imported", name, exc_info=True)
