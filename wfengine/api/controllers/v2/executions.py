"""``/v2/executions``: start workflows and read their executions."""
import json
import uuid

import pecan
from pecan import rest

from wfengine import state_names as states
from wfengine.api import bodies
from wfengine.api.controllers import common
from wfengine.api.controllers.v2 import execution_report
from wfengine.api.controllers.v2 import sub_executions
from wfengine.api.controllers.v2 import tasks
from wfengine.api import engine_deadline
from wfengine.api.expose import expose
from wfengine.api import listener_resources
from wfengine.api import resources
from wfengine.api import secrets
from wfengine.api import updates
from wfengine.api import wstypes
from wfengine.conf import CONF
from wfengine.db import queries
from wfengine.db import session

SPEC = resources.EXECUTION
# The columns of an execution as shown, and with what its
# ``published_global`` needs: worked out once, not per request.
_COLUMNS = tuple(SPEC.columns(SPEC.names()))
_COLUMNS_GLOBALS = _COLUMNS + ("context", "spec")


def _get(conn, wf_ex_id, with_globals=False):
    return shown_execution(conn, wf_ex_id, common.caller_project(),
                           with_globals)


def shown_execution(conn, wf_ex_id, caller_project, with_globals=False):
    """The execution as the API shows it to a caller acting in project
    ``caller_project`` (its GET has ``published_global`` too)."""
    row = queries.get_workflow_execution(
        conn, wf_ex_id, fields=_COLUMNS_GLOBALS if with_globals
        else _COLUMNS)
    shown = resources.execution_dict(row)
    if with_globals:
        shown["published_global"] = json.dumps(_published_global(row))
    if row.project_id != caller_project:
        # An admin reading another project's execution: not its secrets.
        shown = secrets.masked_execution(shown)
    return shown


def _published_global(row):
    """What an execution's tasks published with ``global`` scope, as
    Mistral shows it: its context without its vars and what is still its
    input (``row`` with ``context``, ``input`` and ``spec``)."""
    own_vars = set((row.spec or {}).get("vars") or {})
    wf_input = row.input or {}
    return {k: v for k, v in (row.context or {}).items()
            if k not in own_vars and (k not in wf_input or wf_input[k] != v)}


def list_executions(params, forced=None):
    """The body of a workflow execution list for query ``params`` (env
    values and notify headers masked: lists never carry secrets)."""
    return common.list_response(SPEC, params, forced=forced,
                                mask=secrets.masked_execution)


class ExecutionsController(rest.RestController):
    """``POST /v2/executions``, ``GET /v2/executions[/<id>]``,
    ``GET /v2/executions/<id>/tasks``, ``.../report`` and
    ``.../executions``."""

    tasks = tasks.ExecutionTasksController()
    report = execution_report.ExecutionReportController()
    executions = sub_executions.SubExecutionsController()

    @expose(wstypes.Execution, wstypes.text, direct=True)
    def get_one(self, wf_ex_id, **_params):
        """One workflow execution, with its input, output, params and (as
        Mistral shows them here only) its ``published_global``."""
        return session.row_reader(_get, wf_ex_id, True)

    @expose(wstypes.Executions, direct=True)
    def get_all(self, **params):
        """Workflow executions, filtered and paged (output only with
        ``include_output=true`` or ``fields``)."""
        return list_executions(params)

    @expose(wstypes.Execution, body=wstypes.ExecutionCreate,
            status_code=201)
    def post(self, *, body, **_params):
        """Start a workflow; 201 with the new execution.

        The execution gets the body's ``id`` if it has one; a start naming
        an existing execution answers with that execution (Mistral's
        idempotent start), so a client may repeat a start whose answer it
        lost. Without an ``id`` the API picks one, and sends the start
        again under it if no engine answers soon. With a message broker,
        a start no engine answered in time is refused (503) for good
        (``api.engine_deadline``).
        """
        args = bodies.parse_execution_create(wstypes.present(body))
        args["params"] = listener_resources.check_notify(args["params"])
        started = engine_deadline.start_workflow(
            pecan.request.engine, wf_identifier=args["wf_identifier"],
            wf_namespace=args["wf_namespace"],
            wf_input=args["wf_input"], description=args["description"],
            params=args["params"],
            wf_ex_id=args["wf_ex_id"] or str(uuid.uuid4()),
            resend_after=CONF.api.start_resend_after,
            project_id=common.caller_project(),
            user_id=common.caller_user())
        return session.row_reader(_get, started["id"])

    @expose(wstypes.Execution, wstypes.text, body=wstypes.ExecutionUpdate)
    def put(self, wf_ex_id, *, body, **_params):
        """Pause, resume, cancel or stop an execution, or change its env
        or description; answers with the execution."""
        change = updates.parse_execution_update(wstypes.present(body),
                                                wf_ex_id)
        session.row_reader(_get, wf_ex_id)  # another project's: 404
        if change.get("state") == states.RUNNING:
            common.authorize("executions:resume")
        pecan.request.engine.update_execution(wf_ex_id, **change)
        return session.row_reader(_get, wf_ex_id)

    @expose(None, status_code=204)
    def delete(self, *path, **params):
        """Delete a finished execution (any with ``force=true``); 204."""
        execution_report.delete_execution(common.single_id(path),
                                          params.get("force", "false"))


class TaskExecutionsController(rest.RestController):
    """``GET /v2/tasks/<id>/workflow_executions``: sub-workflows of a task."""

    @expose(wstypes.Executions, wstypes.text, direct=True)
    def get_all(self, task_ex_id, **params):
        """The workflow executions started by one task."""
        return list_executions(params,
                               forced={"task_execution_id": task_ex_id})
