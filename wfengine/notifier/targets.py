"""Checks of what a client gives as a delivery target.

Shared by ``/v2/listeners`` and the ``notify`` parameter of ``POST
/v2/executions``, so that both refuse the same things with the same
words: URL form and address, method, headers.
"""
import re

from wfengine import exceptions
from wfengine.notifier import addresses
from wfengine.notifier import subscriptions

METHODS = ("POST", "PUT")
# Headers the notifier sets itself; a target may not override them.
RESERVED_HEADERS = frozenset({
    "webhook-id", "webhook-timestamp", "webhook-signature", "host",
    "content-length", "content-type", "transfer-encoding", "connection"})
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$")
MAX_HEADER_VALUE = 4096
NOTIFY_FIELDS = ("type", "url", "headers", "event_types", "method")


def check_method(value):
    """``method`` upper-cased; :raises InputError: not POST or PUT."""
    method = value.upper() if isinstance(value, str) else value
    if method not in METHODS:
        raise exceptions.NotAllowedValue(field="method",
                                         allowed=", ".join(METHODS))
    return method


def check_headers(value, field="headers"):
    """A dict of header names to string values.

    :raises InputError: not an object, a name that is not an HTTP token
        or is reserved, or a value that is not a one-line string.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise exceptions.InvalidField(
            field="Field '%s'" % field, kind=type(value).__name__,
            expected="an object of header names to values")
    for name, text in value.items():
        if not _TOKEN.match(name):
            raise exceptions.InvalidValue(
                field="header name in '%s'" % field,
                expected="an HTTP token of at most 128 characters")
        if name.lower() in RESERVED_HEADERS:
            raise exceptions.InvalidValue(
                field="header %s in '%s'" % (name.lower(), field),
                expected="left out: the notifier sets it (reserved: %s)"
                % ", ".join(sorted(RESERVED_HEADERS)))
        if (not isinstance(text, str) or len(text) > MAX_HEADER_VALUE
                or "\r" in text or "\n" in text):
            raise exceptions.InvalidValue(
                field="header %s in '%s'" % (name, field), expected="a "
                "one-line string of at most %d characters" % MAX_HEADER_VALUE)
    return dict(value)


def check_notify(value, policy, publisher_names):
    """Mistral's ``notify`` parameter, checked.

    :param value: a list of ``{"type", "url", "headers", "event_types"}``.
    :param policy: the :class:`addresses.Policy` for webhook URLs.
    :param publisher_names: the publisher types allowed.
    :raises InputError: naming the entry, the field and what is allowed.
    """
    if not isinstance(value, list):
        raise exceptions.InvalidField(
            field="Parameter 'notify'", kind=type(value).__name__,
            expected="a list of objects like "
            "{\"type\": \"webhook\", \"url\": ...}")
    return [_check_entry(i, entry, policy, publisher_names)
            for i, entry in enumerate(value)]


def _check_entry(index, entry, policy, publisher_names):
    where = "notify[%d]" % index
    if not isinstance(entry, dict):
        raise exceptions.InvalidField(field=where, expected="an object",
                                      kind=type(entry).__name__)
    unknown = sorted(set(entry) - set(NOTIFY_FIELDS))
    if unknown:
        raise exceptions.UnknownFields(where=where, fields=", ".join(unknown),
                                       allowed=", ".join(NOTIFY_FIELDS))
    kind = entry.get("type")
    if kind not in publisher_names:
        raise exceptions.NotAllowedValue(
            field="%s.type" % where, allowed=", ".join(sorted(publisher_names)))
    checked = dict(entry)
    if kind == "webhook":
        addresses.check_url_at_create(entry.get("url"), policy,
                                      "%s.url" % where)
        checked["method"] = check_method(entry.get("method", "POST"))
    checked["headers"] = check_headers(entry.get("headers"),
                                       "%s.headers" % where)
    if entry.get("event_types") not in (None, []):
        checked["event_types"] = subscriptions.check_events(
            "%s.event_types" % where, entry["event_types"])
    return checked
