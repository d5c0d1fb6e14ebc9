"""Workflow and task events, recorded with the state change that causes them.

The event names are Mistral's. An event row is written in the same unit of
work as the change (DESIGN.md rule 8: events are an outbox) and delivered
later by the notifier.
"""
import uuid

from wfengine.db import api as db_api
from wfengine.db import models
from wfengine.engine import states

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


def workflow_data(wf_ex, state, state_info, output=None):
    """Snapshot of a workflow execution's fields for an event."""
    return {
        "id": wf_ex.id, "workflow_id": wf_ex.workflow_id,
        "workflow_name": wf_ex.name,
        "workflow_namespace": wf_ex.workflow_namespace,
        "description": wf_ex.description, "params": wf_ex.params,
        "task_execution_id": wf_ex.task_execution_id,
        "root_execution_id": wf_ex.root_execution_id,
        "state": state, "state_info": state_info, "input": wf_ex.input,
        "output": output, "created_at": _time(wf_ex.created_at),
        "updated_at": _time(models.utcnow()),
        "project_id": wf_ex.project_id,
    }


def task_data(wf_ex, task):
    """Snapshot of a task execution (a conductor ``TaskView``)."""
    return {
        "id": task.id, "name": task.name,
        "workflow_name": wf_ex.name, "workflow_id": wf_ex.workflow_id,
        "workflow_namespace": wf_ex.workflow_namespace,
        "workflow_execution_id": wf_ex.id, "state": task.state,
        "state_info": task.state_info, "published": task.published,
        "processed": task.processed, "updated_at": _time(models.utcnow()),
        "project_id": wf_ex.project_id,
    }


def emit_workflow(session, wf_ex, event, state, state_info, output=None):
    name = WORKFLOW_EVENTS.get(event)
    if name:
        _add(session, name, wf_ex, None, state, state_info,
             workflow_data(wf_ex, state, state_info, output))


def emit_task(session, wf_ex, task, event):
    name = TASK_EVENTS.get(event)
    if name:
        _add(session, name, wf_ex, task, task.state, task.state_info,
             task_data(wf_ex, task))


def _add(session, name, wf_ex, task, state, state_info, data):
    db_api.add(session, models.Event(
        uuid=str(uuid.uuid4()), event=name,
        workflow_execution_id=wf_ex.id,
        root_execution_id=wf_ex.root_execution_id or wf_ex.id,
        task_execution_id=task.id if task else None,
        workflow_name=wf_ex.name, task_name=task.name if task else None,
        state=state, state_info=state_info, data=data,
        created_at=models.utcnow()))
