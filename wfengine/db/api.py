"""The engine's reads, locks and deletes. Every function takes the
session; none commits.

The compare-and-set writes are in ``cas``, the outbox in ``outbox``, a
unit of work's staged writes in ``unit``, the statement helpers in
``statements``. The API's reads and definition writes are in ``listing``,
``queries`` and ``definitions``; listeners and deliveries in
``notifications``.
"""
import sqlalchemy as sa
from sqlalchemy import orm

from wfengine import action_params
from wfengine import exceptions
from wfengine import state_names as states
from wfengine.db import models
from wfengine.db import outbox
from wfengine.db import statements as st

_WF = models.WorkflowExecution.__table__
_TASK = models.TaskExecution.__table__
_ACTION = models.ActionExecution.__table__

# ---- Definitions ----

_DEF = models.WorkflowDefinition.__table__
_FIND_DEF = sa.select(*[c for c in _DEF.c if c.name not in (
    "definition", "spec")]).where(sa.or_(
        _DEF.c.id == sa.bindparam("ident"),
        sa.and_(_DEF.c.name == sa.bindparam("ident"),
                _DEF.c.namespace.in_([sa.bindparam("ns"),
                                      sa.bindparam("default_ns")]))))
_DEF_SPEC = sa.select(_DEF.c.spec).where(_DEF.c.id == sa.bindparam("id"))


def find_workflow_definition(session, identifier, namespace=""):
    """A workflow definition (without its text and spec, as a read-only
    row) by id, or by name within ``namespace``.

    A name not found in ``namespace`` is looked up in the default (empty)
    namespace, as Mistral does.

    :raises NotFound: naming the identifier and the namespace.
    """
    rows = st.run(session, _FIND_DEF, {
        "ident": identifier, "ns": namespace or "", "default_ns": ""}).all()
    for wanted in (lambda r: r.id == identifier,
                   lambda r: r.namespace == (namespace or ""),
                   lambda r: r.namespace == ""):
        found = [r for r in rows if wanted(r)]
        if found:
            return found[0]
    raise exceptions.NotFound(
        "Workflow not found [name=%s, namespace=%s]"
        % (identifier, namespace or ""))


def get_definition_spec(session, wf_def_id):
    """The spec (a dict) of a workflow definition."""
    return st.run(session, _DEF_SPEC, {"id": wf_def_id}).scalar_one()


# ---- Deployment secrets ----

def get_or_create_service_key(session, name, make_value):
    """The shared secret ``name``, made with ``make_value()`` if absent.

    Two processes making it at once: the second insert fails on the
    primary key and the caller's unit of work retries, reading the first.
    """
    row = session.get(models.ServiceKey, name)
    if row is None:
        row = add(session, models.ServiceKey(name=name, value=make_value(),
                                             created_at=models.utcnow()))
        flush(session)
    return row.value


# ---- Engine: executions ----

def add(session, obj):
    """Stage a new row; it is written when the unit of work commits."""
    session.add(obj)
    return obj


def flush(session):
    """Write staged rows now, turning a unique violation into an error."""
    with st.duplicate_as_error():
        session.flush()


# The large columns are left out: the engine caches the spec per
# execution and reads it (get_execution_spec) only on a miss; context and
# input (get_execution_data) only when an expression needs them.
_WF_SMALL = [c for c in _WF.c if c.name not in (
    "spec", "context", "input", "output")]
_WF_SMALL_NAMES = tuple(c.name for c in _WF_SMALL if c.name != "id")
_LOCK_WF = (sa.select(*_WF_SMALL).where(_WF.c.id == sa.bindparam("id"))
            .with_for_update())
_LOCK_WF_WITH_DATA = (sa.select(*[c for c in _WF.c if c.name not in (
    "spec", "output")])
                      .where(_WF.c.id == sa.bindparam("id"))
                      .with_for_update())
_WF_SPEC = sa.select(_WF.c.spec).where(_WF.c.id == sa.bindparam("id"))


def lock_workflow_execution(session, wf_ex_id, with_data=False):
    """Load a workflow execution (as a read-only row, without its spec and
    output, and without context and input unless ``with_data``) and hold
    its row lock until commit.

    This is what serializes the changes of one execution across engine
    processes: PostgreSQL takes a row lock (``FOR UPDATE``); SQLite already
    holds the database write lock since ``BEGIN IMMEDIATE``.

    :param with_data: also read ``context`` and ``input``.
    :raises NotFound: no such execution.
    """
    wf_ex = st.run(session, _LOCK_WF_WITH_DATA if with_data else _LOCK_WF,
                 {"id": wf_ex_id}).one_or_none()
    if wf_ex is None:
        raise exceptions.NotFound(
            "Workflow execution not found [id=%s]" % wf_ex_id)
    return wf_ex


def lock_workflow_executions(session, wf_ex_ids):
    """``lock_workflow_execution`` for several executions in one statement:
    their rows (without data) by id, locked in id order, so that two
    engines locking overlapping sets never deadlock. A missing id is
    missing from the answer."""
    return st.rows_by_id(session, _WF, _WF_SMALL_NAMES, wf_ex_ids,
                         lock=True)


def get_execution_workflow_id(session, wf_ex_id):
    """The ``workflow_id`` of a workflow execution; None if there is no
    execution with this id."""
    row = st.rows_by_id(session, _WF, ("workflow_id",), [wf_ex_id]).get(
        wf_ex_id)
    return None if row is None else row.workflow_id


def get_executions_data(session, wf_ex_ids):
    """``{id: (context, input)}`` of the workflow executions given."""
    rows = st.rows_by_id(session, _WF, ("context", "input"), wf_ex_ids)
    return {i: (row.context, row.input) for i, row in rows.items()}


def get_execution_data(session, wf_ex_id):
    """``(context, input)`` of a workflow execution."""
    return get_executions_data(session, [wf_ex_id])[wf_ex_id]


def get_execution_spec(session, wf_ex_id):
    """The spec (a dict) a workflow execution runs."""
    return st.run(session, _WF_SPEC, {"id": wf_ex_id}).scalar_one()


# What the engine reads of a task to decide, and its (large) data.
_TASK_SMALL = ("name", "state", "state_info", "processed", "runtime_context")
_TASK_DATA = ("in_context", "published")


def get_task_states_for_engine(session, wf_ex_id, ids=None, name=None,
                               in_states=None, with_data=False):
    """The small columns of an execution's task executions, oldest first:
    id, name, state, state_info, processed, runtime_context.

    :param ids: only these tasks; :param name: only tasks of that name;
    :param in_states: only tasks in one of these states;
    :param with_data: also ``in_context`` and ``published``.
    """
    ids = None if ids is None else list(ids)
    in_states = None if in_states is None else list(in_states)
    shape = (ids is not None and st.arity(ids), name is not None,
             in_states is not None and st.arity(in_states), with_data)

    def build():
        t = _TASK.c
        names = ("id",) + _TASK_SMALL + (_TASK_DATA if with_data else ())
        stmt = (sa.select(*[t[n] for n in names])
                .where(t.workflow_execution_id == sa.bindparam("wf"))
                .order_by(t.created_at, t.id))
        if ids is not None:
            stmt = stmt.where(st.in_(t.id, "ids", st.arity(ids)))
        if name is not None:
            stmt = stmt.where(t.name == sa.bindparam("name"))
        if in_states is not None:
            stmt = stmt.where(st.in_(t.state, "states", st.arity(in_states)))
        return stmt
    params = {"wf": wf_ex_id, "name": name}
    params.update(st.in_params("ids", ids or ()))
    params.update(st.in_params("states", in_states or ()))
    return list(st.run(session, st.once(("task states",) + shape, build),
                     params))


def get_tasks_for_engine(session, task_ex_ids, with_data=False):
    """``{id: row}`` of the task executions given, of any executions:
    the columns of ``get_task_states_for_engine`` and
    ``workflow_execution_id``; a missing id is missing.

    :param with_data: also ``in_context`` and ``published``.
    """
    columns = ("workflow_execution_id",) + _TASK_SMALL + (
        _TASK_DATA if with_data else ())
    return st.rows_by_id(session, _TASK, columns, task_ex_ids)


def count_tasks_in_states(session, wf_ex_id, in_states, exclude_ids=()):
    """How many of an execution's tasks are in ``in_states``, leaving out
    ``exclude_ids`` (those the caller holds in memory)."""
    in_states, exclude_ids = list(in_states), list(exclude_ids)

    def build():
        t = _TASK.c
        stmt = sa.select(sa.func.count()).where(
            t.workflow_execution_id == sa.bindparam("wf"),
            st.in_(t.state, "states", st.arity(in_states)))
        if exclude_ids:
            stmt = stmt.where(st.in_(t.id, "ids", st.arity(exclude_ids),
                                  negate=True))
        return stmt
    stmt = st.once(("count tasks", st.arity(in_states),
                  bool(exclude_ids) and st.arity(exclude_ids)), build)
    params = {"wf": wf_ex_id}
    params.update(st.in_params("states", in_states))
    params.update(st.in_params("ids", exclude_ids))
    return st.run(session, stmt, params).scalar_one()


def get_task_data(session, task_ex_ids):
    """``{id: (in_context, published)}`` of the task executions given."""
    rows = st.rows_by_id(session, _TASK, _TASK_DATA, task_ex_ids)
    return {i: (row.in_context, row.published) for i, row in rows.items()}


def get_action_execution_for_engine(session, action_ex_id):
    """One action execution (every column but ``input`` and ``output``,
    as a read-only row), or None."""
    return get_action_executions_for_engine(
        session, [action_ex_id]).get(action_ex_id)


# Input and output can be large, and taking a result needs neither.
_ACTION_FOR_ENGINE = tuple(c.name for c in _ACTION.c
                           if c.name not in ("id", "input", "output"))


def get_action_executions_for_engine(session, action_ex_ids):
    """``{id: row}`` of the action executions given (as
    ``get_action_execution_for_engine``); a missing id is missing."""
    return st.rows_by_id(session, _ACTION, _ACTION_FOR_ENGINE, action_ex_ids)


def get_action_run_inputs(session, action_ex_ids):
    """``{id: row}`` with the ``input`` and ``params`` of the action
    executions given; a missing id is missing."""
    return st.rows_by_id(session, _ACTION, ("input", "params"), action_ex_ids)


def get_action_executions_of_task(session, task_ex_id):
    stmt = (sa.select(models.ActionExecution)
            .where(models.ActionExecution.task_execution_id == task_ex_id)
            .options(orm.undefer(models.ActionExecution.output))
            .order_by(models.ActionExecution.created_at))
    return list(session.execute(stmt).scalars())


def get_child_execution_ids(session, wf_ex_id):
    """Ids of the not yet completed sub-workflow executions of an execution."""
    wf, task = models.WorkflowExecution, models.TaskExecution
    parent_tasks = sa.select(task.id).where(
        task.workflow_execution_id == wf_ex_id)
    stmt = sa.select(wf.id).where(
        wf.task_execution_id.in_(parent_tasks),
        wf.state.in_(states.UNFINISHED_WORKFLOW))
    return list(session.execute(stmt).scalars())


def update_description(session, wf_ex_id, description):
    """Set an execution's description; False if there is no such row."""
    model = models.WorkflowExecution
    stmt = (sa.update(model).where(model.id == wf_ex_id)
            .values(description=description, updated_at=models.utcnow())
            .execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount == 1


def get_task_execution_for_engine(session, task_ex_id):
    """One task execution (without its data), or None."""
    return session.get(models.TaskExecution, task_ex_id)


def _latest_item_runs(session, task_ex_id, generation):
    """index -> (state, output) of each item's latest run in a generation
    of a with-items task (an item re-run counts with its latest run)."""
    model = models.ActionExecution
    stmt = (sa.select(model.params, model.state, model.output)
            .where(model.task_execution_id == task_ex_id)
            .order_by(model.created_at))
    return action_params.latest_item_runs(session.execute(stmt), generation)


def get_item_results(session, task_ex_id, generation):
    """Results of a with-items task's items of one generation, by index."""
    latest = _latest_item_runs(session, task_ex_id, generation)
    return [((latest.get(i) or (None, None))[1] or {}).get("result")
            for i in range(len(latest))]


def get_failed_item_indexes(session, task_ex_id, generation):
    """Indexes of a with-items task's items whose latest run failed."""
    latest = _latest_item_runs(session, task_ex_id, generation)
    return sorted(i for i, (state, _) in latest.items()
                  if state == states.ERROR)


def get_task_result(session, task_ex_id):
    """A task's result: its latest accepted action or sub-workflow output
    (a with-items task's is ``get_item_results``)."""
    action, wf = models.ActionExecution, models.WorkflowExecution
    stmt = (sa.select(action.output).where(
        action.task_execution_id == task_ex_id, action.accepted.is_(True))
        .order_by(action.created_at.desc()).limit(1))
    output = session.execute(stmt).scalar_one_or_none()
    if output is not None:
        return output.get("result")
    stmt = (sa.select(wf.output).where(wf.task_execution_id == task_ex_id)
            .order_by(wf.created_at.desc()).limit(1))
    return session.execute(stmt).scalar_one_or_none()


def delete_workflow_execution(session, wf_ex, allowed_states):
    """Delete an execution with its sub-workflows, tasks, action executions
    and the outbox rows about them.

    :param wf_ex: the execution, locked by the caller.
    :param allowed_states: states the execution may be in (None: any).
    :raises Conflict: its state is not one of ``allowed_states``.
    """
    if allowed_states is not None and wf_ex.state not in allowed_states:
        raise exceptions.Conflict(
            "Cannot delete workflow execution %s in state %s: only "
            "executions in %s can be deleted (use force to override)"
            % (wf_ex.id, wf_ex.state, ", ".join(sorted(allowed_states))))
    wf, task, action = (models.WorkflowExecution, models.TaskExecution,
                        models.ActionExecution)
    wf_ids = [wf_ex.id] + list(session.execute(
        sa.select(wf.id).where(wf.root_execution_id == wf_ex.id)).scalars())
    task_ids = sa.select(task.id).where(
        task.workflow_execution_id.in_(wf_ids))
    action_ids = sa.select(action.id).where(
        action.workflow_execution_id.in_(wf_ids))
    outbox = models.OutboxMessage
    for ref_ids in (action_ids, task_ids, wf_ids):
        session.execute(sa.delete(outbox).where(outbox.ref_id.in_(ref_ids))
                        .execution_options(synchronize_session=False))
    for model, column in ((action, action.workflow_execution_id),
                          (task, task.workflow_execution_id), (wf, wf.id)):
        session.execute(sa.delete(model).where(column.in_(wf_ids))
                        .execution_options(synchronize_session=False))


def find_executions(session, wf_ex_id=None, root_execution_id=None,
                    state=None, from_time=None, to_time=None, limit=1000):
    """Workflow executions as plain dicts, newest first, for the
    ``executions()`` expression function (at most ``limit``)."""
    model = models.WorkflowExecution
    stmt = (sa.select(model).options(orm.undefer(model.input),
                                     orm.undefer(model.output))
            .order_by(model.created_at.desc()).limit(limit))
    for column, value in ((model.id, wf_ex_id),
                          (model.root_execution_id, root_execution_id),
                          (model.state, state)):
        if value is not None:
            stmt = stmt.where(column == value)
    if from_time is not None:
        stmt = stmt.where(model.created_at >= from_time)
    if to_time is not None:
        stmt = stmt.where(model.created_at < to_time)
    return [{"id": e.id, "name": e.name, "state": e.state,
             "state_info": e.state_info, "input": e.input,
             "output": e.output, "root_execution_id": e.root_execution_id,
             "task_execution_id": e.task_execution_id,
             "created_at": str(e.created_at),
             "updated_at": str(e.updated_at) if e.updated_at else None}
            for e in session.execute(stmt).scalars()]


def find_tasks(session, wf_ex_id, recursive=False, state=None, flat=False):
    """Task executions of an execution as plain dicts, for ``tasks()``.

    :param recursive: also the tasks of its sub-workflow executions, at
        every depth. :param flat: leave out the tasks that ran a
        sub-workflow.
    """
    wf, task = models.WorkflowExecution, models.TaskExecution
    wf_ids, frontier = [wf_ex_id], [wf_ex_id]
    while recursive and frontier:
        parents = sa.select(task.id).where(
            task.workflow_execution_id.in_(frontier))
        frontier = list(session.execute(sa.select(wf.id).where(
            wf.task_execution_id.in_(parents))).scalars())
        wf_ids += frontier
    stmt = (sa.select(task).options(orm.undefer(task.published))
            .where(task.workflow_execution_id.in_(wf_ids))
            .order_by(task.created_at))
    if state is not None:
        stmt = stmt.where(task.state == state)
    if flat:
        stmt = stmt.where(task.type != "WORKFLOW")
    return [{"id": t.id, "name": t.name, "state": t.state,
             "state_info": t.state_info, "published": t.published,
             "type": t.type, "workflow_execution_id":
             t.workflow_execution_id} for t in session.execute(stmt).scalars()]


def delete_action_execution(session, action_ex_id):
    """Delete a finished action execution and its outbox rows.

    :raises NotFound: no such action execution.
    :raises Conflict: it is not finished.
    """
    action_ex = session.get(models.ActionExecution, action_ex_id)
    if action_ex is None:
        raise exceptions.NotFound(
            "Action execution not found [id=%s]" % action_ex_id)
    if action_ex.state not in states.RESULTS:
        raise exceptions.Conflict(
            "Action execution %s is %s: only a finished one (SUCCESS, "
            "ERROR, CANCELLED) can be deleted" % (action_ex_id,
                                                  action_ex.state))
    outbox.ack(session, outbox.RUN_ACTION, [action_ex_id])
    session.delete(action_ex)


# ---- Executors' liveness ----

def executor_heartbeat(session, name, started_at):
    """Record that executor ``name`` is alive now."""
    now = models.utcnow()
    row = session.get(models.ExecutorHeartbeat, name)
    if row is None:
        add(session, models.ExecutorHeartbeat(
            name=name, heartbeat_at=now, started_at=started_at))
    else:
        row.heartbeat_at = now


def find_orphaned_actions(session, silent_since, limit=100):
    """RUNNING synchronous actions of executors silent since the given time.

    An executor that never wrote a heartbeat counts as silent from the
    moment it claimed.
    """
    action, beat = models.ActionExecution, models.ExecutorHeartbeat
    last_seen = sa.func.coalesce(beat.heartbeat_at, action.claimed_at)
    stmt = (sa.select(action.id, action.claimed_by, action.executor)
            .outerjoin(beat, beat.name == action.executor)
            .where(action.state == states.RUNNING, action.is_sync.is_(True),
                   action.claimed_by.is_not(None),
                   last_seen < silent_since)
            .limit(limit))
    return list(session.execute(stmt))


def release_claim(session, action_ex_id, claim):
    """Undo a claim so the action can run elsewhere; True if it was ours."""
    model = models.ActionExecution
    stmt = (sa.update(model)
            .where(model.id == action_ex_id, model.state == states.RUNNING,
                   model.claimed_by == claim)
            .values(claimed_by=None, claimed_at=None, executor=None)
            .execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount == 1
