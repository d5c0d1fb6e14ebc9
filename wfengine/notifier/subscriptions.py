"""Event names and categories, and which targets an event goes to.

The names are Mistral's. A listener subscribes to categories
(``EXECUTION``: every ``WORKFLOW_*`` event, ``TASK``: every ``TASK_*``
event) or to single names; a Mistral ``notify`` entry lists names in
``event_types`` (none means all).
"""
from wfengine import exceptions

WORKFLOW_EVENTS = (
    "WORKFLOW_LAUNCHED", "WORKFLOW_SUCCEEDED", "WORKFLOW_FAILED",
    "WORKFLOW_CANCELLED", "WORKFLOW_PAUSED", "WORKFLOW_RESUMED",
    "WORKFLOW_RERUN",
)
TASK_EVENTS = (
    "TASK_LAUNCHED", "TASK_SUCCEEDED", "TASK_FAILED", "TASK_CANCELLED",
    "TASK_PAUSED", "TASK_RESUMED", "TASK_RERUN", "TASK_SKIPPED",
)
EVENTS = WORKFLOW_EVENTS + TASK_EVENTS
CATEGORIES = {"EXECUTION": WORKFLOW_EVENTS, "TASK": TASK_EVENTS}


def check_events(field, values, categories=True):
    """``values`` as a list of known categories and event names.

    :param field: the field's name, for the error message.
    :param categories: whether ``EXECUTION``/``TASK`` are allowed.
    :raises InputError: not a non-empty list of strings, or an unknown
        name (the message lists the allowed ones).
    """
    allowed = (tuple(CATEGORIES) if categories else ()) + EVENTS
    if not isinstance(values, list) or not values:
        raise exceptions.InvalidField(
            field="Field '%s'" % field, kind=type(values).__name__ if values
            else "an empty value", expected="a non-empty list of event "
            "names (allowed: %s)" % ", ".join(allowed))
    unknown = [v for v in values if not isinstance(v, str)
               or v not in allowed]
    if unknown:
        raise exceptions.NotAllowedValue(
            field="event name(s) in '%s'" % field, allowed=", ".join(allowed))
    return list(dict.fromkeys(values))


def expand(values):
    """The event names that categories and names ``values`` stand for."""
    names = set()
    for value in values or ():
        names.update(CATEGORIES.get(value, (value,)))
    return names


def listener_wants(listener, event_name, workflow_name):
    """Whether ``listener`` (a Listener row) subscribes to this event."""
    if not listener.enabled:
        return False
    if listener.workflow_name and listener.workflow_name != workflow_name:
        return False
    return event_name in expand(listener.events)


def notify_wants(entry, event_name):
    """Whether a Mistral ``notify`` entry takes the event.

    No ``event_types`` (or an empty list) means every event, as in
    Mistral.
    """
    wanted = entry.get("event_types")
    return not wanted or event_name in expand(wanted)


def notify_entries(params):
    """``(index, entry)`` of the ``notify`` entries in execution params."""
    entries = params.get("notify") if isinstance(params, dict) else None
    if not isinstance(entries, list):
        return []
    return [(i, e) for i, e in enumerate(entries) if isinstance(e, dict)]
