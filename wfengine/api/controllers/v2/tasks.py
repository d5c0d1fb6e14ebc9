"""``/v2/tasks`` and ``/v2/executions/<id>/tasks``."""
import pecan
from pecan import rest

from wfengine.api.controllers import common
from wfengine.api.controllers.v2 import action_executions
from wfengine.api.controllers.v2 import sub_executions
from wfengine.api.expose import expose
from wfengine.api import resources
from wfengine.api import updates
from wfengine.api import wstypes
from wfengine.db import queries
from wfengine.db import session

SPEC = resources.TASK
# States of a PUT that mark a failed task for a later resume (extension).
MARKS = ("IDLE", "INITIAL", "SUCCESS", "DONE")


# The columns of a task as shown (worked out once).
_COLUMNS = tuple(SPEC.columns(SPEC.names()))


def shown_task(conn, task_ex_id):
    """The task execution as the API shows it, with its result."""
    row = queries.get_task_execution(conn, task_ex_id, fields=_COLUMNS)
    parts = queries.get_task_results_data(conn, [row.id])[row.id]
    return resources.task_dict(row, parts=parts)


def _shape(sess, rows, names):
    parts = {}
    if "result" in names:
        parts = queries.get_task_results_data(sess, [r.id for r in rows])
    return [resources.task_dict(row, names, parts.get(row.id))
            for row in rows]


def list_tasks(params, forced=None):
    """The body of a task list for query ``params``."""
    return common.list_response(SPEC, params, _shape, forced)


class TasksController(rest.RestController):
    """``GET /v2/tasks[/<id>]``; ``/v2/tasks/<id>/action_executions`` and
    ``/v2/tasks/<id>/executions`` (sub-executions).

    ``/v2/tasks/<id>/workflow_executions`` is attached by ``v2.root``.
    """

    action_executions = action_executions.TaskActionExecutionsController()
    executions = sub_executions.TaskSubExecutionsController()

    @expose(wstypes.Task, wstypes.text, direct=True)
    def get_one(self, task_ex_id, **_params):
        """One task execution, with its result."""
        return session.row_reader(shown_task, task_ex_id)

    @expose(wstypes.Tasks, direct=True)
    def get_all(self, **params):
        """Task executions, filtered and paged."""
        return list_tasks(params)

    @expose(wstypes.Task, wstypes.text, body=wstypes.TaskUpdate)
    def put(self, task_ex_id, *, body, **_params):
        """Re-run, skip or mark a failed task; answers with the task."""
        data = wstypes.present(body)
        # The task first, as Mistral: an unknown (or another project's)
        # task is a 404 whatever the body says.
        session.row_reader(shown_task, task_ex_id)
        change = updates.parse_task_update(data, task_ex_id)
        if data.get("state") in MARKS:
            common.authorize("tasks:mark")
        pecan.request.engine.update_task(task_ex_id, **change)
        return session.row_reader(shown_task, task_ex_id)


class ExecutionTasksController(rest.RestController):
    """``GET /v2/executions/<id>/tasks``."""

    @expose(wstypes.Tasks, wstypes.text, direct=True)
    def get_all(self, wf_ex_id, **params):
        """The task executions of one workflow execution."""
        return list_tasks(params, forced={"workflow_execution_id": wf_ex_id})
