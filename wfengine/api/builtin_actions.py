"""The built-in actions as rows of the Action resource.

Found through the ``wfengine.actions`` entry points; the ``input`` shown
is the signature of the class's ``__init__``, written as Mistral writes
it (``output, delay=0``: defaults as JSON).
"""
import inspect
import json
import logging
import uuid

from wfengine.actions import loader

LOG = logging.getLogger(__name__)

_ID_NAMESPACE = uuid.UUID("6f0f6d1e-1c55-4d55-9a57-3d2b1f8f3a10")


def action_id(name):
    """A stable id for built-in action ``name`` (the same everywhere)."""
    return str(uuid.uuid5(_ID_NAMESPACE, name))


def input_signature(cls):
    """``__init__``'s parameters as ``a, b=1, *args, **kwargs``."""
    if cls.__init__ is object.__init__:
        return ""
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return ", ".join(_param_text(p) for p in params)


def _param_text(param):
    if param.kind is inspect.Parameter.VAR_POSITIONAL:
        return "*" + param.name
    if param.kind is inspect.Parameter.VAR_KEYWORD:
        return "**" + param.name
    if param.default is inspect.Parameter.empty:
        return param.name
    try:
        return "%s=%s" % (param.name, json.dumps(param.default))
    except (TypeError, ValueError):
        return "%s=%r" % (param.name, param.default)


def description(cls):
    """The first line of the class docstring, or ``""``."""
    doc = inspect.getdoc(cls) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def values():
    """ActionDefinition columns of every installed built-in action."""
    found = []
    for name in loader.names():
        try:
            cls = loader.get_action_class(name)
        except Exception:  # a broken plugin must not hide the others
            LOG.exception("Built-in action %s cannot be loaded; it is left "
                          "out of /v2/actions", name)
            continue
        found.append({"id": action_id(name), "name": name, "namespace": "",
                      "input": input_signature(cls),
                      "description": description(cls), "tags": [],
                      "scope": "public", "is_system": True})
    return found
