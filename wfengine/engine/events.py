"""Workflow and task events, recorded with the state change that causes them.

The event names are Mistral's. An event row is written in the same unit of
work as the change (DESIGN.md rule 8: events are an outbox) and delivered
later by the notifier.

Only events somebody subscribes to are written: an enabled listener of the
workflow (or of every workflow) that takes the event, a ``notify`` entry
of the root execution, or a broadcast publisher (then every event). The
subscriptions are read once per unit of work, in its transaction, so a
listener hears every change committed after its own creation.
"""
import uuid

from wfengine.db import snapshots as db_snapshots
from wfengine.db import models
from wfengine.db import notifications
from wfengine.db import statements
from wfengine.db import unit as unit_lib
from wfengine.engine import snapshot
from wfengine.core.engine import states
from wfengine.notifier import subscriptions

WORKFLOW_EVENTS = {
    states.START: "WORKFLOW_LAUNCHED",
    states.SUCCEED: "WORKFLOW_SUCCEEDED",
    states.FAIL: "WORKFLOW_FAILED",
    states.CANCEL: "WORKFLOW_CANCELLED",
    states.PAUSE: "WORKFLOW_PAUSED",
    states.RESUME: "WORKFLOW_RESUMED",
    states.RERUN: "WORKFLOW_RERUN",
}

TASK_EVENTS = {
    states.RUN: "TASK_LAUNCHED",
    states.SUCCEED: "TASK_SUCCEEDED",
    states.MARK_DONE: "TASK_SUCCEEDED",
    states.FAIL: "TASK_FAILED",
    states.CANCEL: "TASK_CANCELLED",
    states.PAUSE: "TASK_PAUSED",
    states.RESUME: "TASK_RESUMED",
    states.RERUN: "TASK_RERUN",
    states.SKIP: "TASK_SKIPPED",
}

ALL = tuple(WORKFLOW_EVENTS.values()) + tuple(
    dict.fromkeys(TASK_EVENTS.values()))


def _time(value):
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else None


def workflow_data(unit, wf_ex, state, state_info, output=None):
    """Snapshot of a workflow execution's fields for an event."""
    if hasattr(wf_ex, "input"):
        wf_input = wf_ex.input
    else:  # a locked row leaves the input out
        wf_input = db_snapshots.get_execution_data(unit.session, wf_ex.id)[1]
    return {
        "id": wf_ex.id, "workflow_id": wf_ex.workflow_id,
        "workflow_name": wf_ex.name,
        "workflow_namespace": wf_ex.workflow_namespace,
        "description": wf_ex.description,
        "tags": getattr(wf_ex, "tags", None) or [], "params": wf_ex.params,
        "task_execution_id": wf_ex.task_execution_id,
        "root_execution_id": wf_ex.root_execution_id,
        "state": state, "state_info": state_info, "input": wf_input,
        "output": output, "created_at": _time(wf_ex.created_at),
        "updated_at": _time(models.utcnow()),
        "project_id": wf_ex.project_id,
    }


def task_data(wf_ex, task, task_spec):
    """Snapshot of a task execution (a conductor ``TaskView``; its times
    are those ``persist`` writes; its type and tags from ``task_spec``)."""
    return {
        "id": task.id, "name": task.name, "type": task_spec.type,
        "tags": list(task_spec.tags),
        "created_at": _time(getattr(task, "created_at", None)),
        "started_at": _time(getattr(task, "started_at", None)),
        "finished_at": _time(getattr(task, "finished_at", None)),
        "workflow_name": wf_ex.name, "workflow_id": wf_ex.workflow_id,
        "workflow_namespace": wf_ex.workflow_namespace,
        "workflow_execution_id": wf_ex.id, "state": task.state,
        "state_info": task.state_info, "published": task.published,
        "processed": task.processed, "updated_at": _time(models.utcnow()),
        "project_id": wf_ex.project_id,
    }


def emit_workflow(unit, wf_ex, event, state, state_info, output=None):
    name = WORKFLOW_EVENTS.get(event)
    if name and _wanted(unit, wf_ex, name):
        _add(unit, name, wf_ex, None, state, state_info,
             workflow_data(unit, wf_ex, state, state_info, output))


def emit_task(unit, wf_ex, task, event):
    name = TASK_EVENTS.get(event)
    if name and _wanted(unit, wf_ex, name):
        task_spec = snapshot.workflow_spec(unit, wf_ex).tasks[task.name]
        _add(unit, name, wf_ex, task, task.state, task.state_info,
             task_data(wf_ex, task, task_spec))


def _wanted(unit, wf_ex, name):
    """Whether a listener, a notify entry or a broadcast publisher takes
    event ``name`` of ``wf_ex``."""
    if unit.record_all_events:
        return True
    info = unit.memo
    key = unit_lib.subscribed_key(wf_ex.name)
    names = info.get(key)
    if names is None:
        names = info[key] = set()
        for events in notifications.subscribed_events(unit.session,
                                                      wf_ex.name):
            names.update(subscriptions.expand(events))
    if name in names:
        return True
    root_id = wf_ex.root_execution_id
    if root_id is None:
        params = wf_ex.params
    else:
        key = ("root_params", root_id)
        if key not in info:
            info[key] = notifications.execution_params(
                unit.session, [root_id]).get(root_id)
        params = info[key]
    return any(subscriptions.notify_wants(entry, name)
               for _, entry in subscriptions.notify_entries(params))


def _add(unit, name, wf_ex, task, state, state_info, data):
    statements.insert(
        unit.session, models.Event, uuid=str(uuid.uuid4()), event=name,
        workflow_execution_id=wf_ex.id,
        root_execution_id=wf_ex.root_execution_id or wf_ex.id,
        task_execution_id=task.id if task else None,
        workflow_name=wf_ex.name, task_name=task.name if task else None,
        state=state, state_info=state_info, data=data, dispatched=False,
        created_at=models.utcnow())
