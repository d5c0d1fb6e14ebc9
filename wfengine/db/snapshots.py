"""What the engine reads to decide, under the execution's lock.

The execution's row (locked), its spec, context and input, the small
columns of the tasks a question is about and their large data when
needed, the action executions a result is about, the results of a task.
Core statements built once per shape (``statements``); every function
takes the session and none commits. A unit of work locks through
``Unit.lock_execution``, which writes what it staged first.
"""
import sqlalchemy as sa
from sqlalchemy import orm

from wfengine import action_params
from wfengine import exceptions
from wfengine import state_names as states
from wfengine.db import models
from wfengine.db import statements as st

# The column of a locked execution's row that says whether a listener
# takes its workflow's events (see ``_LISTENED``).
LISTENED = "listened"

_WF = models.WorkflowExecution.__table__
_TASK = models.TaskExecution.__table__
_ACTION = models.ActionExecution.__table__

# The large columns are left out: the engine caches the spec per
# execution and reads it (get_execution_spec) only on a miss; context and
# input (get_execution_data) only when an expression needs them.
_WF_SMALL = [c for c in _WF.c if c.name not in (
    "spec", "context", "input", "output")]
_WF_SMALL_NAMES = tuple(c.name for c in _WF_SMALL if c.name != "id")
_LISTENER = models.Listener.__table__
# Read with the lock: whether an enabled listener takes events of the
# execution's workflow. Most executions have none, and then the unit of
# work knows it without asking the listeners again (``Unit.lock_...``).
_LISTENED = sa.exists().where(
    _LISTENER.c.enabled.is_(True),
    sa.or_(_LISTENER.c.workflow_name.is_(None),
           _LISTENER.c.workflow_name == _WF.c.name)).label(
               LISTENED)
_LOCK_WF = (sa.select(*_WF_SMALL, _LISTENED)
            .where(_WF.c.id == sa.bindparam("id")).with_for_update())
_LOCK_WF_WITH_DATA = (sa.select(*[c for c in _WF.c if c.name not in (
    "spec", "output")], _LISTENED)
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
        raise exceptions.NotFound(kind="Workflow execution", id=wf_ex_id)
    return wf_ex


def lock_workflow_executions(session, wf_ex_ids, with_data=False):
    """``lock_workflow_execution`` for several executions in one statement:
    their rows (without data unless ``with_data``: context and input) by
    id, locked in id order, so that two engines locking overlapping sets
    never deadlock. A missing id is missing from the answer."""
    names = _WF_SMALL_NAMES + (("context", "input") if with_data else ())
    return st.rows_by_id(session, _WF, names, wf_ex_ids, lock=True,
                         extra=(_LISTENED,))


def get_executions_data(session, wf_ex_ids):
    """``{id: (context, input)}`` of the workflow executions given."""
    rows = st.rows_by_id(session, _WF, ("context", "input"), wf_ex_ids)
    return {i: (row.context, row.input) for i, row in rows.items()}


def get_execution_data(session, wf_ex_id):
    """``(context, input)`` of a workflow execution."""
    return get_executions_data(session, [wf_ex_id])[wf_ex_id]


def get_execution_params(session, wf_ex_id):
    """The params of a workflow execution (None if it is gone)."""
    return session.execute(sa.select(_WF.c.params).where(
        _WF.c.id == wf_ex_id)).scalar_one_or_none()


def get_execution_spec(session, wf_ex_id):
    """The spec (a dict) a workflow execution runs."""
    return st.run(session, _WF_SPEC, {"id": wf_ex_id}).scalar_one()


# What the engine reads of a task to decide, and its (large) data.
_TASK_SMALL = ("name", "state", "state_info", "processed", "runtime_context",
               "created_at", "started_at", "finished_at")
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
    """Results of a with-items task's items of one generation, by index
    (of a task whose items are sub-workflows: their outputs)."""
    latest = _latest_item_runs(session, task_ex_id, generation)
    if not latest:
        latest = _latest_subworkflow_runs(session, task_ex_id)
    return [((latest.get(i) or (None, None))[1] or {}).get("result")
            for i in range(len(latest))]


def _latest_subworkflow_runs(session, task_ex_id):
    """index -> (state, {"result": output}) of the latest sub-workflow
    execution of each item of a with-items task whose items run
    sub-workflows (the shape of ``_latest_item_runs``)."""
    stmt = (sa.select(_WF.c.params, _WF.c.state, _WF.c.output)
            .where(_WF.c.task_execution_id == task_ex_id)
            .order_by(_WF.c.created_at))
    return {(params or {}).get("index", 0): (state, {"result": output})
            for params, state, output in session.execute(stmt)}


def get_failed_item_indexes(session, task_ex_id, generation):
    """Indexes of a with-items task's items whose latest run failed."""
    latest = _latest_item_runs(session, task_ex_id, generation) or \
        _latest_subworkflow_runs(session, task_ex_id)
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
