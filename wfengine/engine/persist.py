"""Load conductor snapshots from rows and write conductor plans back.

Every state change goes through :func:`move`: ``states.transition`` checks
the event, a compare-and-set writes it, one log line records it. A CAS
that loses while the engine holds the execution's lock means the database
changed under us: the unit of work is abandoned and retried whole.
"""
import collections
import logging
import threading

from wfengine import exceptions
from wfengine.db import api as db_api
from wfengine.db import models
from wfengine.engine import conductor
from wfengine.engine import events
from wfengine.engine import states
from wfengine.lang import spec as lang_spec

LOG = logging.getLogger(__name__)

_COMPLETION_EVENTS = {states.SUCCESS: states.SUCCEED,
                      states.ERROR: states.FAIL,
                      states.CANCELLED: states.CANCEL,
                      states.SKIPPED: states.SKIP}

_MODELS = {"workflow": models.WorkflowExecution,
           "task": models.TaskExecution,
           "action": models.ActionExecution}


def move(session, entity, obj_id, current, event, **values):
    """Move one execution by ``event`` with a compare-and-set.

    :param entity: ``"workflow"``, ``"task"`` or ``"action"``.
    :param current: the state the caller saw (the CAS guard).
    :returns: the new state.
    :raises InvalidStateTransition: the event is not allowed in ``current``.
    :raises Conflict: the row is no longer in ``current``.
    """
    new = states.transition(entity, current, event)
    values["state"] = new
    if new in states.COMPLETED and entity == "task":
        values.setdefault("finished_at", models.utcnow())
    if not db_api.cas_update(session, _MODELS[entity], obj_id, [current],
                             **values):
        raise exceptions.Conflict(
            "%s execution %s is no longer %s" % (entity, obj_id, current))
    LOG.info("%s execution %s moved from %s to %s (%s)",
             entity.capitalize(), obj_id, current, new, event)
    return new


_SPEC_CACHE_SIZE = 1024
_spec_cache = collections.OrderedDict()
_spec_lock = threading.Lock()


def workflow_spec(wf_ex):
    """The execution's spec object, cached: an execution's spec is fixed."""
    with _spec_lock:
        spec = _spec_cache.get(wf_ex.id)
        if spec is not None:
            _spec_cache.move_to_end(wf_ex.id)
            return spec
    spec = lang_spec.WorkflowSpec.from_dict(wf_ex.spec)
    with _spec_lock:
        _spec_cache[wf_ex.id] = spec
        while len(_spec_cache) > _SPEC_CACHE_SIZE:
            _spec_cache.popitem(last=False)
    return spec


def workflow_view(wf_ex, spec=None):
    params = wf_ex.params or {}
    return conductor.WorkflowView(
        id=wf_ex.id, name=wf_ex.name, state=wf_ex.state,
        spec=spec or workflow_spec(wf_ex), context=wf_ex.context or {},
        env=params.get("env") or {}, input=wf_ex.input or {},
        params=params, created_at=_time(wf_ex.created_at))


def task_views(task_exs):
    return [conductor.TaskView(
        id=t.id, name=t.name, state=t.state, state_info=t.state_info,
        in_context=t.in_context or {}, published=t.published or {},
        runtime_context=dict(t.runtime_context or {}),
        processed=t.processed) for t in task_exs]


def apply_plan(session, wf_ex, cond, original_states, plan, send_at):
    """Write a conductor plan; returns the outbox rows it staged.

    :param original_states: task id -> state when the snapshot was taken.
    :param send_at: when a sweeper should send the staged messages if the
        sender has not had them acknowledged by then.
    """
    new_ids = {t.id for t in plan.new_tasks}
    for new in plan.new_tasks:
        _insert_task(session, wf_ex, cond.tasks[new.id])
    # Without ORM relationships the unit of work does not know that action
    # rows refer to task rows: write the tasks first.
    db_api.flush(session)
    last_events = {}
    for change in plan.task_changes:
        if change.task_ex_id not in new_ids:
            last_events.setdefault(change.task_ex_id, None)
            if change.event:
                last_events[change.task_ex_id] = change.event
    for task_id, event in last_events.items():
        _update_task(session, wf_ex, cond.tasks[task_id],
                     original_states[task_id], event)
    outbox = [_stage_action(session, wf_ex, run, send_at)
              for run in plan.run_actions]
    if plan.workflow_change:
        change = plan.workflow_change
        new = move(session, "workflow", wf_ex.id, wf_ex.state, change.event,
                   state_info=change.state_info, output=change.output)
        events.emit_workflow(session, wf_ex, change.event, new,
                             change.state_info, change.output)
    return outbox


def _insert_task(session, wf_ex, view):
    now = models.utcnow()
    completed = view.state in states.COMPLETED
    db_api.add(session, models.TaskExecution(
        id=view.id, name=view.name, type=workflow_spec(wf_ex).tasks[view.name].type,
        workflow_execution_id=wf_ex.id, workflow_name=wf_ex.name,
        workflow_id=wf_ex.workflow_id,
        workflow_namespace=wf_ex.workflow_namespace, state=view.state,
        state_info=view.state_info, in_context=view.in_context,
        published=view.published, runtime_context=view.runtime_context,
        processed=view.processed, project_id=wf_ex.project_id,
        created_at=now, started_at=now,
        finished_at=now if completed else None))
    LOG.info("Task execution %s (%s) of workflow execution %s created in "
             "state %s", view.id, view.name, wf_ex.id, view.state)
    if view.state != states.WAITING:
        events.emit_task(session, wf_ex, view, states.RUN)
    if completed:
        events.emit_task(session, wf_ex, view, _COMPLETION_EVENTS[view.state])


def _update_task(session, wf_ex, view, original, event):
    values = dict(state_info=view.state_info, published=view.published,
                  runtime_context=view.runtime_context,
                  in_context=view.in_context, processed=view.processed)
    if event is None:
        if not db_api.cas_update(session, models.TaskExecution, view.id,
                                 [original], **values):
            raise exceptions.Conflict("Task execution %s is no longer %s"
                                      % (view.id, original))
        return
    new = move(session, "task", view.id, original, event, **values)
    if new != view.state:
        raise exceptions.Conflict(
            "Task execution %s: planned %s but the table gives %s"
            % (view.id, view.state, new))
    events.emit_task(session, wf_ex, view, event)


def _stage_action(session, wf_ex, run, send_at):
    db_api.add(session, models.ActionExecution(
        id=run.id, name=run.name, task_execution_id=run.task_ex_id,
        workflow_execution_id=wf_ex.id, workflow_name=wf_ex.name,
        workflow_namespace=wf_ex.workflow_namespace, task_name=run.task_name,
        state=states.RUNNING, input=run.input, is_sync=True,
        project_id=wf_ex.project_id))
    payload = {"action_ex_id": run.id, "action_name": run.name,
               "action_input": run.input, "task_ex_id": run.task_ex_id,
               "task_name": run.task_name, "wf_ex_id": wf_ex.id,
               "wf_name": wf_ex.name, "safe_rerun": run.safe_rerun}
    return db_api.outbox_add(session, "run_action", run.id, payload,
                             send_at)


def _time(value):
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else None
