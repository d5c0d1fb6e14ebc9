"""Wire shapes and request bodies of ``/v2/listeners`` (an extension).

A listener is shown without its secret (only the create response carries
it) and with its header values masked (DESIGN.md rule 10). Deliveries are
shown as ``spec/extensions.md`` section 2 lists them.
"""
from wfengine.api import resources
from wfengine import conf
from wfengine.db import models
from wfengine import exceptions
from wfengine import state_names
from wfengine.notifier import addresses
from wfengine.notifier import publishers
from wfengine.notifier import signing
from wfengine.notifier import subscriptions
from wfengine.notifier import targets

MASK = "***"
DEFAULT_EVENTS = ["EXECUTION", "TASK"]
UPDATE_FIELDS = ("url", "events", "headers", "method", "description",
                 "enabled")
_f = resources.Field

LISTENER = resources.ResourceSpec(
    "Listener", "listeners", models.Listener,
    (_f("id", "id"), _f("workflow_name", "workflow_name"),
     _f("events", "events"), _f("url", "url"), _f("method", "method"),
     _f("headers", None, needs=("headers",)),
     _f("description", "description"), _f("enabled", "enabled"),
     _f("project_id", "project_id"),
     _f("created_at", "created_at", resources.DATETIME),
     _f("updated_at", "updated_at", resources.DATETIME)),
    frozenset({"id", "workflow_name", "enabled", "url", "method",
               "project_id", "created_at", "updated_at"}))

DELIVERY_FIELDS = ("id", "event", "workflow_execution_id",
                   "task_execution_id", "state", "attempts",
                   "last_status_code", "last_error", "created_at",
                   "delivered_at", "next_attempt_at")


def listener_dict(row, names=None, with_secret=False):
    """A Listener row as the API shows it (the secret only on request)."""
    masked = {name: MASK for name in (row.headers or {})}
    shown = LISTENER.to_dict(row, names, {"headers": masked})
    if with_secret:
        shown["secret"] = row.secret
    return shown


def delivery_dict(row):
    """A Delivery row as the API shows it."""
    shown = {name: getattr(row, name) for name in DELIVERY_FIELDS}
    if shown["state"] != state_names.DELIVERY_PENDING:  # no attempt comes
        shown["next_attempt_at"] = None
    for name in ("created_at", "delivered_at", "next_attempt_at"):
        shown[name] = resources.format_datetime(shown[name])
    return shown


def address_policy():
    """The deployment's address policy (``[notifier]`` options).

    :raises WFEngineException: ``allowed_networks`` holds a bad CIDR.
    """
    return addresses.Policy.from_conf(conf.CONF.notifier)


def _text(data, name, max_length=255):
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise exceptions.InvalidField(
            field="Field '%s'" % name,
            expected="a string of at most %d characters" % max_length,
            kind=type(value).__name__ if not isinstance(value, str)
            else "%d characters" % len(value))
    return value


def _enabled(value):
    if not isinstance(value, bool):
        raise exceptions.InvalidField(
            field="Field 'enabled'", expected="true or false",
            kind=type(value).__name__)
    return value


def _url(value):
    addresses.check_url_at_create(value, address_policy())
    return value


_CHECKS = {
    "url": _url,
    "events": lambda v: subscriptions.check_events("events", v),
    "headers": targets.check_headers,
    "method": targets.check_method,
    "enabled": _enabled,
}


def _checked(data, names):
    values = {}
    for name in names:
        if name in data:
            check = _CHECKS.get(name)
            values[name] = (check(data[name]) if check
                            else _text(data, name) or "")
    return values


def parse_create(data):
    """Columns of a new listener from the body of ``POST /v2/listeners``.

    :raises InputError: missing or bad ``url``, unknown
        event name, bad method, headers or secret, or an address the
        deployment does not allow.
    """
    if "url" not in data:
        raise exceptions.MissingField(what="A listener", fields="field 'url'")
    values = _checked(data, UPDATE_FIELDS)
    values.setdefault("events", list(DEFAULT_EVENTS))
    values["workflow_name"] = _text(data, "workflow_name") or None
    secret = data.get("secret")
    if secret is None:
        secret = signing.generate_secret()
    signing.secret_bytes(secret)
    values["secret"] = secret
    return values


def parse_update(data):
    """Columns to change from the body of ``PUT /v2/listeners/<id>``."""
    return _checked(data, UPDATE_FIELDS)


def check_notify(params):
    """Check ``params["notify"]`` of a new execution, if given.

    :returns: ``params`` with the checked notify entries.
    :raises InputError: naming the entry and field at fault.
    """
    if params.get("notify") in (None, []):
        return params
    checked = targets.check_notify(params["notify"], address_policy(),
                                   _publisher_names())
    return dict(params, notify=checked)


def _publisher_names():
    return publishers.available()
