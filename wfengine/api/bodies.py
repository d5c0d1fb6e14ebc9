"""Request bodies of environments and cron triggers, checked.

Each function takes the decoded JSON object and returns model column
values, or raises ``InputError`` naming the field, its value and what is
allowed. ``variables``, ``workflow_input`` and ``workflow_params`` may be
sent as objects or, as python-mistralclient does, as JSON strings.
"""
import datetime

from wfengine.api import resources
from wfengine import exceptions
from wfengine.lang import cron

# Fields a client may echo back from a GET; they are ignored.
READ_ONLY = ("id", "created_at", "updated_at", "project_id")

ENVIRONMENT_FIELDS = ("name", "description", "variables", "scope")
CRON_TRIGGER_FIELDS = ("name", "pattern", "workflow_name", "workflow_id",
                       "workflow_namespace", "workflow_input",
                       "workflow_params", "first_execution_time",
                       "remaining_executions", "scope")
_TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
                 "%Y-%m-%dT%H:%M:%S")


def _check_fields(data, allowed, what):
    unknown = sorted(set(data) - set(allowed) - set(READ_ONLY))
    if unknown:
        raise exceptions.UnknownFields(
            where=what, fields=", ".join(unknown), allowed=", ".join(allowed))


def _name(data, what, max_length):
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise exceptions.InputError(
            "Field 'name' of %s is required: a non-empty string, got %r"
            % (what, name))
    if len(name) > max_length or "/" in name:
        raise exceptions.InputError(
            "Invalid %s name %r: at most %d characters, without '/'"
            % (what, name, max_length))
    return name


def _optional_text(data, name):
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise exceptions.InvalidField(
            field="Field '%s'" % name, expected="a string",
            kind=type(value).__name__)
    return value


def parse_environment(data, create=True):
    """Columns of an environment from the body of POST/PUT.

    On update only the fields present are returned (besides ``name``).
    """
    _check_fields(data, ENVIRONMENT_FIELDS, "environment")
    values = {"name": _name(data, "environment", 200)}
    if create and data.get("variables") in (None, ""):
        raise exceptions.InputError(
            "Field 'variables' of environment %r is required: a JSON "
            "object" % values["name"])
    if create or "variables" in data:
        values["variables"] = resources.json_object_field(
            "variables", data.get("variables"))
    if create or "description" in data:
        values["description"] = _optional_text(data, "description")
    if create or "scope" in data:
        values["scope"] = resources.check_scope(data.get("scope"))
    return values


def parse_cron_trigger(data, now):
    """Columns of a new cron trigger from the body of POST.

    :param now: the current time (naive UTC), for ``next_execution_time``.
    :returns: the columns; ``workflow_name`` or ``workflow_id`` holds what
        the client named, for the caller to look up.
    """
    _check_fields(data, CRON_TRIGGER_FIELDS, "cron trigger")
    name = _name(data, "cron trigger", 200)
    pattern = _optional_text(data, "pattern") or None
    first = _first_time(data.get("first_execution_time"), now)
    count = _count(data.get("remaining_executions"))
    if pattern is None and first is None:
        raise exceptions.InputError(
            "Cron trigger %r needs a 'pattern', a 'first_execution_time' "
            "or both" % name)
    if pattern is None and count not in (None, 1):
        raise exceptions.InputError(
            "Cron trigger %r without a pattern fires once: "
            "remaining_executions must be 1 or empty, got %r" % (name, count))
    if pattern is not None:
        cron.check_pattern(pattern)
    if not (data.get("workflow_id") or data.get("workflow_name")):
        raise exceptions.InputError(
            "Cron trigger %r needs 'workflow_name' or 'workflow_id'" % name)
    return {
        "name": name, "pattern": pattern, "first_execution_time": first,
        "next_execution_time": first or cron.next_time(pattern, now),
        "remaining_executions": count if pattern else 1,
        "workflow_name": _optional_text(data, "workflow_name"),
        "workflow_id": _optional_text(data, "workflow_id"),
        "workflow_namespace": _optional_text(data, "workflow_namespace")
        or "",
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
        raise exceptions.InputError(
            "Invalid first_execution_time %r: expected 'YYYY-MM-DD HH:MM' "
            "(UTC)" % (value,))
    if first <= now:
        raise exceptions.InputError(
            "Invalid first_execution_time %r: it must be in the future "
            "(now is %s UTC)" % (value, resources.format_datetime(now)))
    return first


def _count(value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise exceptions.InputError(
            "Invalid remaining_executions %r: expected a positive integer "
            "or null (no limit)" % (value,))
    return value
