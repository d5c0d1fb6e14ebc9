"""Write conductor plans back (snapshots are loaded by ``snapshot``, the
outbox rows a plan needs are made by ``outbox_rows``).

Every state change goes through :func:`move` (or, for a task that moved
several times within one plan, :func:`_update_task`, which walks the same
table): ``states.transition`` checks each event, a compare-and-set writes
the result, one log line records it, and the matching event row is added.
A CAS that loses while the engine holds the execution's lock means the
database changed under us: the unit of work is abandoned and retried whole.
"""
import collections
import datetime
import logging
import types

from wfengine import action_params
from wfengine import exceptions
from wfengine import logcontext
from wfengine import metrics
from wfengine.db import snapshots as db_snapshots
from wfengine.db import cas
from wfengine.db import outbox as db_outbox
from wfengine.db import models
from wfengine.engine import events
from wfengine.engine import outbox_rows
from wfengine.engine import snapshot
from wfengine.engine.core import states
from wfengine.engine.core import with_items

LOG = logging.getLogger(__name__)

# Tasks are written by _update_task, staged (see Unit.update_task_later).
_MODELS = {"workflow": models.WorkflowExecution,
           "action": models.ActionExecution}


def move(unit, entity, obj_id, current, event, **values):
    """Move one execution by ``event`` with a compare-and-set.

    :param entity: ``"workflow"`` or ``"action"``.
    :param current: the state the caller saw (the CAS guard).
    :returns: the new state.
    :raises InvalidStateTransition: the event is not allowed in ``current``.
    :raises StaleState: the row is no longer in ``current`` (the caller
        holds the execution's lock: the database changed under it).
    """
    new = states.transition(entity, current, event)
    _write(unit, entity, obj_id, current, new, event, values)
    return new


def _write(unit, entity, obj_id, current, new, why, values):
    values["state"] = new
    if not cas.cas_update(unit.session, _MODELS[entity], obj_id, [current],
                          **values):
        raise exceptions.StaleState(
            "%s execution %s is no longer %s" % (entity, obj_id, current))
    if new != current:
        # Workflow moves at INFO; the many action moves at DEBUG (a log
        # line per task cost the engine a third of its throughput).
        LOG.log(logging.INFO if entity == "workflow" else logging.DEBUG,
                "%s execution %s moved from %s to %s (%s)",
                entity.capitalize(), obj_id, current, new, why)


def apply_plan(unit, wf_ex, cond, original_states, plan, send_after):
    """Write a conductor plan; returns the outbox rows it staged.

    :param original_states: task id -> state when the snapshot was taken.
    :param send_after: seconds after which a sweeper re-sends a staged
        message nobody acknowledged.
    """
    chains, created = _task_chains(plan)
    # Existing tasks first: their events (say, t1 succeeded) happened
    # before those of the tasks they led to (t2 launched).
    for task_id, chain in chains.items():
        if task_id not in created:
            _update_task(unit, wf_ex, cond.tasks.get(task_id),
                         original_states[task_id], chain)
    for new in plan.new_tasks:
        _insert_task(unit, wf_ex, cond.tasks.get(new.id), new.state,
                     chains[new.id])
    for abort in plan.aborts:
        _abort_actions(unit, abort)
    now = models.utcnow()
    resend = now + datetime.timedelta(seconds=send_after)
    outbox = [_stage_action(unit, wf_ex, cond, run, resend)
              for run in plan.run_actions]
    outbox += [outbox_rows.stage_subworkflow(unit, wf_ex, sub, resend)
               for sub in plan.subworkflows]
    outbox += [outbox_rows.stage_timer(unit, wf_ex, timer, now)
               for timer in plan.timers]
    if plan.params is not None:
        cas.cas_update(unit.session, models.WorkflowExecution, wf_ex.id,
                          [wf_ex.state], params=plan.params)
    if plan.context is not None:
        cas.cas_update(unit.session, models.WorkflowExecution, wf_ex.id,
                          [wf_ex.state], context=plan.context)
    if plan.workflow_changes:
        outbox += _move_workflow(unit, wf_ex, plan.workflow_changes,
                                 resend)
    return outbox


def _task_chains(plan):
    """Task id -> the events it went through in this plan, in order."""
    chains = collections.OrderedDict()
    created = {t.id for t in plan.new_tasks}
    for task_id in created:
        chains[task_id] = []
    for change in plan.task_changes:
        chain = chains.setdefault(change.task_ex_id, [])
        if change.event:
            chain.append(change.event)
    return chains, created


def _walk(task_id, start, chain, expected):
    state = start
    for event in chain:
        state = states.transition("task", state, event)
    if state != expected:
        raise exceptions.Conflict(
            "Task execution %s: planned %s but the table gives %s"
            % (task_id, expected, state))


def _emit_chain(unit, wf_ex, view, start, chain):
    state = start
    for event in chain:
        before, state = state, states.transition("task", state, event)
        if event != states.RUN or before in (states.WAITING, states.IDLE):
            events.emit_task(unit, wf_ex, view, event)


def _starts(start, chain):
    """Whether the task starts (again) in ``chain``: it leaves WAITING or
    IDLE for RUNNING, or is re-run. Mistral's rule for ``started_at``: a
    join starts when it is satisfied, a retry is part of the same run."""
    state = start
    for event in chain:
        before, state = state, states.transition("task", state, event)
        if event == states.RERUN or (state == states.RUNNING and before in (
                states.WAITING, states.IDLE)):
            return True
    return False


def _insert_task(unit, wf_ex, view, initial, chain):
    _walk(view.id, initial, chain, view.state)
    now = models.utcnow()
    started = initial not in (states.WAITING, states.IDLE) or _starts(
        initial, chain)
    # What the task's events show (``events.task_data``).
    view.created_at, view.started_at = now, now if started else None
    view.finished_at = now if view.state in states.COMPLETED else None
    unit.insert_later(
        models.TaskExecution, wf_ex.id, id=view.id, name=view.name,
        type=snapshot.workflow_spec(unit, wf_ex).tasks[view.name].type,
        workflow_execution_id=wf_ex.id, workflow_name=wf_ex.name,
        workflow_id=wf_ex.workflow_id,
        workflow_namespace=wf_ex.workflow_namespace, state=view.state,
        state_info=view.state_info, in_context=view.in_context,
        published=view.published, runtime_context=view.runtime_context,
        processed=view.processed, project_id=wf_ex.project_id,
        user_id=wf_ex.user_id,
        created_at=now, started_at=view.started_at,
        finished_at=view.finished_at)
    LOG.debug("Task execution %s (%s) of workflow execution %s created in "
              "state %s", view.id, view.name, wf_ex.id, view.state,
              extra=logcontext.ids(execution_id=wf_ex.id, task_id=view.id))
    if initial == states.RUNNING:
        events.emit_task(unit, wf_ex, view, states.RUN)
    _emit_chain(unit, wf_ex, view, initial, chain)


def _update_task(unit, wf_ex, view, original, chain):
    """Stage the task's compare-and-set: the tasks of every execution a
    unit of work moves are written in one statement."""
    _walk(view.id, original, chain, view.state)
    values = dict(state=view.state, state_info=view.state_info,
                  runtime_context=view.runtime_context,
                  processed=view.processed)
    for name in view.data_changed:
        values[name] = getattr(view, name)
    if _starts(original, chain):
        values["started_at"] = view.started_at = models.utcnow()
        values["finished_at"] = view.finished_at = None
    if view.state in states.COMPLETED:
        values["finished_at"] = view.finished_at = models.utcnow()
        metrics.task_finished(unit, wf_ex.name, view.state, getattr(
            view, "started_at", None), values["finished_at"])
    unit.update_task_later(wf_ex.id, view.id, original, **values)
    if view.state != original:
        LOG.debug("Task execution %s moved from %s to %s (%s)", view.id,
                  original, view.state, ", ".join(chain),
                  extra=logcontext.ids(task_id=view.id))
    _emit_chain(unit, wf_ex, view, original, chain)


def _abort_actions(unit, abort):
    for action_ex in db_snapshots.get_action_executions_of_task(
            unit.session, abort.task_ex_id):
        if action_ex.state == states.RUNNING:
            move(unit, "action", action_ex.id, states.RUNNING,
                 abort.event, state_info=abort.state_info)
            db_outbox.ack(unit.session, db_outbox.RUN_ACTION, [action_ex.id])


def _stage_action(unit, wf_ex, cond, run, send_at):
    params = action_params.ActionParams(
        index=run.index,
        gen=cond.tasks.get(run.task_ex_id).runtime_context.get(
            with_items.GENERATION, 0) if run.index is not None else 0,
        safe_rerun=run.safe_rerun, target=run.target,
        adhoc=action_params.Adhoc(run.adhoc_id, run.base_name,
                                  run.base_input) if run.adhoc_id else None)
    values = dict(
        id=run.id, name=run.name, task_execution_id=run.task_ex_id,
        workflow_execution_id=wf_ex.id, workflow_name=wf_ex.name,
        workflow_namespace=wf_ex.workflow_namespace, task_name=run.task_name,
        state=states.RUNNING, input=run.input, params=params.to_row(),
        is_sync=True, project_id=wf_ex.project_id, user_id=wf_ex.user_id,
        created_at=models.utcnow())
    unit.insert_later(models.ActionExecution, wf_ex.id, **values)
    return outbox_rows.stage_run(unit, types.SimpleNamespace(**values),
                                 send_at, later=True)


def _move_workflow(unit, wf_ex, changes, send_at):
    state = wf_ex.state
    for change in changes:
        state = states.transition("workflow", state, change.event)
        events.emit_workflow(unit, wf_ex, change.event, state,
                             change.state_info, change.output)
    last = changes[-1]
    values = {"state_info": last.state_info}
    if state in states.COMPLETED:
        values["output"] = last.output
    _write(unit, "workflow", wf_ex.id, wf_ex.state, state,
           ", ".join(c.event for c in changes), values)
    if state in states.COMPLETED and state != wf_ex.state:
        metrics.execution_finished(unit, wf_ex.name, state)
    if state not in states.COMPLETED or not wf_ex.task_execution_id:
        return []
    # A sub-workflow hands its outcome to the parent task: a row any engine
    # processes, so the parent is locked in a unit of work of its own.
    payload = {"task_ex_id": wf_ex.task_execution_id, "wf_ex_id": wf_ex.id,
               "state": state, "output": last.output,
               "state_info": last.state_info}
    return [db_outbox.add(unit.session, db_outbox.SUBWORKFLOW_DONE, wf_ex.id,
                          payload,
                              send_at)]
