"""The engine's look-ups of definitions and of other executions (for
expressions), its deletes, executors' liveness, and the helpers other
modules of the package share. Every function takes the session; none
commits.

What the engine reads to decide (locks, snapshots, results) is in
``snapshots``, the compare-and-set writes in ``cas``, the outbox in
``outbox``, the result inbox in ``inbox``, a unit of work's staged
writes in ``unit``, the statement helpers in ``statements``. The API's
reads and definition writes are in ``listing``, ``queries`` and
``definitions``; listeners and deliveries in ``notifications``.
"""
import uuid

import sqlalchemy as sa
from sqlalchemy import orm

from wfengine import exceptions
from wfengine import state_names as states
from wfengine.db import inbox
from wfengine.db import models
from wfengine.db import outbox
from wfengine.db import scope
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


def looks_like_uuid(value):
    """True if ``value`` reads as a UUID: an identifier that may be a
    row's id rather than its name (Mistral looks such ones up by id)."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def find_workflow_definition(session, identifier, namespace="",
                             project_id=None, default_namespace_too=False):
    """A workflow definition (without its text and spec, as a read-only
    row) by id (an identifier that reads as a UUID, as Mistral looks
    them up), or by name within ``namespace``, among those project
    ``project_id`` sees (its own and shared ones, its own first; every
    project's when None).

    With ``default_namespace_too``, a name not found in ``namespace`` is
    looked up in the default (empty) namespace too: how Mistral finds a
    sub-workflow, not a workflow started through its API.

    :raises NotFound: naming the identifier and the namespace.
    """
    namespace = namespace or ""
    params = {"ident": identifier, "ns": namespace,
              "default_ns": "" if default_namespace_too else namespace}
    if project_id is None:
        rows = st.run(session, _FIND_DEF, params).all()
    else:
        params[scope.PARAM] = project_id
        rows = sorted(st.run(session, st.once(
            "visible definitions", _visible_definitions), params),
            key=lambda r: r.project_id != project_id)
    by_id = looks_like_uuid(identifier)
    for wanted in (lambda r: by_id and r.id == identifier,
                   lambda r: r.namespace == namespace,
                   lambda r: r.namespace == params["default_ns"]):
        found = [r for r in rows if wanted(r)]
        if found:
            return found[0]
    raise exceptions.NamedNotFound(kind="Workflow", name=identifier,
                                   where=", namespace=%s" % namespace)


def _visible_definitions():
    """``_FIND_DEF`` among the rows a project sees, by ``db.scope``'s own
    rule; the project is the statement's ``scope.PARAM`` parameter."""
    with scope.of_project(""):
        visible = scope.visible_condition(models.WorkflowDefinition)
    return _FIND_DEF.where(visible)


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


def workflow_ids_of_executions(session, wf_ex_ids):
    """``{id: workflow_id}`` of those of the executions ``wf_ex_ids``
    that exist, in one statement."""
    rows = st.rows_by_id(session, _WF, ("workflow_id",), wf_ex_ids)
    return {wf_ex_id: row.workflow_id for wf_ex_id, row in rows.items()}


def update_description(session, wf_ex_id, description):
    """Set an execution's description; False if there is no such row."""
    model = models.WorkflowExecution
    stmt = (sa.update(model).where(model.id == wf_ex_id)
            .values(description=description, updated_at=models.utcnow())
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
        raise exceptions.ConflictingState(
            what="delete", kind="workflow execution", id=wf_ex.id,
            state=wf_ex.state, rule="only executions in %s can be deleted "
            "(use force to override)" % ", ".join(sorted(allowed_states)))
    delete_trees(session, [wf_ex.id])


def delete_trees(session, root_ids):
    """Delete root executions ``root_ids`` with their sub-workflows,
    tasks, action executions and the outbox rows about them: one
    statement per table for the whole set, each finding its rows through
    an index (the tree by ``root_execution_id``, tasks by execution,
    actions by task, outbox rows by ``ref_id``)."""
    if not root_ids:
        return
    wf, task, action = (models.WorkflowExecution, models.TaskExecution,
                        models.ActionExecution)
    outbox = models.OutboxMessage
    tree = session.execute(sa.select(wf.id).where(sa.or_(
        wf.id.in_(root_ids),
        wf.root_execution_id.in_(root_ids)))).scalars().all()
    task_ids = sa.select(task.id).where(task.workflow_execution_id.in_(tree))
    action_ids = sa.select(action.id).where(
        action.task_execution_id.in_(task_ids))
    for model, condition in (
            (outbox, sa.or_(outbox.ref_id.in_(action_ids),
                            outbox.ref_id.in_(task_ids),
                            outbox.ref_id.in_(tree))),
            (action, action.task_execution_id.in_(task_ids)),
            (task, task.workflow_execution_id.in_(tree)),
            (wf, wf.id.in_(tree))):
        session.execute(sa.delete(model).where(condition).execution_options(
            synchronize_session=False))


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
        raise exceptions.NotFound(kind="Action execution", id=action_ex_id)
    if action_ex.state not in states.RESULTS:
        raise exceptions.ConflictingState(
            what="delete", kind="action execution", id=action_ex_id,
            state=action_ex.state, rule="only a finished one (%s) can be "
            "deleted" % ", ".join(states.RESULTS))
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
    moment it claimed. An action whose result waits in the result inbox
    is not orphaned: an engine takes that result.
    """
    action, beat = models.ActionExecution, models.ExecutorHeartbeat
    last_seen = sa.func.coalesce(beat.heartbeat_at, action.claimed_at)
    stmt = (sa.select(action.id, action.claimed_by, action.executor)
            .outerjoin(beat, beat.name == action.executor)
            .where(action.state == states.RUNNING, action.is_sync.is_(True),
                   action.claimed_by.is_not(None),
                   last_seen < silent_since, ~inbox.held())
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


def forget_item_results(session, task_ex_id):
    """Drop the stored results of a with-items task's items (kept until
    the task ended, for its publish: ``keep-result: false``)."""
    model = models.ActionExecution
    stmt = (sa.update(model)
            .where(model.task_execution_id == task_ex_id,
                   model.state.in_(list(states.COMPLETED)))
            .values(output={"result": None})
            .execution_options(synchronize_session=False))
    session.execute(stmt)
