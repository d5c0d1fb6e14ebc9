"""``/v2``: the root of Mistral's v2 API."""
import pecan

from wfengine.api.controllers import common
from wfengine.api.controllers.v2 import action_executions
from wfengine.api.controllers.v2 import executions
from wfengine.api.controllers.v2 import tasks
from wfengine.api.controllers.v2 import workflows


class V2Controller:
    """Routes of ``/v2``; ``GET /v2`` answers ``{"uri": ".../v2"}``."""

    workflows = workflows.WorkflowsController()
    executions = executions.ExecutionsController()
    tasks = tasks.TasksController()
    action_executions = action_executions.ActionExecutionsController()

    @pecan.expose("json")
    def index(self):
        """GET /v2 -> Mistral's v2 root document."""
        common.only("GET", "HEAD")
        return {"uri": "%s/v2" % common.base_url()}


# Wired here: tasks.py cannot import executions.py (which imports it).
tasks.TasksController.workflow_executions = (
    executions.TaskExecutionsController())
