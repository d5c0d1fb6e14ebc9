"""Write conductor decisions (snapshots are loaded by ``snapshot``, the
outbox rows a decision needs are made by ``outbox_rows``).

The writer applies a ``commands.Decision`` as it is: each record carries
its values (a task's moves, checked against the table by the conductor as
it made them, and the columns it ends with; each message's fields), and
nothing here reads the conductor's views. A task is written once per
decision with a compare-and-set guarded by the state it was read in
(staged: see ``Unit.update_task_later``); a workflow or action execution
through :func:`move`. One log line records each change, and the matching
event rows are added. A CAS that loses while the engine holds the
execution's lock means the database changed under us: ``StaleState``,
and the unit of work is retried whole (``db.unit``).
"""
import dataclasses
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
from wfengine.core.engine import states

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
        raise exceptions.StaleState(kind=entity, id=obj_id, state=current)
    if new != current:
        # Workflow moves at INFO; the many action moves at DEBUG (a log
        # line per task cost the engine a third of its throughput).
        LOG.log(logging.INFO if entity == "workflow" else logging.DEBUG,
                "%s execution %s moved from %s to %s (%s)",
                entity.capitalize(), obj_id, current, new, why)


def apply_plan(unit, wf_ex, plan, send_after):
    """Write a conductor decision; returns the outbox rows it staged.

    Every value written comes from the decision's records: the writer
    reads no conductor view.

    :param plan: a ``commands.Decision``.
    :param send_after: seconds after which a sweeper re-sends a staged
        message nobody acknowledged.
    """
    # Tasks read before come first: their events (say, t1 succeeded)
    # happened before those of the tasks they led to (t2 launched).
    for task in plan.tasks:
        (_insert_task if task.created else _update_task)(unit, wf_ex, task)
    for abort in plan.aborts:
        _abort_actions(unit, abort)
    now = models.utcnow()
    resend = now + datetime.timedelta(seconds=send_after)
    outbox = [_stage_action(unit, wf_ex, run, resend)
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


class _EventTask:
    """A task's fields for its event records; what it published is read
    only if an event is recorded and the decision did not read it."""

    def __init__(self, unit, task):
        self._unit, self._task = unit, task
        self.id, self.name, self.state = task.id, task.name, task.state
        self.state_info = task.values["state_info"]
        self.processed = task.values["processed"]
        self.created_at, self.started_at, self.finished_at = task.times

    @property
    def published(self):
        if self._task.published is None:
            self._task = dataclasses.replace(
                self._task, published=db_snapshots.get_task_data(
                    self._unit.session, [self.id]).get(self.id, ({}, {}))[1])
        return self._task.published


def _emit_moves(unit, wf_ex, task, view):
    for move in task.moves:
        if move.event != states.RUN or move.before in (states.WAITING,
                                                       states.IDLE):
            events.emit_task(unit, wf_ex, view, move.event)


def _starts(task):
    """Whether the task starts (again) in its moves: it leaves WAITING or
    IDLE for RUNNING, or is re-run. Mistral's rule for ``started_at``: a
    join starts when it is satisfied, a retry is part of the same run."""
    return any(move.event == states.RERUN or (
        move.after == states.RUNNING and move.before in (states.WAITING,
                                                         states.IDLE))
        for move in task.moves)


def _insert_task(unit, wf_ex, task):
    now = models.utcnow()
    # What the row and the task's events show (``events.task_data``).
    view = _EventTask(unit, task)
    view.created_at = now
    if task.start not in (states.WAITING, states.IDLE) or _starts(task):
        view.started_at = now
    if task.state in states.COMPLETED:
        view.finished_at = now
    unit.insert_later(
        models.TaskExecution, wf_ex.id, id=task.id, name=task.name,
        type=task.type, workflow_execution_id=wf_ex.id,
        workflow_name=wf_ex.name, workflow_id=wf_ex.workflow_id,
        workflow_namespace=wf_ex.workflow_namespace, state=task.state,
        project_id=wf_ex.project_id, user_id=wf_ex.user_id,
        created_at=now, started_at=view.started_at,
        finished_at=view.finished_at, **task.values)
    LOG.debug("Task execution %s (%s) of workflow execution %s created in "
              "state %s", task.id, task.name, wf_ex.id, task.state,
              extra=logcontext.ids(execution_id=wf_ex.id, task_id=task.id))
    if task.start == states.RUNNING:
        events.emit_task(unit, wf_ex, view, states.RUN)
    _emit_moves(unit, wf_ex, task, view)


def _update_task(unit, wf_ex, task):
    """Stage the task's compare-and-set: the tasks of every execution a
    unit of work moves are written in one statement."""
    values = dict(task.values, state=task.state)
    view = _EventTask(unit, task)
    if _starts(task):
        values["started_at"] = view.started_at = models.utcnow()
        values["finished_at"] = view.finished_at = None
    if task.state in states.COMPLETED:
        values["finished_at"] = view.finished_at = models.utcnow()
        metrics.task_finished(unit, wf_ex.name, task.state, view.started_at,
                              values["finished_at"])
    unit.update_task_later(wf_ex.id, task.id, task.start, **values)
    if task.state != task.start:
        LOG.debug("Task execution %s moved from %s to %s (%s)", task.id,
                  task.start, task.state, ", ".join(task.events),
                  extra=logcontext.ids(task_id=task.id))
    _emit_moves(unit, wf_ex, task, view)


def _abort_actions(unit, abort):
    for action_ex in db_snapshots.get_action_executions_of_task(
            unit.session, abort.task_ex_id):
        if action_ex.state in (states.RUNNING, states.PAUSED):
            move(unit, "action", action_ex.id, action_ex.state,
                 abort.event, state_info=abort.state_info)
            db_outbox.ack(unit.session, db_outbox.RUN_ACTION, [action_ex.id])


def _stage_action(unit, wf_ex, run, send_at):
    params = action_params.ActionParams(
        index=run.index, gen=run.gen, safe_rerun=run.safe_rerun,
        target=run.target,
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
    for change in changes:
        events.emit_workflow(unit, wf_ex, change.event, change.after,
                             change.state_info, change.output)
    last = changes[-1]
    state = last.after
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
                          payload, send_at)]
