"""WSGI middleware: the GET of one execution, task or action execution,
answered without Pecan.

Clients poll these three resources (``mistral execution-get`` in a loop,
dashboards, scripts waiting for a state), and Pecan's part of such a read
(finding the controller through the object tree and the REST routing,
running the hooks, building its request and response proxies) cost as
much as the read itself. ``FastReads`` sits right in front of the Pecan
application, behind every other middleware (authentication, the request
guards, the body limit, the console, the metrics), and answers the plain
form of these reads itself:

- ``GET /v2/executions/<id>``, ``/v2/tasks/<id>``,
  ``/v2/action_executions/<id>`` (and ``action-executions``), with no
  query string and no ``If-None-Match``;
- with the request context the authentication put in the environ.

It does what the hooks do for such a request, with the same functions:
the policy rules of the request and the project scope
(``context.enter``), the controller's own read (``shown_execution``,
``shown_task``, ``shown_action_execution``), Pecan's JSON encoding, the
``ETag`` of ``api.etag``, and the error hook's answer to an error
(``errors.error_response``). Every other request goes to Pecan untouched.
``tests/unit/api/test_fast_reads.py`` holds the two paths to the same
status, headers and body.
"""
from pecan import jsonify

from wfengine.api.controllers.v2 import action_executions
from wfengine.api.controllers.v2 import executions
from wfengine.api.controllers.v2 import tasks
from wfengine.api import context
from wfengine.api import errors
from wfengine.api import etag
from wfengine.db import scope
from wfengine.db import session


def _execution(conn, wf_ex_id, ctx):
    return executions.shown_execution(conn, wf_ex_id, ctx.project_id, True)


def _task(conn, task_ex_id, _ctx):
    return tasks.shown_task(conn, task_ex_id)


def _action_execution(conn, action_ex_id, _ctx):
    return action_executions.shown_action_execution(conn, action_ex_id)


# Collection (as it appears in the path) -> the read of one of its rows.
_READS = {
    "executions": _execution,
    "tasks": _task,
    "action_executions": _action_execution,
    "action-executions": _action_execution,
}


class FastReads:
    """Answer the plain GET of one polled resource; pass the rest on."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        read, row_id = self._route(environ)
        ctx = environ.get(context.ENVIRON_KEY)
        if read is None or ctx is None:
            return self.app(environ, start_response)
        path = environ.get("SCRIPT_NAME", "") + environ["PATH_INFO"]
        token = None
        try:
            token = context.enter(ctx, "GET", path, {})
            body = jsonify.encode(session.row_reader(read, row_id, ctx))
        except Exception as e:  # noqa: BLE001 - shaped as the hook does
            return errors.error_response(e)(environ, start_response)
        finally:
            if token is not None:
                scope.leave(token)
        payload = body.encode("utf-8")
        start_response("200 OK", [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(payload))),
            ("ETag", '"%s"' % etag.compute(payload))])
        return [payload]

    @staticmethod
    def _route(environ):
        """``(read, id)`` for a request this middleware answers, else
        ``(None, None)``."""
        if environ.get("REQUEST_METHOD") != "GET" or \
                environ.get("QUERY_STRING") or \
                "HTTP_IF_NONE_MATCH" in environ:
            return None, None
        parts = environ.get("PATH_INFO", "").split("/")
        if len(parts) != 4 or parts[0] or parts[1] != "v2" or not parts[3]:
            return None, None
        try:
            # WSGI gives the path as bytes in latin-1; Pecan reads UTF-8.
            row_id = parts[3].encode("latin-1").decode("utf-8")
        except UnicodeError:
            return None, None
        return _READS.get(parts[2]), row_id
