"""``/v2/action_executions`` and ``/v2/tasks/<id>/action_executions``."""
import threading
import time

import pecan
from pecan import rest

from wfengine import callbacks
from wfengine import exceptions
from wfengine import state_names as states
from wfengine.api.controllers import common
from wfengine.api import engine_deadline
from wfengine.api.expose import expose
from wfengine.api import fieldsize
from wfengine.api import resources
from wfengine.api import updates
from wfengine.api import wstypes
from wfengine.conf import CONF
from wfengine.db import queries
from wfengine.db import scope
from wfengine.db import session

SPEC = resources.ACTION_EXECUTION


# The columns of an action execution as shown (worked out once).
_COLUMNS = tuple(SPEC.columns(SPEC.names()))


def shown_action_execution(conn, action_ex_id, kept=None):
    """The action execution; with ``kept``, the completion kept for the
    engines (``api.engine_deadline``), as it will be once taken."""
    row = queries.get_action_execution(conn, action_ex_id, fields=_COLUMNS)
    if kept is not None:
        row = engine_deadline.as_kept(row, kept)
    return resources.action_execution_dict(row)


def list_action_executions(params, forced=None):
    """The body of an action execution list for query ``params``."""
    return common.list_response(SPEC, params, forced=forced)


_signer = None
_signer_lock = threading.Lock()


def _check_token(action_ex_id, token):
    """A completion needs a caller of the execution's project or, in its
    place, the callback token issued for this one action execution."""
    global _signer
    if token is None:
        if common.caller() is None:
            raise exceptions.CallbackRefused(
                problem="No credentials and no callback token",
                id=action_ex_id)
        # Another project's: 404.
        session.row_reader(shown_action_execution, action_ex_id)
        return
    if not isinstance(token, str) or not token.isascii():
        raise exceptions.CallbackRefused(
            problem="Malformed callback token (give one token of URL-safe "
                    "characters, as the callback URL has it)",
            id=action_ex_id)
    with _signer_lock:
        if _signer is None:
            _signer = callbacks.load_signer(callbacks.public_url(CONF), CONF)
    if not _signer.verify(action_ex_id, token):
        raise exceptions.CallbackRefused(
            problem="The callback token is another action execution's",
            id=action_ex_id)


# How often a synchronous run (run_sync) looks for its result.
_RESULT_POLL = 0.02


def _is_sync(sess, action_ex_id):
    return queries.get_action_execution(sess, action_ex_id,
                                        fields=["is_sync"]).is_sync


def _wait_for_result(action_ex_id, timeout):
    """The action execution once it ended (or went async), or at timeout."""
    deadline = time.monotonic() + timeout
    while True:
        body = session.row_reader(shown_action_execution, action_ex_id)
        finished = body["state"] != states.RUNNING
        if finished or time.monotonic() >= deadline:
            return body
        if not session.reader(_is_sync, action_ex_id):
            return body
        time.sleep(_RESULT_POLL)


class ActionExecutionsController(rest.RestController):
    """``GET /v2/action_executions[/<id>]``."""

    @expose(wstypes.ActionExecution, wstypes.text, direct=True)
    def get_one(self, action_ex_id, **_params):
        """One action execution, with its input and output."""
        return session.row_reader(shown_action_execution, action_ex_id)

    @expose(wstypes.ActionExecutions, direct=True)
    def get_all(self, **params):
        """Action executions, filtered and paged (output with
        ``include_output=true`` or ``fields``)."""
        return list_action_executions(params)

    @expose(wstypes.ActionExecution, body=wstypes.ActionRun,
            status_code=201)
    def post(self, *, body, **_params):
        """Run an action outside any workflow; 201 with its execution,
        finished when ``run_sync`` (the default) and it ends in time."""
        kwargs, run_sync, timeout = updates.parse_action_run(
            wstypes.present(body))
        started = pecan.request.engine.run_action(
            project_id=common.caller_project(),
            user_id=common.caller_user(), **kwargs)
        if run_sync:
            return _wait_for_result(started["id"], timeout)
        return session.row_reader(shown_action_execution, started["id"])

    @expose(None, wstypes.text, status_code=204)
    def delete(self, action_ex_id, **_params):
        """Delete a finished action execution (when the deployment allows
        it: ``[api] allow_action_execution_deletion``); 204."""
        # Another project's: 404.
        session.row_reader(shown_action_execution, action_ex_id)
        if not CONF.api.allow_action_execution_deletion:
            raise exceptions.TurnedOff(
                what="Action execution deletion",
                option="[api] allow_action_execution_deletion")
        pecan.request.engine.delete_action_execution(action_ex_id)

    @expose(wstypes.ActionExecution, wstypes.text, wstypes.text,
            body=wstypes.ActionCompletion)
    def put(self, action_ex_id, token=None, *, body, **_params):
        """Complete an asynchronous action (the callback URL lands here),
        or pause it (PAUSED) or let it run again (RUNNING)."""
        _check_token(action_ex_id, token)
        completion = updates.parse_action_completion(wstypes.present(body),
                                                     action_ex_id)
        kept = None
        if completion["state"] in updates.ACTION_UPDATE_STATES:
            pecan.request.engine.update_action(action_ex_id,
                                               completion["state"])
        else:
            kept = engine_deadline.complete_action(
                pecan.request.engine, action_ex_id,
                fieldsize.completion(completion))
        if token is not None:  # a callback's capability, of any caller
            with scope.use(None):
                return session.row_reader(shown_action_execution,
                                          action_ex_id, kept)
        return session.row_reader(shown_action_execution, action_ex_id,
                                  kept)


class TaskActionExecutionsController(rest.RestController):
    """``GET /v2/tasks/<id>/action_executions``."""

    @expose(wstypes.ActionExecutions, wstypes.text, direct=True)
    def get_all(self, task_ex_id, **params):
        """The action executions of one task."""
        return list_action_executions(
            params, forced={"task_execution_id": task_ex_id})
