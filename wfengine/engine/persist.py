"""Load conductor snapshots from rows and write conductor plans back.

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
import threading
import types
import uuid

from wfengine import exceptions
from wfengine import logcontext
from wfengine import metrics
from wfengine.db import api as db_api
from wfengine.db import models
from wfengine.engine import events
from wfengine.engine import states
from wfengine.engine import taskset
from wfengine.engine import views
from wfengine.engine import with_items
from wfengine.lang import spec as lang_spec

LOG = logging.getLogger(__name__)

# Outbox kinds: sent to executors, or handled by an engine itself.
RUN_ACTION = "run_action"
TIMER = "timer"
START_SUBWORKFLOW = "start_subworkflow"
SUBWORKFLOW_DONE = "subworkflow_done"
WORKFLOW_COMMAND = "workflow_command"
PARENT_RERUN = "parent_rerun"
ENGINE_KINDS = (TIMER, START_SUBWORKFLOW, SUBWORKFLOW_DONE, WORKFLOW_COMMAND,
                PARENT_RERUN)

# Tasks are written by _update_task, staged (see db_api.update_task_later).
_MODELS = {"workflow": models.WorkflowExecution,
           "action": models.ActionExecution}

_SPEC_CACHE_SIZE = 1024
_spec_cache = collections.OrderedDict()
_spec_lock = threading.Lock()


def move(session, entity, obj_id, current, event, **values):
    """Move one execution by ``event`` with a compare-and-set.

    :param entity: ``"workflow"`` or ``"action"``.
    :param current: the state the caller saw (the CAS guard).
    :returns: the new state.
    :raises InvalidStateTransition: the event is not allowed in ``current``.
    :raises Conflict: the row is no longer in ``current``.
    """
    new = states.transition(entity, current, event)
    _write(session, entity, obj_id, current, new, event, values)
    return new


def _write(session, entity, obj_id, current, new, why, values):
    values["state"] = new
    if not db_api.cas_update(session, _MODELS[entity], obj_id, [current],
                             **values):
        raise exceptions.Conflict(
            "%s execution %s is no longer %s" % (entity, obj_id, current))
    if new != current:
        # Workflow moves at INFO; the many action moves at DEBUG (a log
        # line per task cost the engine a third of its throughput).
        LOG.log(logging.INFO if entity == "workflow" else logging.DEBUG,
                "%s execution %s moved from %s to %s (%s)",
                entity.capitalize(), obj_id, current, new, why)


def workflow_spec(session, wf_ex):
    """The execution's spec object, cached: an execution's spec is fixed."""
    with _spec_lock:
        spec = _spec_cache.get(wf_ex.id)
        if spec is not None:
            _spec_cache.move_to_end(wf_ex.id)
            return spec
    spec = lang_spec.WorkflowSpec.from_dict(
        db_api.get_execution_spec(session, wf_ex.id))
    remember_spec(wf_ex.id, spec)
    return spec


def definition_spec(session, wf_def):
    """The spec object of a workflow definition row, cached until the
    definition changes (its ``updated_at`` moves)."""
    key = ("definition", wf_def.id, wf_def.updated_at or wf_def.created_at)
    with _spec_lock:
        spec = _spec_cache.get(key)
    if spec is None:
        spec = lang_spec.WorkflowSpec.from_dict(
            db_api.get_definition_spec(session, wf_def.id))
        remember_spec(key, spec)
    return spec


def remember_spec(key, spec):
    """Cache the spec of a new execution (or of a definition)."""
    with _spec_lock:
        _spec_cache[key] = spec
        while len(_spec_cache) > _SPEC_CACHE_SIZE:
            _spec_cache.popitem(last=False)


def workflow_view(session, wf_ex, data=None):
    """The conductor's view of ``wf_ex``; if the row leaves out the
    context and input (and ``data`` does not give them), the view reads
    them when first needed."""
    params = wf_ex.params or {}
    view = views.WorkflowView(
        id=wf_ex.id, name=wf_ex.name, state=wf_ex.state,
        spec=workflow_spec(session, wf_ex), env=params.get("env") or {},
        params=params, created_at=_time(wf_ex.created_at),
        load_data=lambda: db_api.get_execution_data(session, wf_ex.id))
    if data is not None:
        view.data_loaded(*data)
    elif hasattr(wf_ex, "context"):
        view.data_loaded(wf_ex.context, wf_ex.input)
    return view


class DbTaskSet(taskset.TaskSet):
    """An execution's tasks, read from the database as the conductor asks.

    Only the small columns are read, and only of the tasks a question is
    about; a task's ``in_context`` and ``published`` are read when first
    needed. ``originals`` keeps the state each task had when read: the
    compare-and-set guard for writing the plan back.
    """

    _BUSY = tuple(s for s in states.ACTIVE if s != states.WAITING)

    def __init__(self, session, wf_ex_id, known=()):
        """:param known: ``(row, with_data)`` of tasks read already."""
        super().__init__()
        self._session = session
        self._wf_ex_id = wf_ex_id
        self._complete = False
        self.originals = {}
        for row, with_data in known:
            self._view(row, with_data)

    def _read(self, **filters):
        if self._complete:
            return []
        rows = db_api.get_task_states_for_engine(
            self._session, self._wf_ex_id, **filters)
        return [self._view(row, filters.get("with_data")) for row in rows]

    def _view(self, row, with_data=False):
        view = self._views.get(row.id)
        if view is None:
            view = self.add(views.TaskView(
                id=row.id, name=row.name, state=row.state,
                state_info=row.state_info,
                runtime_context=dict(row.runtime_context or {}),
                processed=row.processed,
                load_data=self._data_loader(row.id),
                load_result=_result_loader(self._session, row.id,
                                           row.runtime_context)))
            self.originals[row.id] = row.state
            view.started_at = getattr(row, "started_at", None)
        if with_data:
            # A view known already keeps the data it has.
            view.data_loaded(row.in_context, row.published)
        return view

    def _data_loader(self, task_ex_id):
        def load():
            return db_api.get_task_data(self._session, [task_ex_id]).get(
                task_ex_id, ({}, {}))
        return load

    def load_data(self, views_):
        missing = [v for v in views_ if not v.has_data]
        if len(missing) > 1:
            loaded = db_api.get_task_data(self._session,
                                          [v.id for v in missing])
            for view in missing:
                view.data_loaded(*loaded.get(view.id, ({}, {})))

    def get(self, task_ex_id, with_data=False):
        """The task's view; ``with_data`` reads its data in the same query
        if it is not known yet."""
        view = super().get(task_ex_id)
        if view is None:
            self._read(ids=[task_ex_id], with_data=with_data)
            view = super().get(task_ex_id)
        return view

    def waiting(self, name):
        self._read(name=name, in_states=[states.WAITING])
        return super().waiting(name)

    def named(self, name):
        self._read(name=name)
        return super().named(name)

    def busy(self):
        if super().busy():
            return True
        return not self._complete and db_api.count_tasks_in_states(
            self._session, self._wf_ex_id, self._BUSY, list(self._views)) > 0

    def waiting_joins(self):
        self._read(in_states=[states.WAITING])
        return super().waiting_joins()

    def unhandled_errors(self):
        self._read(in_states=[states.ERROR])
        return super().unhandled_errors()

    def all(self, with_data=False):
        stored = self._read(with_data=with_data)
        if not self._complete:
            self._complete = True
            known = {v.id for v in stored}
            self._views = {v.id: v for v in stored + [
                v for v in self._views.values() if v.id not in known]}
        return super().all()


def _result_loader(session, task_ex_id, runtime_context):
    runtime_context = runtime_context or {}
    if with_items.KEY in runtime_context:
        generation = runtime_context.get(with_items.GENERATION, 0)
        return lambda: db_api.get_item_results(session, task_ex_id,
                                               generation)
    return lambda: db_api.get_task_result(session, task_ex_id)


def apply_plan(session, wf_ex, cond, original_states, plan, send_after):
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
            _update_task(session, wf_ex, cond.tasks.get(task_id),
                         original_states[task_id], chain)
    for new in plan.new_tasks:
        _insert_task(session, wf_ex, cond.tasks.get(new.id), new.state,
                     chains[new.id])
    for abort in plan.aborts:
        _abort_actions(session, abort)
    now = models.utcnow()
    resend = now + datetime.timedelta(seconds=send_after)
    outbox = [_stage_action(session, wf_ex, cond, run, resend)
              for run in plan.run_actions]
    outbox += [_stage_subworkflow(session, wf_ex, sub, resend)
               for sub in plan.subworkflows]
    outbox += [_stage_timer(session, wf_ex, timer, now)
               for timer in plan.timers]
    if plan.params is not None:
        db_api.cas_update(session, models.WorkflowExecution, wf_ex.id,
                          [wf_ex.state], params=plan.params)
    if plan.context is not None:
        db_api.cas_update(session, models.WorkflowExecution, wf_ex.id,
                          [wf_ex.state], context=plan.context)
    if plan.workflow_changes:
        outbox += _move_workflow(session, wf_ex, plan.workflow_changes,
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


def _emit_chain(session, wf_ex, view, start, chain):
    state = start
    for event in chain:
        before, state = state, states.transition("task", state, event)
        if event != states.RUN or before in (states.WAITING, states.IDLE):
            events.emit_task(session, wf_ex, view, event)


def _insert_task(session, wf_ex, view, initial, chain):
    _walk(view.id, initial, chain, view.state)
    now = models.utcnow()
    db_api.insert_later(
        session, models.TaskExecution, wf_ex.id, id=view.id, name=view.name,
        type=workflow_spec(session, wf_ex).tasks[view.name].type,
        workflow_execution_id=wf_ex.id, workflow_name=wf_ex.name,
        workflow_id=wf_ex.workflow_id,
        workflow_namespace=wf_ex.workflow_namespace, state=view.state,
        state_info=view.state_info, in_context=view.in_context,
        published=view.published, runtime_context=view.runtime_context,
        processed=view.processed, project_id=wf_ex.project_id,
        created_at=now, started_at=now,
        finished_at=now if view.state in states.COMPLETED else None)
    LOG.debug("Task execution %s (%s) of workflow execution %s created in "
              "state %s", view.id, view.name, wf_ex.id, view.state,
              extra=logcontext.ids(execution_id=wf_ex.id, task_id=view.id))
    if initial == states.RUNNING:
        events.emit_task(session, wf_ex, view, states.RUN)
    _emit_chain(session, wf_ex, view, initial, chain)


def _update_task(session, wf_ex, view, original, chain):
    """Stage the task's compare-and-set: the tasks of every execution a
    unit of work moves are written in one statement."""
    _walk(view.id, original, chain, view.state)
    values = dict(state=view.state, state_info=view.state_info,
                  runtime_context=view.runtime_context,
                  processed=view.processed)
    for name in view.data_changed:
        values[name] = getattr(view, name)
    if view.state in states.COMPLETED:
        values["finished_at"] = models.utcnow()
        metrics.task_finished(session, wf_ex.name, view.state, getattr(
            view, "started_at", None), values["finished_at"])
    db_api.update_task_later(session, wf_ex.id, view.id, original, **values)
    if view.state != original:
        LOG.debug("Task execution %s moved from %s to %s (%s)", view.id,
                  original, view.state, ", ".join(chain),
                  extra=logcontext.ids(task_id=view.id))
    _emit_chain(session, wf_ex, view, original, chain)


def _abort_actions(session, abort):
    for action_ex in db_api.get_action_executions_of_task(
            session, abort.task_ex_id):
        if action_ex.state == states.RUNNING:
            move(session, "action", action_ex.id, states.RUNNING,
                 abort.event, state_info=abort.state_info)
            db_api.outbox_ack(session, RUN_ACTION, [action_ex.id])


def _stage_action(session, wf_ex, cond, run, send_at):
    params = {}
    if run.index is not None:
        params["index"] = run.index
        params["gen"] = cond.tasks.get(run.task_ex_id).runtime_context.get(
            with_items.GENERATION, 0)
    if run.safe_rerun:
        params["safe_rerun"] = True
    if run.target:
        params["target"] = run.target
    if run.adhoc_id:
        params["adhoc"] = {"id": run.adhoc_id, "base": run.base_name,
                           "base_input": run.base_input}
    values = dict(
        id=run.id, name=run.name, task_execution_id=run.task_ex_id,
        workflow_execution_id=wf_ex.id, workflow_name=wf_ex.name,
        workflow_namespace=wf_ex.workflow_namespace, task_name=run.task_name,
        state=states.RUNNING, input=run.input, params=params or None,
        is_sync=True, project_id=wf_ex.project_id,
        created_at=models.utcnow())
    db_api.insert_later(session, models.ActionExecution, wf_ex.id, **values)
    return stage_run(session, types.SimpleNamespace(**values), send_at,
                     later=True)


def stage_standalone_action(session, msg, base, base_input, adhoc_id):
    """An action execution that belongs to no workflow (``POST
    /v2/action_executions``)."""
    params = {}
    if msg.target:
        params["target"] = msg.target
    if adhoc_id:
        params["adhoc"] = {"id": adhoc_id, "base": base,
                           "base_input": base_input}
    action_ex = db_api.add(session, models.ActionExecution(
        id=str(uuid.uuid4()), name=msg.name, description=msg.description,
        workflow_namespace=msg.namespace, state=states.RUNNING,
        input=msg.input, params=params or None, is_sync=True))
    LOG.info("Action execution %s (%s) created outside any workflow",
             action_ex.id, msg.name)
    return action_ex


def stage_run(session, action_ex, send_at, later=False):
    """Stage the message that hands an action execution to an executor
    (``later``: with the execution's other new rows).

    The row keeps no copy of the action's input, which can be large and
    is in the action execution already: the send right after commit
    takes it from ``action_ex``, a resend from the action execution's row
    (see ``claim_due``).
    """
    params = action_ex.params or {}
    adhoc = params.get("adhoc") or {}
    payload = {"action_ex_id": action_ex.id,
               "action_name": adhoc.get("base", action_ex.name),
               "task_ex_id": action_ex.task_execution_id,
               "task_name": action_ex.task_name,
               "wf_ex_id": action_ex.workflow_execution_id,
               "wf_name": action_ex.workflow_name,
               "safe_rerun": bool(params.get("safe_rerun")),
               "target": params.get("target")}
    row = db_api.outbox_add(
        session, RUN_ACTION, action_ex.id, payload, send_at,
        later_for=action_ex.workflow_execution_id if later else None)
    return row._replace(payload=dict(
        payload, action_input=_input_to_run(action_ex.input, params)))


def _input_to_run(action_input, params):
    """What the executor runs an action with: an ad-hoc action's base
    action takes the input its definition made of the task's."""
    adhoc = (params or {}).get("adhoc") or {}
    return adhoc.get("base_input", action_input)


def claim_due(session, now, resend_after):
    """The outbox rows due for a send (``db_api.outbox_claim_due``), as
    ``OutboxRow`` values, each ``run_action`` with its action's input
    read back from the action execution. A row whose action execution is
    gone is dropped."""
    rows = db_api.outbox_claim_due(session, now, resend_after)
    # Rows written before runs left their input out still carry it.
    without_input = {r.id: r.ref_id for r in rows if r.kind == RUN_ACTION
                     and "action_input" not in r.payload}
    runs = db_api.get_action_run_inputs(session,
                                        list(without_input.values()))
    due, gone = [], []
    for r in rows:
        payload = r.payload
        if r.id in without_input:
            action = runs.get(r.ref_id)
            if action is None:
                gone.append(r.ref_id)
                continue
            payload = dict(payload, action_input=_input_to_run(
                action.input, action.params))
        due.append(db_api.OutboxRow(r.id, r.kind, r.ref_id, payload,
                                    r.next_send_at, r.attempts))
    if gone:
        db_api.flush(session)  # the claim's updates, before the delete
        db_api.outbox_ack(session, RUN_ACTION, gone)
    return due


def _stage_subworkflow(session, wf_ex, sub, send_at):
    payload = {"wf_ex_id": wf_ex.id, "task_ex_id": sub.task_ex_id,
               "workflow_name": sub.workflow_name, "input": sub.input,
               "env": sub.env}
    return db_api.outbox_add(session, START_SUBWORKFLOW, sub.task_ex_id,
                             payload, send_at)


def _stage_timer(session, wf_ex, timer, now):
    due = now + datetime.timedelta(seconds=timer.delay)
    payload = {"wf_ex_id": wf_ex.id, "task_ex_id": timer.task_ex_id,
               "kind": timer.kind}
    return db_api.outbox_add(session, TIMER, timer.task_ex_id, payload, due)


def _move_workflow(session, wf_ex, changes, send_at):
    state = wf_ex.state
    for change in changes:
        state = states.transition("workflow", state, change.event)
        events.emit_workflow(session, wf_ex, change.event, state,
                             change.state_info, change.output)
    last = changes[-1]
    values = {"state_info": last.state_info}
    if state in states.COMPLETED:
        values["output"] = last.output
    _write(session, "workflow", wf_ex.id, wf_ex.state, state,
           ", ".join(c.event for c in changes), values)
    if state in states.COMPLETED and state != wf_ex.state:
        metrics.execution_finished(session, wf_ex.name, state)
    if state not in states.COMPLETED or not wf_ex.task_execution_id:
        return []
    # A sub-workflow hands its outcome to the parent task: a row any engine
    # processes, so the parent is locked in a unit of work of its own.
    payload = {"task_ex_id": wf_ex.task_execution_id, "wf_ex_id": wf_ex.id,
               "state": state, "output": last.output,
               "state_info": last.state_info}
    return [db_api.outbox_add(session, SUBWORKFLOW_DONE, wf_ex.id, payload,
                              send_at)]


def stage_cascade(session, wf_ex, plan, send_after):
    """Rows that carry an operator request to related executions.

    Pause, resume and cancel reach the sub-workflow executions; a failed
    sub-workflow execution that runs again takes its parent chain back to
    RUNNING, so that its outcome reaches the root.
    """
    send_at = models.utcnow() + datetime.timedelta(seconds=send_after)
    rows = []
    moves = [c.event for c in plan.workflow_changes]
    for command in (states.PAUSE, states.RESUME, states.CANCEL):
        if command in moves:
            for child_id in db_api.get_child_execution_ids(session,
                                                           wf_ex.id):
                rows.append(db_api.outbox_add(
                    session, WORKFLOW_COMMAND, child_id,
                    {"wf_ex_id": child_id, "command": command}, send_at))
    reopened = wf_ex.state == states.ERROR and plan.workflow_changes and \
        moves[0] in (states.RERUN, states.RESUME)
    if reopened and wf_ex.task_execution_id:
        rows.append(db_api.outbox_add(
            session, PARENT_RERUN, wf_ex.task_execution_id,
            {"task_ex_id": wf_ex.task_execution_id}, send_at))
    return rows


def _time(value):
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else None
