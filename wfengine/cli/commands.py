"""The static command map: every command name and its class.

Names follow python-mistralclient's ``mistral`` where it has the
command; the extension's commands (task-reset, execution-resume,
execution-watch, listener-*) are wfengine's own.
"""
from wfengine.cli import definitions
from wfengine.cli import executions
from wfengine.cli import generic
from wfengine.cli import listeners
from wfengine.cli import report
from wfengine.cli import watch

_make = generic.make

# (resource, command name prefix, label) of the generic list/get/delete.
_CRUD = (
    ("workflow", "workflow", "workflows"),
    ("execution", "execution", "workflow executions"),
    ("task", "task", "task executions"),
    ("action_execution", "action-execution", "action executions"),
    ("environment", "environment", "environments"),
    ("action", "action", "actions"),
    ("workbook", "workbook", "workbooks"),
    ("cron_trigger", "cron-trigger", "cron triggers"),
    ("listener", "listener", "listeners"),
)
# Resources that cannot be deleted through the API.
_NO_DELETE = ("task",)


def _crud():
    found = {}
    for resource, prefix, label in _CRUD:
        show_name = "listener-show" if resource == "listener" \
            else prefix + "-get"
        found[prefix + "-list"] = _make(
            generic.ListCommand, resource, "List", "List %s." % label)
        found[show_name] = _make(
            generic.ShowCommand, resource, "Show", "Show one of the %s."
            % label)
        if resource not in _NO_DELETE:
            found[prefix + "-delete"] = _make(
                generic.DeleteCommand, resource, "Delete", "Delete %s."
                % label)
    return found


def _fields():
    fields = (
        ("workflow-get-definition", "workflow", "definition", True),
        ("action-get-definition", "action", "definition", True),
        ("workbook-get-definition", "workbook", "definition", True),
        ("execution-get-input", "execution", "input", False),
        ("execution-get-output", "execution", "output", False),
        ("task-get-result", "task", "result", False),
        ("task-get-published", "task", "published", False),
        ("action-execution-get-input", "action_execution", "input", False),
        ("action-execution-get-output", "action_execution", "output",
         False),
        ("environment-get-variables", "environment", "variables", False),
    )
    return {name: _make(generic.FieldCommand, resource, "Field",
                        "Print the %s of one %s." % (
                            field, generic.RESOURCES[resource].label),
                        field=field, raw=raw)
            for name, resource, field, raw in fields}


def _text_writes():
    found = {}
    for resource, prefix, base in (
            ("workflow", "workflow", definitions.TextWriteList),
            ("action", "action", definitions.TextWriteList),
            ("workbook", "workbook", definitions.TextWriteShow)):
        label = generic.RESOURCES[resource].label
        found[prefix + "-create"] = _make(
            base, resource, "Create", "Create %s(s) from a workflow "
            "language file." % label)
        found[prefix + "-update"] = _make(
            base, resource, "Update", "Update %s(s) from a workflow "
            "language file." % label, method="PUT",
            with_id=resource != "workbook")
        found[prefix + "-validate"] = _make(
            definitions.Validate, resource, "Validate",
            "Check a workflow language file of %s(s) without storing it."
            % label)
    return found


def _others():
    spec = (
        ("environment-create", definitions.EnvironmentWrite,
         "environment", {"__doc__": "Create an environment from a JSON "
                                    "or YAML file."}),
        ("environment-update", definitions.EnvironmentWrite,
         "environment", {"method": "PUT", "__doc__": "Update the "
                         "environment named in a JSON or YAML file."}),
        ("cron-trigger-create", definitions.CronTriggerCreate,
         "cron_trigger", {}),
        ("execution-create", executions.ExecutionCreate, "execution", {}),
        ("execution-update", executions.ExecutionUpdate, "execution", {}),
        ("execution-resume", executions.ExecutionResume, "execution", {}),
        ("execution-delete", executions.ExecutionDelete, "execution", {}),
        ("execution-watch", watch.ExecutionWatch, "execution", {}),
        ("execution-get-report", report.ExecutionReport, "execution", {}),
        ("task-rerun", executions.TaskRerun, "task", {}),
        ("task-reset", executions.TaskReset, "task", {}),
        ("action-execution-update", executions.ActionExecutionUpdate,
         "action_execution", {}),
        ("run-action", executions.RunAction, "action_execution", {}),
        ("listener-create", listeners.ListenerCreate, "listener", {}),
        ("listener-update", listeners.ListenerUpdate, "listener", {}),
        ("listener-deliveries", listeners.ListenerDeliveries, "listener",
         {}),
    )
    return {name: _make(base, resource, base.__name__,
                        attrs.pop("__doc__", base.__doc__), **attrs)
            for name, base, resource, attrs in spec}


def all_commands():
    """``{command name: command class}`` of every command."""
    found = _crud()
    found.update(_fields())
    found.update(_text_writes())
    found.update(_others())
    return dict(sorted(found.items()))
