"""Request bodies of executions, environments, cron and event triggers,
checked.

WSME has checked the fields and their types (``wstypes.ExecutionCreate``,
``wstypes.EnvironmentBody``, ``wstypes.CronTriggerCreate``,
``wstypes.EventTriggerCreate``); each function takes the fields sent
(``wstypes.present``) and returns model column values, or raises
``InputError`` naming the field and what is allowed. ``variables``,
``workflow_input`` and ``workflow_params`` may be sent as objects or, as
python-mistralclient does, as JSON strings.
"""
import datetime
import re
import uuid

from wfengine.api import resources
from wfengine.core.lang import cron
from wfengine import exceptions

_EXECUTION_ID = re.compile(resources.EXECUTION_ID_PATTERN)
_TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
                 "%Y-%m-%dT%H:%M:%S")


def _name(data, what, max_length):
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise exceptions.InvalidField(
            field="Field 'name' of %s" % what, expected="a non-empty string",
            kind=type(name).__name__)
    if len(name) > max_length or "/" in name:
        raise exceptions.InvalidValue(
            field="%s name" % what,
            expected="at most %d characters, without '/'" % max_length)
    return name


def parse_environment(data, create=True):
    """Columns of an environment from the body of POST/PUT.

    On update only the fields present are returned (besides ``name``).
    """
    values = {"name": _name(data, "environment", 200)}
    if create and data.get("variables") in (None, ""):
        raise exceptions.MissingField(
            what="Environment %s" % values["name"],
            fields="'variables' (a JSON object)")
    if create or "variables" in data:
        values["variables"] = resources.json_object_field(
            "variables", data.get("variables"))
    if create or "description" in data:
        values["description"] = data.get("description")
    if create or "scope" in data:
        values["scope"] = resources.check_scope(data.get("scope"))
    return values


def parse_cron_trigger(data, now):
    """Columns of a new cron trigger from the body of POST.

    :param now: the current time (naive UTC), for ``next_execution_time``.
    :returns: the columns; ``workflow_name`` or ``workflow_id`` holds what
        the client named, for the caller to look up.
    """
    name = _name(data, "cron trigger", 200)
    pattern = data.get("pattern") or None
    first = _first_time(data.get("first_execution_time"), now)
    count = _count(data.get("remaining_executions"))
    if pattern is None and first is None:
        raise exceptions.MissingField(
            what="Cron trigger %s" % name,
            fields="a 'pattern', a 'first_execution_time' or both")
    if pattern is None and count not in (None, 1):
        raise exceptions.InvalidValue(
            field="remaining_executions of cron trigger %s" % name,
            expected="1 or empty: without a pattern it fires once")
    if pattern is not None:
        cron.check_pattern(pattern)
    if not (data.get("workflow_id") or data.get("workflow_name")):
        raise exceptions.MissingField(what="Cron trigger %s" % name,
                                      fields="'workflow_name' or 'workflow_id'")
    return {
        "name": name, "pattern": pattern, "first_execution_time": first,
        "next_execution_time": first or cron.next_time(pattern, now),
        "remaining_executions": count if pattern else 1,
        "workflow_name": data.get("workflow_name"),
        "workflow_id": data.get("workflow_id"),
        "workflow_namespace": data.get("workflow_namespace") or "",
        "workflow_input": resources.json_object_field(
            "workflow_input", data.get("workflow_input")),
        "workflow_params": resources.json_object_field(
            "workflow_params", data.get("workflow_params")),
        "scope": resources.check_scope(data.get("scope")),
    }


def _first_time(value, now):
    if value in (None, ""):
        return None
    for fmt in _TIME_FORMATS:
        try:
            first = datetime.datetime.strptime(str(value), fmt)
            break
        except ValueError:
            continue
    else:
        raise exceptions.InvalidValue(field="first_execution_time",
                                      expected="'YYYY-MM-DD HH:MM' (UTC)")
    if first <= now:
        raise exceptions.InvalidValue(
            field="first_execution_time", expected="in the future (now is "
            "%s UTC)" % resources.format_datetime(now))
    return first


def _count(value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise exceptions.InvalidValue(
            field="remaining_executions",
            expected="a positive integer or null (no limit)")
    return value


def _text_field(data, name, max_length=255):
    value = data.get(name)
    if value is None:
        return ""
    if len(value) > max_length:
        raise exceptions.TooLong(field="Field '%s'" % name,
                                 length=len(value), limit=max_length)
    return value


def parse_execution_create(data):
    """Check the body of ``POST /v2/executions``.

    :returns: dict with ``wf_identifier``, ``wf_namespace``, ``wf_input``,
        ``description``, ``params`` and ``wf_ex_id`` (the engine client's
        arguments; ``wf_ex_id`` None unless the body has an ``id``).
    :raises InputError: bad JSON in ``input`` or ``params``, an ``id`` that cannot be an execution's, or neither
        ``workflow_id`` nor ``workflow_name``.
    """
    identifier = (_text_field(data, "workflow_id")
                  or _text_field(data, "workflow_name"))
    if not identifier:
        raise exceptions.MissingField(
            what="A workflow execution", fields="'workflow_id' or "
            "'workflow_name' (workflow ID is recommended)")
    return {
        "wf_identifier": identifier,
        "wf_namespace": _text_field(data, "workflow_namespace"),
        "wf_input": resources.json_object_field("input", data.get("input")),
        "description": _text_field(data, "description"),
        "params": resources.json_object_field("params", data.get("params")),
        "wf_ex_id": _execution_id(data.get("id")),
    }


def _execution_id(value):
    """The ``id`` a client gives a new execution (None if it gives none)."""
    if value is None:
        return None
    if not _EXECUTION_ID.fullmatch(value):
        raise exceptions.InvalidField(
            field="Field 'id'", kind="another value", expected="1 to 36 "
            "letters, digits, '-', '_', '.' or '~' (a UUID, say)")
    return value


# Event triggers: what a notification is matched on (Mistral's lengths).
EVENT_KEYS = ("exchange", "topic", "event")
_EVENT_KEY_LENGTH = 80


def parse_event_trigger(data, create=True):
    """Columns of an event trigger from the body of POST (``create``) or
    PUT (only the fields sent; the exchange, topic and event of a trigger
    can not change).

    :raises InputError: a required field missing or empty, a field too
        long, a ``workflow_id`` that is not a UUID, an input or params
        that is not a JSON object, an unknown scope.
    """
    if create:
        missing = [f for f in ("workflow_id",) + EVENT_KEYS
                   if not data.get(f)]
        if missing:
            raise exceptions.MissingField(what="An event trigger",
                                          fields=", ".join(missing))
    elif any(data.get(f) for f in EVENT_KEYS):
        raise exceptions.NotAllowedValue(
            field="field of an event trigger update",
            allowed="name, workflow_id, workflow_input, workflow_params, "
                    "scope (delete the trigger and create another for "
                    "another exchange, topic or event)")
    values = {}
    for field in (("name",) + EVENT_KEYS if create else ("name",)):
        if create or field in data:
            values[field] = _bounded(data, field, 200 if field == "name"
                                     else _EVENT_KEY_LENGTH)
    if create or data.get("workflow_id"):
        values["workflow_id"] = _uuid(data, "workflow_id")
    for field in ("workflow_input", "workflow_params"):
        if create or field in data:
            values[field] = resources.json_object_field(field,
                                                        data.get(field))
    if create or "scope" in data:
        values["scope"] = resources.check_scope(data.get("scope"))
    return values


def _bounded(data, field, limit):
    text = data.get(field) or ""
    if len(text) > limit:
        raise exceptions.TooLong(field="Field '%s'" % field,
                                 length=len(text), limit=limit)
    return text


def _uuid(data, field):
    try:
        return str(uuid.UUID(data[field]))
    except ValueError as e:
        raise exceptions.InvalidValue(
            field="'%s'" % field, expected="the id of a workflow (a UUID)"
        ) from e
