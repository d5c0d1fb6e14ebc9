"""``/v2``: the root of Mistral's v2 API."""
import pecan

from wfengine.api.controllers import common
from wfengine.api.controllers.v2 import action_executions
from wfengine.api.controllers.v2 import actions
from wfengine.api.controllers.v2 import cron_triggers
from wfengine.api.controllers.v2 import environments
from wfengine.api.controllers.v2 import event_triggers
from wfengine.api.controllers.v2 import executions
from wfengine.api.controllers.v2 import listeners
from wfengine.api.controllers.v2 import tasks
from wfengine.api.controllers.v2 import workbooks
from wfengine.api.controllers.v2 import workflows
from wfengine.api.expose import expose
from wfengine.api import openapi
from wfengine.api import wstypes


class V2Controller:
    """Routes of ``/v2``; ``GET /v2`` answers ``{"uri": ".../v2"}``."""

    workflows = workflows.WorkflowsController()
    executions = executions.ExecutionsController()
    tasks = tasks.TasksController()
    action_executions = action_executions.ActionExecutionsController()
    listeners = listeners.ListenersController()
    environments = environments.EnvironmentsController()
    actions = actions.ActionsController()
    workbooks = workbooks.WorkbooksController()
    cron_triggers = cron_triggers.CronTriggersController()
    event_triggers = event_triggers.EventTriggersController()

    @expose(wstypes.V2Root)
    def index(self):
        """GET /v2 -> Mistral's v2 root document."""
        common.only("GET", "HEAD")
        return {"uri": "%s/v2" % common.base_url()}


# Wired here: tasks.py cannot import executions.py (which imports it).
tasks.TasksController.workflow_executions = (
    executions.TaskExecutionsController())


class OpenApiController:
    """``GET /v2/openapi.json``: the OpenAPI 3 document of this API."""

    @expose(wstypes.OPENAPI_DOCUMENT)
    def index(self):
        """The document, with this server as its base."""
        common.only("GET", "HEAD")
        return openapi.document(common.base_url())


pecan.route(V2Controller, "openapi.json", OpenApiController())
# Both spellings of the action execution collection reach the same routes.
pecan.route(V2Controller, "action-executions",
            V2Controller.action_executions)
