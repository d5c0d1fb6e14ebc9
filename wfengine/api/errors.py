"""Every error the API answers, in Mistral's shape.

Mistral answers errors through WSME: the HTTP status of the error and a
JSON body ``{"faultcode": "Client"|"Server", "faultstring": "<message>",
"debuginfo": null}``; python-mistralclient shows ``faultstring``. Here the
status is the ``http_code`` of the wfengine exception, pecan's own HTTP
errors (unknown route 404, wrong method 405) keep their status, and any
other exception is a 500. An outage is not a server error: a transient
database error (refused or lost connection, deadlock, pool exhausted),
the broker unreachable or no engine answering is a 503 with a
``Retry-After`` header, whose message says what to retry. 4xx are logged
at DEBUG, 503 at WARNING without a traceback, other 5xx at ERROR with it.
"""
import json
import logging
import re

import oslo_messaging
from pecan import hooks
from sqlalchemy import exc as sa_exc
import webob
from webob import exc as webob_exc

from wfengine.db import session as db_session
from wfengine import exceptions

LOG = logging.getLogger(__name__)

UNAVAILABLE = 503
# Seconds a client is asked to wait before retrying after a 503.
RETRY_AFTER = 5
DATABASE_UNAVAILABLE = ("The database is unavailable (%s); retry the "
                        "request later")
BROKER_UNAVAILABLE = ("The message broker is unavailable (%s); retry the "
                      "request later")
# Errors of the engine's database that reach the API as a RemoteError.
_REMOTE_DATABASE_ERRORS = {"OperationalError", "InterfaceError",
                           "DisconnectionError", "TimeoutError"}


# Creating or updating a definition from its text (POST/PUT on these
# collections, not their /validate): Mistral answers a refusal with
# ``{"faultstring": ...}`` alone.
_DEFINITION_PATH = re.compile(
    r"^/v2/(workflows|workbooks|actions)(/[^/]+)?/?$")


def fault_body(code, message, short=False):
    """Mistral's error body for HTTP status ``code`` (``short``: the
    faultstring alone, as Mistral's definition uploads answer)."""
    if short:
        return {"faultstring": message}
    return {"faultcode": "Client" if code < 500 else "Server",
            "faultstring": message,
            "debuginfo": None}


def is_definition_upload(request):
    """Whether ``request`` creates or updates a definition from text."""
    return (request is not None and request.method in ("POST", "PUT")
            and not request.path.endswith("/validate")
            and bool(_DEFINITION_PATH.match(request.path)))


def fault_response(code, message, short=False):
    """A complete error response (JSON, UTF-8); a 503 says when to retry
    (``Retry-After``)."""
    response = webob.Response(
        status=code, content_type="application/json", charset="UTF-8",
        body=json.dumps(fault_body(code, message, short)).encode("utf-8"))
    if code == UNAVAILABLE:
        response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def classify(error, request=None):
    """``(status, message)`` for any exception the API may see."""
    error = _unwrap(error)
    if isinstance(error, oslo_messaging.RemoteError):
        known = getattr(exceptions, error.exc_type or "", None)
        if isinstance(known, type) and issubclass(
                known, exceptions.WFEngineException):
            return known.http_code, error.value or known.message
        if error.exc_type in _REMOTE_DATABASE_ERRORS:
            return UNAVAILABLE, DATABASE_UNAVAILABLE % "at the engine"
    if isinstance(error, oslo_messaging.MessagingTimeout):
        return (exceptions.EngineUnavailable.http_code,
                exceptions.EngineUnavailable.message)
    if isinstance(error, exceptions.WFEngineException):
        return error.http_code, str(error)
    if isinstance(error, webob_exc.HTTPException):
        return error.code, _http_message(error, request)
    outage = _outage(error)
    if outage is not None:
        return UNAVAILABLE, outage
    # The text of an unexpected error may quote data (SQL parameters,
    # inputs); it goes to the log with the trace, never to the client.
    return 500, ("Internal server error (%s); the server log has the "
                 "details" % type(error).__name__)


def _outage(error):
    """The 503 message for an error that says a service is unreachable
    for now, else None."""
    if isinstance(error, sa_exc.TimeoutError):
        return DATABASE_UNAVAILABLE % "no free connection"
    if isinstance(error, sa_exc.DBAPIError) and \
            db_session.is_transient(error):
        return DATABASE_UNAVAILABLE % type(error).__name__
    if isinstance(error, oslo_messaging.MessagingException) and \
            not isinstance(error, oslo_messaging.RemoteError):
        return BROKER_UNAVAILABLE % type(error).__name__
    return None


def _unwrap(error):
    """The exception an RPC endpoint marked as expected, else ``error``."""
    if isinstance(error, oslo_messaging.ExpectedException):
        inner = (getattr(error, "exc_info", None) or (None, None))[1]
        if inner is not None:
            return inner
    return error


def _http_message(error, request):
    where = ""
    if request is not None:
        where = ": %s %s" % (request.method, request.path)
    if error.code == 404:
        return "Resource not found%s" % where
    if error.code == 405:
        return "Method not allowed%s" % where
    detail = error.detail or error.explanation or error.title
    return "%s%s" % (detail, where)


def log_error(code, message, error):
    """Log at DEBUG for client errors, at ERROR with traceback otherwise."""
    if code < 500:
        LOG.debug("API request failed with %s: %s", code, message)
    elif code == UNAVAILABLE:
        LOG.warning("API request failed with %s: %s (%s)", code, message,
                    type(error).__name__)
    else:
        LOG.error("API request failed with %s: %s", code, message,
                  exc_info=(type(error), error, error.__traceback__))


class ErrorHook(hooks.PecanHook):
    """Turns whatever a request raised into Mistral's error response."""

    priority = 1000

    def on_error(self, state, e):
        return error_response(e, state.request)


def error_response(error, request=None):
    """Mistral's error response for ``error`` raised by ``request``,
    logged (what the error hook answers; ``api.fast_reads`` too)."""
    code, message = classify(error, request)
    log_error(code, message, error)
    return fault_response(code, message, short=code < 500 and
                          is_definition_upload(request))
