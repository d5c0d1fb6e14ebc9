"""The engine's queries and updates. Every function takes the session;
none commits.

State changes are compare-and-set updates that return whether they won,
so that a duplicate or late event changes nothing (DESIGN.md rule 2).
The API's reads and definition writes are in ``listing``, ``queries`` and
``definitions``; listeners and deliveries in ``notifications``.
"""
import datetime

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy import orm

from wfengine import exceptions
from wfengine.db import models


# ---- Definitions ----

def find_workflow_definition(session, identifier, namespace=""):
    """A workflow definition by id, or by name within ``namespace``.

    A name not found in ``namespace`` is looked up in the default (empty)
    namespace, as Mistral does.

    :raises NotFound: naming the identifier and the namespace.
    """
    model = models.WorkflowDefinition
    wf_def = session.get(model, identifier)
    if wf_def is not None:
        return wf_def
    for ns in dict.fromkeys([namespace or "", ""]):
        stmt = sa.select(model).where(model.name == identifier,
                                      model.namespace == ns)
        wf_def = session.execute(stmt).scalars().first()
        if wf_def is not None:
            return wf_def
    raise exceptions.NotFound(
        "Workflow not found [name=%s, namespace=%s]"
        % (identifier, namespace or ""))


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
    try:
        session.flush()
    except sa_exc.IntegrityError as e:
        raise exceptions.DBDuplicateEntry(
            "Duplicate entry: %s" % e.orig) from e


def lock_workflow_execution(session, wf_ex_id):
    """Load a workflow execution and hold its row lock until commit.

    This is what serializes the changes of one execution across engine
    processes: PostgreSQL takes a row lock (``FOR UPDATE``); SQLite already
    holds the database write lock since ``BEGIN IMMEDIATE``.

    :raises NotFound: no such execution.
    """
    # The spec is left deferred: the engine caches it per execution and
    # reads it only on a miss.
    stmt = (sa.select(models.WorkflowExecution)
            .where(models.WorkflowExecution.id == wf_ex_id)
            .options(orm.undefer(models.WorkflowExecution.context),
                     orm.undefer(models.WorkflowExecution.params),
                     orm.undefer(models.WorkflowExecution.input))
            .with_for_update())
    wf_ex = session.execute(stmt).scalar_one_or_none()
    if wf_ex is None:
        raise exceptions.NotFound(
            "Workflow execution not found [id=%s]" % wf_ex_id)
    return wf_ex


def get_task_states_for_engine(session, wf_ex_id, ids=None, name=None,
                               in_states=None):
    """The small columns of an execution's task executions, oldest first:
    id, name, state, state_info, processed, runtime_context.

    :param ids: only these tasks; :param name: only tasks of that name;
    :param in_states: only tasks in one of these states.
    """
    model = models.TaskExecution
    stmt = (sa.select(model.id, model.name, model.state, model.state_info,
                      model.processed, model.runtime_context)
            .where(model.workflow_execution_id == wf_ex_id)
            .order_by(model.created_at, model.id))
    if ids is not None:
        stmt = stmt.where(model.id.in_(list(ids)))
    if name is not None:
        stmt = stmt.where(model.name == name)
    if in_states is not None:
        stmt = stmt.where(model.state.in_(list(in_states)))
    return list(session.execute(stmt))


def count_tasks_in_states(session, wf_ex_id, in_states, exclude_ids=()):
    """How many of an execution's tasks are in ``in_states``, leaving out
    ``exclude_ids`` (those the caller holds in memory)."""
    model = models.TaskExecution
    stmt = (sa.select(sa.func.count())
            .where(model.workflow_execution_id == wf_ex_id,
                   model.state.in_(list(in_states))))
    if exclude_ids:
        stmt = stmt.where(model.id.not_in(list(exclude_ids)))
    return session.execute(stmt).scalar_one()


def get_task_data(session, task_ex_id):
    """``(in_context, published)`` of one task execution."""
    model = models.TaskExecution
    stmt = sa.select(model.in_context, model.published).where(
        model.id == task_ex_id)
    row = session.execute(stmt).one_or_none()
    return (row.in_context, row.published) if row else ({}, {})


def get_action_execution_for_engine(session, action_ex_id):
    """One action execution with its params and input, or None."""
    stmt = (sa.select(models.ActionExecution)
            .where(models.ActionExecution.id == action_ex_id)
            .options(orm.undefer(models.ActionExecution.params),
                     orm.undefer(models.ActionExecution.input)))
    return session.execute(stmt).scalar_one_or_none()


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
        wf.state.in_(("RUNNING", "PAUSED", "IDLE")))
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
    latest = {}
    for params, state, output in session.execute(stmt):
        params = params or {}
        if params.get("gen", 0) == generation and "index" in params:
            latest[params["index"]] = (state, output)
    return latest


def get_item_results(session, task_ex_id, generation):
    """Results of a with-items task's items of one generation, by index."""
    latest = _latest_item_runs(session, task_ex_id, generation)
    return [((latest.get(i) or (None, None))[1] or {}).get("result")
            for i in range(len(latest))]


def get_failed_item_indexes(session, task_ex_id, generation):
    """Indexes of a with-items task's items whose latest run failed."""
    latest = _latest_item_runs(session, task_ex_id, generation)
    return sorted(i for i, (state, _) in latest.items() if state == "ERROR")


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


def cas_update(session, model, obj_id, from_states, **values):
    """Compare-and-set: update the row only while its state is expected.

    :param model: the model class.
    :param obj_id: the row's id.
    :param from_states: states the row must be in for the update to win.
    :param values: columns to set (usually ``state`` and ``state_info``).
    :returns: True if this call won (exactly one row changed).
    """
    if "updated_at" not in values:
        values["updated_at"] = models.utcnow()
    stmt = (sa.update(model)
            .where(model.id == obj_id, model.state.in_(tuple(from_states)))
            .values(**values)
            .execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount == 1


def claim_action_execution(session, action_ex_id, claim, is_sync=True,
                           executor=None):
    """Record that ``executor`` runs the action; True if it may run it.

    Idempotent for the same claim token (a claim whose answer was lost can
    be asked again), exclusive between claims, and refused once the action
    is no longer RUNNING. ``is_sync`` False records that the result will be
    pushed through the API.
    """
    model = models.ActionExecution
    stmt = (sa.update(model)
            .where(model.id == action_ex_id, model.state == "RUNNING",
                   sa.or_(model.claimed_by.is_(None),
                          model.claimed_by == claim))
            .values(claimed_by=claim, claimed_at=models.utcnow(),
                    is_sync=is_sync, executor=executor)
            .execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount == 1


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
    if action_ex.state not in ("SUCCESS", "ERROR", "CANCELLED"):
        raise exceptions.Conflict(
            "Action execution %s is %s: only a finished one (SUCCESS, "
            "ERROR, CANCELLED) can be deleted" % (action_ex_id,
                                                  action_ex.state))
    outbox_ack(session, "run_action", action_ex_id)
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
            .where(action.state == "RUNNING", action.is_sync.is_(True),
                   action.claimed_by.is_not(None),
                   last_seen < silent_since)
            .limit(limit))
    return list(session.execute(stmt))


def release_claim(session, action_ex_id, claim):
    """Undo a claim so the action can run elsewhere; True if it was ours."""
    model = models.ActionExecution
    stmt = (sa.update(model)
            .where(model.id == action_ex_id, model.state == "RUNNING",
                   model.claimed_by == claim)
            .values(claimed_by=None, claimed_at=None, executor=None)
            .execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount == 1


# ---- Engine: outbox ----

def outbox_add(session, kind, ref_id, payload, next_send_at):
    """Stage a message to send after commit; returns the staged row.

    The writer sends it right after commit; ``next_send_at`` is when a
    sweeper sends it if it is still not acknowledged by then.
    """
    return add(session, models.OutboxMessage(
        kind=kind, ref_id=ref_id, payload=payload, created_at=models.utcnow(),
        next_send_at=next_send_at))


def outbox_ack(session, kind, ref_id):
    """Drop the outbox rows of ``kind`` about ``ref_id``: they arrived."""
    model = models.OutboxMessage
    session.execute(sa.delete(model).where(model.ref_id == ref_id,
                                           model.kind == kind)
                    .execution_options(synchronize_session=False))


def outbox_take(session, row_id):
    """Delete one outbox row; True if this call took it (exactly once)."""
    model = models.OutboxMessage
    stmt = (sa.delete(model).where(model.id == row_id)
            .execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount == 1


def outbox_claim_due(session, now, resend_after, limit=100,
                     max_delay=300.0):
    """Rows whose send is due; pushes their next send further on.

    The pause before the next send doubles with each attempt (from
    ``resend_after`` up to ``max_delay`` seconds): a receiver that is only
    slow, with a long queue, is not flooded with copies. On PostgreSQL rows
    locked by another sweeper are skipped, so two engines never send the
    same row in the same round.
    """
    model = models.OutboxMessage
    stmt = (sa.select(model).where(model.next_send_at <= now)
            .order_by(model.next_send_at).limit(limit)
            .with_for_update(skip_locked=True))
    rows = list(session.execute(stmt).scalars())
    for row in rows:
        row.attempts += 1
        pause = min(resend_after * 2 ** (row.attempts - 1), max_delay)
        row.next_send_at = now + datetime.timedelta(seconds=pause)
    return rows
