"""Queries and updates. Every function takes the session; none commits.

State changes are compare-and-set updates that return whether they won,
so that a duplicate or late event changes nothing (DESIGN.md rule 2).
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
    stmt = (sa.select(models.WorkflowExecution)
            .where(models.WorkflowExecution.id == wf_ex_id)
            .options(orm.undefer(models.WorkflowExecution.spec),
                     orm.undefer(models.WorkflowExecution.context),
                     orm.undefer(models.WorkflowExecution.params),
                     orm.undefer(models.WorkflowExecution.input))
            .with_for_update())
    wf_ex = session.execute(stmt).scalar_one_or_none()
    if wf_ex is None:
        raise exceptions.NotFound(
            "Workflow execution not found [id=%s]" % wf_ex_id)
    return wf_ex


def get_task_executions_for_engine(session, wf_ex_id):
    """All task executions of one workflow execution, with their data."""
    stmt = (sa.select(models.TaskExecution)
            .where(models.TaskExecution.workflow_execution_id == wf_ex_id)
            .options(orm.undefer(models.TaskExecution.published),
                     orm.undefer(models.TaskExecution.in_context),
                     orm.undefer(models.TaskExecution.runtime_context))
            .order_by(models.TaskExecution.created_at))
    return list(session.execute(stmt).scalars())


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


def get_item_results(session, task_ex_id, generation):
    """Results of a with-items task's items of one generation, by index.

    An item run again (a re-run of failed items) counts with its latest run.
    """
    model = models.ActionExecution
    stmt = (sa.select(model.params, model.output)
            .where(model.task_execution_id == task_ex_id)
            .order_by(model.created_at))
    items = {}
    for params, output in session.execute(stmt):
        params = params or {}
        if params.get("gen", 0) == generation and "index" in params:
            items[params["index"]] = (output or {}).get("result")
    return [items.get(i) for i in range(len(items))]


def get_failed_item_indexes(session, task_ex_id, generation):
    """Indexes of a with-items task's items whose latest run failed."""
    model = models.ActionExecution
    stmt = (sa.select(model.params, model.state)
            .where(model.task_execution_id == task_ex_id)
            .order_by(model.created_at))
    latest = {}
    for params, state in session.execute(stmt):
        params = params or {}
        if params.get("gen", 0) == generation and "index" in params:
            latest[params["index"]] = state
    return sorted(i for i, state in latest.items() if state == "ERROR")


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


def outbox_claim_due(session, now, resend_after, limit=100):
    """Rows whose send is due; pushes their next send ``resend_after`` on.

    On PostgreSQL rows locked by another sweeper are skipped, so two
    engines never send the same row in the same round.
    """
    model = models.OutboxMessage
    stmt = (sa.select(model).where(model.next_send_at <= now)
            .order_by(model.next_send_at).limit(limit)
            .with_for_update(skip_locked=True))
    rows = list(session.execute(stmt).scalars())
    later = now + datetime.timedelta(seconds=resend_after)
    for row in rows:
        row.next_send_at = later
        row.attempts += 1
    return rows


# ---- Queries for the API: reads and definition writes ----
#
# Owned by the API layer. Lists share one filter/sort/marker implementation
# (``api_list_rows``). Filters are ``{column: value}`` or
# ``{column: (op, value)}`` with op one of API_FILTER_OPS; ``fields`` names
# the model columns a caller will read, so that deferred ones it needs are
# loaded in the same query and the others stay unloaded.

import uuid  # noqa: E402  (the section keeps its own imports)

API_FILTER_OPS = ("eq", "neq", "in", "nin", "gt", "gte", "lt", "lte", "has",
                  "null", "notnull")


def _api_flush(session):
    try:
        session.flush()
    except sa_exc.IntegrityError as e:
        raise exceptions.DBDuplicateEntry(
            "Duplicate entry: %s" % e.orig) from e


def _api_looks_like_uuid(value):
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _api_column(model, name):
    attr = model.__mapper__.column_attrs.get(name)
    if attr is None:
        raise exceptions.InputError(
            "Unknown column %r of %s" % (name, model.__tablename__))
    return getattr(model, name)


def _api_filter_clause(column, op, value):
    simple = {"eq": column.__eq__, "neq": column.__ne__, "gt": column.__gt__,
              "gte": column.__ge__, "lt": column.__lt__, "lte": column.__le__}
    if op in simple:
        return simple[op](value)
    if op == "in":
        return column.in_(list(value))
    if op == "nin":
        return column.not_in(list(value))
    if op == "has":
        return column.contains(value, autoescape=True)
    if op == "null":
        return column.is_(None)
    if op == "notnull":
        return column.is_not(None)
    raise exceptions.InputError(
        "Unknown filter operator %r (allowed: %s)"
        % (op, ", ".join(API_FILTER_OPS)))


def _api_apply_filters(stmt, model, filters):
    for name, cond in (filters or {}).items():
        op, value = cond if isinstance(cond, tuple) else ("eq", cond)
        stmt = stmt.where(_api_filter_clause(_api_column(model, name), op,
                                             value))
    return stmt


def _api_after_marker(model, keys, dirs, marker_values):
    """Keyset condition: rows strictly after the marker in this order.

    NULL sorts lowest (the ORDER BY says NULLS FIRST/LAST to match on
    every database).
    """
    alternatives = []
    for i, (key, direction) in enumerate(zip(keys, dirs)):
        column = _api_column(model, key)
        equal = [_api_equal(_api_column(model, k), marker_values[k])
                 for k in keys[:i]]
        beyond = _api_beyond(column, direction, marker_values[key])
        if beyond is not None:
            alternatives.append(sa.and_(*equal, beyond))
    return sa.or_(*alternatives) if alternatives else sa.false()


def _api_equal(column, value):
    return column.is_(None) if value is None else column == value


def _api_beyond(column, direction, value):
    if direction == "asc":
        return column.is_not(None) if value is None else column > value
    if value is None:
        return None
    return sa.or_(column < value, column.is_(None))


def _api_order(column, direction):
    if direction == "asc":
        return column.asc().nulls_first()
    return column.desc().nulls_last()


def _api_marker_values(session, model, marker, keys):
    columns = [_api_column(model, k) for k in keys]
    row = session.execute(
        sa.select(*columns).where(model.id == marker)).first()
    if row is None:
        raise exceptions.InputError(
            "Invalid marker %r: no %s with this id"
            % (marker, model.__tablename__))
    return dict(zip(keys, row))


def _api_undefer(model, fields):
    options = []
    for name in fields or ():
        attr = model.__mapper__.column_attrs.get(name)
        if attr is not None and attr.deferred:
            options.append(orm.undefer(getattr(model, name)))
    return options


def api_list_rows(session, model, filters=None, limit=None, marker=None,
                  sort_keys=None, sort_dirs=None, fields=None):
    """One page of ``model`` rows: filtered, sorted, after ``marker``.

    :param filters: ``{column: value or (op, value)}``.
    :param limit: the page size, or None for all rows.
    :param marker: id of the last row of the previous page.
    :param sort_keys: columns to sort by (default ``created_at``); ``id`` is
        appended as the tie-breaker that makes the marker exact.
    :param sort_dirs: ``asc``/``desc`` per key (missing ones are ``asc``).
    :param fields: model columns the caller will read; deferred ones among
        them are loaded with the rows.
    :raises InputError: unknown column or operator, or a marker that names
        no row.
    """
    keys = list(sort_keys or ["created_at"])
    dirs = list(sort_dirs or [])
    dirs += ["asc"] * (len(keys) - len(dirs))
    if "id" not in keys:
        keys.append("id")
        dirs.append("asc")
    stmt = _api_apply_filters(sa.select(model), model, filters)
    if marker:
        values = _api_marker_values(session, model, marker, keys)
        stmt = stmt.where(_api_after_marker(model, keys, dirs, values))
    stmt = stmt.order_by(*[_api_order(_api_column(model, k), d)
                           for k, d in zip(keys, dirs)])
    if limit is not None:
        stmt = stmt.limit(limit)
    stmt = stmt.options(*_api_undefer(model, fields))
    return list(session.execute(stmt).scalars())


def _api_get_by_id(session, model, obj_id, fields, label):
    stmt = (sa.select(model).where(model.id == str(obj_id))
            .options(*_api_undefer(model, fields)))
    obj = session.execute(stmt).scalar_one_or_none()
    if obj is None:
        raise exceptions.NotFound("%s not found [id=%s]" % (label, obj_id))
    return obj


# Workflow definitions.

def api_get_workflow_definition(session, identifier, namespace="",
                                fields=None):
    """A workflow definition by id, or by name within ``namespace``.

    :raises NotFound: no such workflow.
    """
    model = models.WorkflowDefinition
    stmt = sa.select(model).options(*_api_undefer(model, fields))
    if _api_looks_like_uuid(identifier):
        by_id = session.execute(
            stmt.where(model.id == str(identifier))).scalar_one_or_none()
        if by_id is not None:
            return by_id
    wf_def = session.execute(
        stmt.where(model.name == identifier,
                   model.namespace == (namespace or ""))).scalar_one_or_none()
    if wf_def is None:
        raise exceptions.NotFound(
            "Workflow not found [name=%s, namespace=%s]"
            % (identifier, namespace or ""))
    return wf_def


def api_create_workflow_definitions(session, values_list):
    """Create workflow definitions, all or none.

    :param values_list: dicts of WorkflowDefinition columns (``name``,
        ``namespace``, ``definition``, ``spec``, ``input``, ``tags``,
        ``scope``); ``id`` is generated when missing.
    :returns: the new rows.
    :raises DBDuplicateEntry: a workflow of that name already exists in
        that namespace (or the text defines it twice).
    """
    model = models.WorkflowDefinition
    seen = set()
    rows = []
    for values in values_list:
        key = (values["name"], values.get("namespace") or "")
        exists = session.execute(
            sa.select(model.id).where(model.name == key[0],
                                      model.namespace == key[1])).first()
        if exists is not None or key in seen:
            raise exceptions.DBDuplicateEntry(
                "Workflow %r already exists in namespace %r"
                % (key[0], key[1]))
        seen.add(key)
        values = dict(values, namespace=key[1])
        values.setdefault("id", str(uuid.uuid4()))
        row = model(**values)
        session.add(row)
        rows.append(row)
    _api_flush(session)
    return rows


def api_update_workflow_definition(session, identifier, values,
                                   namespace=""):
    """Update the definition ``identifier`` (id or name) with ``values``.

    :raises NotFound: no such workflow.
    :raises DBDuplicateEntry: a rename collides with another workflow.
    """
    wf_def = api_get_workflow_definition(session, identifier, namespace,
                                         fields=("definition", "spec"))
    for key, value in values.items():
        setattr(wf_def, key, value)
    wf_def.updated_at = models.utcnow()
    _api_flush(session)
    return wf_def


def api_delete_workflow_definition(session, identifier, namespace=""):
    """Delete the definition ``identifier`` (id or name).

    :raises NotFound: no such workflow.
    """
    wf_def = api_get_workflow_definition(session, identifier, namespace)
    session.delete(wf_def)
    session.flush()


def api_list_workflow_definitions(session, filters=None, limit=None,
                                  marker=None, sort_keys=None,
                                  sort_dirs=None, fields=None):
    """A page of workflow definitions (see :func:`api_list_rows`)."""
    return api_list_rows(session, models.WorkflowDefinition, filters, limit,
                         marker, sort_keys, sort_dirs, fields)


# Executions.

def api_get_workflow_execution(session, wf_ex_id, fields=None):
    """One workflow execution, loading the deferred columns in ``fields``.

    :raises NotFound: no such execution.
    """
    return _api_get_by_id(session, models.WorkflowExecution, wf_ex_id,
                          fields, "Workflow execution")


def api_list_workflow_executions(session, filters=None, limit=None,
                                 marker=None, sort_keys=None, sort_dirs=None,
                                 fields=None):
    """A page of workflow executions (see :func:`api_list_rows`)."""
    return api_list_rows(session, models.WorkflowExecution, filters, limit,
                         marker, sort_keys, sort_dirs, fields)


def api_get_task_execution(session, task_ex_id, fields=None):
    """One task execution; :raises NotFound: no such task execution."""
    return _api_get_by_id(session, models.TaskExecution, task_ex_id,
                          fields, "Task execution")


def api_list_task_executions(session, filters=None, limit=None, marker=None,
                             sort_keys=None, sort_dirs=None, fields=None):
    """A page of task executions (see :func:`api_list_rows`)."""
    return api_list_rows(session, models.TaskExecution, filters, limit,
                         marker, sort_keys, sort_dirs, fields)


def api_get_action_execution(session, action_ex_id, fields=None):
    """One action execution; :raises NotFound: no such action execution."""
    return _api_get_by_id(session, models.ActionExecution, action_ex_id,
                          fields, "Action execution")


def api_list_action_executions(session, filters=None, limit=None,
                               marker=None, sort_keys=None, sort_dirs=None,
                               fields=None):
    """A page of action executions (see :func:`api_list_rows`)."""
    return api_list_rows(session, models.ActionExecution, filters, limit,
                         marker, sort_keys, sort_dirs, fields)


def api_get_task_results_data(session, task_ex_ids):
    """What task results are made of, for the tasks ``task_ex_ids``.

    :returns: ``{task_ex_id: [(kind, accepted, output), ...]}`` in creation
        order, where kind is ``"action"`` (output as stored by the engine,
        ``{"result": ...}``) or ``"workflow"`` (a sub-workflow's output).
    """
    ids = list(task_ex_ids)
    found = {task_id: [] for task_id in ids}
    if not ids:
        return found
    a_model = models.ActionExecution
    stmt = (sa.select(a_model.task_execution_id, a_model.accepted,
                      a_model.output)
            .where(a_model.task_execution_id.in_(ids))
            .order_by(a_model.created_at, a_model.id))
    for task_id, accepted, output in session.execute(stmt):
        found[task_id].append(("action", accepted, output))
    w_model = models.WorkflowExecution
    stmt = (sa.select(w_model.task_execution_id, w_model.state,
                      w_model.output)
            .where(w_model.task_execution_id.in_(ids))
            .order_by(w_model.created_at, w_model.id))
    for task_id, state, output in session.execute(stmt):
        done = state in ("SUCCESS", "ERROR", "CANCELLED")
        found[task_id].append(("workflow", done, output))
    return found


# ---- API: environments, actions, workbooks, cron triggers ----
#
# Definitions the API writes (environments, action definitions, workbooks,
# cron triggers), the deletion of finished executions, and the cron
# scheduler's compare-and-set claims.

def _api_by_name(session, model, label, name, namespace=None, fields=None):
    """The row of ``model`` called ``name`` (or with that id).

    :raises NotFound: naming the label, the name and the namespace.
    """
    stmt = sa.select(model).options(*_api_undefer(model, fields))
    if _api_looks_like_uuid(name):
        row = session.execute(
            stmt.where(model.id == str(name))).scalar_one_or_none()
        if row is not None:
            return row
    stmt = stmt.where(model.name == name)
    if namespace is not None:
        stmt = stmt.where(model.namespace == (namespace or ""))
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        where = "" if namespace is None else ", namespace=%s" % namespace
        raise exceptions.NotFound("%s not found [name=%s%s]"
                                  % (label, name, where))
    return row


def _api_insert(session, model, label, values, namespace=None):
    """Insert one row of ``model``; refuses a name already taken."""
    stmt = sa.select(model.id).where(model.name == values["name"])
    if namespace is not None:
        stmt = stmt.where(model.namespace == namespace)
    if session.execute(stmt).first() is not None:
        where = "" if namespace is None else " in namespace %r" % namespace
        raise exceptions.DBDuplicateEntry(
            "%s %r already exists%s" % (label, values["name"], where))
    row = model(**dict(values, id=values.get("id") or str(uuid.uuid4())))
    session.add(row)
    _api_flush(session)
    return row


def _api_set(session, row, values):
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = models.utcnow()
    _api_flush(session)
    return row


# Environments.

def api_get_environment(session, identifier, fields=None):
    """An environment by name or id; :raises NotFound: no such one."""
    return _api_by_name(session, models.Environment, "Environment",
                        identifier, fields=fields)


def api_get_environment_by_name(session, name):
    """The environment ``name`` with its variables (for ``params.env``).

    :returns: the Environment row; ``row.variables`` is a dict.
    :raises NotFound: no environment of that name.
    """
    return _api_by_name(session, models.Environment, "Environment", name,
                        fields=("variables",))


def api_create_environment(session, values):
    """Create an environment from column ``values``.

    :raises DBDuplicateEntry: the name is taken.
    """
    return _api_insert(session, models.Environment, "Environment", values)


def api_update_environment(session, name, values):
    """Change the environment ``name``; :raises NotFound: no such one."""
    row = api_get_environment(session, name, fields=("variables",))
    return _api_set(session, row, values)


def api_delete_environment(session, name):
    """Delete the environment ``name``; :raises NotFound: no such one."""
    session.delete(api_get_environment(session, name))
    session.flush()


def api_list_environments(session, filters=None, limit=None, marker=None,
                          sort_keys=None, sort_dirs=None, fields=None):
    """A page of environments (see :func:`api_list_rows`)."""
    return api_list_rows(session, models.Environment, filters, limit,
                         marker, sort_keys, sort_dirs, fields)


# Action definitions.

def api_sync_system_actions(session, values_list):
    """Mirror the built-in actions: add missing ones, refresh the others,
    drop those no longer installed.

    :param values_list: ActionDefinition columns per built-in action, each
        with a stable ``id`` so that every API process agrees on it.
    """
    model = models.ActionDefinition
    existing = {row.name: row for row in session.execute(
        sa.select(model).where(model.is_system.is_(True))).scalars()}
    gone = set(existing) - {v["name"] for v in values_list}
    for name in gone:
        session.delete(existing.pop(name))
    for values in values_list:
        row = existing.get(values["name"])
        if row is None:
            session.add(model(**dict(values, is_system=True)))
        elif row.input != values.get("input") or \
                row.description != values.get("description"):
            _api_set(session, row, {"input": values.get("input"),
                                    "description": values.get("description")})
    _api_flush(session)


def api_get_action_definition(session, identifier, namespace="",
                              fields=None):
    """An action by id, or by name in ``namespace`` (else the default one).

    :raises NotFound: no such action.
    """
    model = models.ActionDefinition
    try:
        return _api_by_name(session, model, "Action", identifier,
                            namespace or "", fields)
    except exceptions.NotFound:
        if not namespace:
            raise
    return _api_by_name(session, model, "Action", identifier, "", fields)


def api_create_action_definitions(session, values_list):
    """Create ad-hoc actions, all or none.

    :raises DBDuplicateEntry: an action of that name exists in the
        namespace.
    """
    return [_api_insert(session, models.ActionDefinition, "Action", values,
                        values.get("namespace") or "")
            for values in values_list]


def api_update_action_definition(session, identifier, values, namespace=""):
    """Change the ad-hoc action ``identifier``.

    :raises NotFound: no such action.
    :raises InputError: it is a built-in action.
    """
    row = _api_by_name(session, models.ActionDefinition, "Action",
                       identifier, namespace or "", ("definition", "spec"))
    _api_refuse_system(row, "update")
    return _api_set(session, row, values)


def api_delete_action_definition(session, identifier, namespace=""):
    """Delete the ad-hoc action ``identifier``.

    :raises NotFound: no such action.
    :raises InputError: it is a built-in action.
    """
    row = _api_by_name(session, models.ActionDefinition, "Action",
                       identifier, namespace or "")
    _api_refuse_system(row, "delete")
    session.delete(row)
    session.flush()


def _api_refuse_system(row, verb):
    if row.is_system:
        raise exceptions.InputError(
            "Cannot %s action %s: it is a system action (only ad-hoc "
            "actions can be changed)" % (verb, row.name))


def api_list_action_definitions(session, filters=None, limit=None,
                                marker=None, sort_keys=None, sort_dirs=None,
                                fields=None):
    """A page of actions (see :func:`api_list_rows`)."""
    return api_list_rows(session, models.ActionDefinition, filters, limit,
                         marker, sort_keys, sort_dirs, fields)


# Workbooks.

def api_get_workbook(session, name, namespace="", fields=None):
    """The workbook ``name`` in ``namespace``; :raises NotFound:."""
    return _api_by_name(session, models.Workbook, "Workbook", name,
                        namespace or "", fields)


def api_create_workbook(session, values, workflows, actions):
    """Create a workbook with its workflows and ad-hoc actions.

    :param workflows: WorkflowDefinition columns per workflow.
    :param actions: ActionDefinition columns per ad-hoc action.
    :raises DBDuplicateEntry: the workbook, or one of the definitions it
        makes, already exists in the namespace.
    """
    namespace = values.get("namespace") or ""
    row = _api_insert(session, models.Workbook, "Workbook", values,
                      namespace)
    api_create_workflow_definitions(session, workflows)
    api_create_action_definitions(session, actions)
    return row


def api_update_workbook(session, values, workflows, actions):
    """Replace a workbook and its definitions (matched by full name).

    Definitions the new text no longer holds are deleted.

    :raises NotFound: no such workbook.
    """
    namespace = values.get("namespace") or ""
    row = api_get_workbook(session, values["name"], namespace,
                           fields=("definition", "spec"))
    old_spec = row.spec or {}
    _api_set(session, row, values)
    _api_replace(session, models.WorkflowDefinition, namespace,
                 old_spec.get("workflow_names", []), workflows)
    _api_replace(session, models.ActionDefinition, namespace,
                 old_spec.get("action_names", []), actions)
    _api_flush(session)
    return row


def _api_replace(session, model, namespace, old_names, new_values):
    new_names = {v["name"] for v in new_values}
    _api_delete_named(session, model, namespace,
                      [n for n in old_names if n not in new_names])
    for values in new_values:
        existing = session.execute(
            sa.select(model).where(model.name == values["name"],
                                   model.namespace == namespace)
        ).scalar_one_or_none()
        if existing is None:
            session.add(model(**dict(values, id=str(uuid.uuid4()))))
        else:
            _api_set(session, existing, values)


def _api_delete_named(session, model, namespace, names):
    if names:
        session.execute(sa.delete(model).where(
            model.name.in_(list(names)), model.namespace == namespace)
            .execution_options(synchronize_session=False))


def api_delete_workbook(session, name, namespace=""):
    """Delete a workbook and the workflows and actions it defined.

    :raises NotFound: no such workbook.
    """
    row = api_get_workbook(session, name, namespace, fields=("spec",))
    spec = row.spec or {}
    namespace = row.namespace
    _api_delete_named(session, models.WorkflowDefinition, namespace,
                      spec.get("workflow_names", []))
    _api_delete_named(session, models.ActionDefinition, namespace,
                      spec.get("action_names", []))
    session.delete(row)
    session.flush()


def api_list_workbooks(session, filters=None, limit=None, marker=None,
                       sort_keys=None, sort_dirs=None, fields=None):
    """A page of workbooks (see :func:`api_list_rows`)."""
    return api_list_rows(session, models.Workbook, filters, limit, marker,
                         sort_keys, sort_dirs, fields)


# Cron triggers.

def api_get_cron_trigger(session, identifier, fields=None):
    """A cron trigger by name or id; :raises NotFound: no such one."""
    return _api_by_name(session, models.CronTrigger, "Cron trigger",
                        identifier, fields=fields)


def api_create_cron_trigger(session, values):
    """Create a cron trigger; :raises DBDuplicateEntry: name taken."""
    return _api_insert(session, models.CronTrigger, "Cron trigger", values)


def api_delete_cron_trigger(session, identifier):
    """Delete a cron trigger; :raises NotFound: no such one."""
    session.delete(api_get_cron_trigger(session, identifier))
    session.flush()


def api_list_cron_triggers(session, filters=None, limit=None, marker=None,
                           sort_keys=None, sort_dirs=None, fields=None):
    """A page of cron triggers (see :func:`api_list_rows`)."""
    return api_list_rows(session, models.CronTrigger, filters, limit,
                         marker, sort_keys, sort_dirs, fields)


def api_get_due_cron_triggers(session, now, limit=50):
    """Cron triggers whose next execution time is ``now`` or earlier."""
    model = models.CronTrigger
    stmt = (sa.select(model).where(model.next_execution_time <= now)
            .order_by(model.next_execution_time).limit(limit)
            .options(orm.undefer(model.workflow_input),
                     orm.undefer(model.workflow_params)))
    return list(session.execute(stmt).scalars())


def api_claim_cron_trigger(session, trigger_id, expected_next, new_next,
                           remaining):
    """Compare-and-set: move a due trigger on to its next time.

    Wins only while ``next_execution_time`` is still ``expected_next``, so
    that of several schedulers exactly one fires a given due time. A
    ``remaining`` of 0 deletes the trigger instead (its last firing).

    :returns: True if this call won.
    """
    model = models.CronTrigger
    where = (model.id == trigger_id,
             model.next_execution_time == expected_next)
    if remaining == 0:
        stmt = sa.delete(model).where(*where)
    else:
        stmt = sa.update(model).where(*where).values(
            next_execution_time=new_next, remaining_executions=remaining,
            updated_at=models.utcnow())
    stmt = stmt.execution_options(synchronize_session=False)
    return session.execute(stmt).rowcount == 1


# Deleting workflow executions.

def api_delete_workflow_execution(session, wf_ex_id, allowed_states):
    """Delete an execution, its sub-workflows, tasks and action executions.

    :param allowed_states: states the execution may be in (None: any).
    :raises NotFound: no such execution.
    :raises Conflict: its state is not one of ``allowed_states``.
    """
    wf_ex = _api_get_by_id(session, models.WorkflowExecution, wf_ex_id,
                           None, "Workflow execution")
    if allowed_states is not None and wf_ex.state not in allowed_states:
        raise exceptions.Conflict(
            "Cannot delete workflow execution %s in state %s: only "
            "executions in %s can be deleted (use force to override)"
            % (wf_ex_id, wf_ex.state, ", ".join(sorted(allowed_states))))
    w_model = models.WorkflowExecution
    ids = [wf_ex.id] + list(session.execute(
        sa.select(w_model.id).where(w_model.root_execution_id == wf_ex.id))
        .scalars())
    for model in (models.ActionExecution, models.TaskExecution, w_model):
        column = model.id if model is w_model else \
            model.workflow_execution_id
        session.execute(sa.delete(model).where(column.in_(ids))
                        .execution_options(synchronize_session=False))


# ---- Notifier: listeners, deliveries ----
#
# Listeners are definitions the API writes; deliveries are written by the
# notifier only (the API reads them). Claims of events and deliveries skip
# rows another notifier holds (FOR UPDATE SKIP LOCKED on PostgreSQL).

def notifier_has_events(session):
    """Whether any event still waits to be fanned out."""
    model = models.Event
    stmt = sa.select(model.id).where(model.dispatched.is_(False)).limit(1)
    return session.execute(stmt).first() is not None


def notifier_claim_events(session, limit):
    """Up to ``limit`` undispatched events, oldest first, locked until
    commit (rows another notifier is fanning out are skipped)."""
    model = models.Event
    stmt = (sa.select(model).where(model.dispatched.is_(False))
            .order_by(model.id).limit(limit)
            .options(orm.undefer(model.data))
            .with_for_update(skip_locked=True))
    return list(session.execute(stmt).scalars())


def notifier_mark_dispatched(session, event_ids):
    """Record that the events ``event_ids`` were fanned out."""
    model = models.Event
    session.execute(sa.update(model).where(model.id.in_(list(event_ids)))
                    .values(dispatched=True)
                    .execution_options(synchronize_session=False))


def notifier_listeners(session, workflow_names):
    """Enabled listeners of every workflow or of one of ``workflow_names``."""
    model = models.Listener
    stmt = sa.select(model).where(
        model.enabled.is_(True),
        sa.or_(model.workflow_name.is_(None),
               model.workflow_name.in_(list(workflow_names))))
    return list(session.execute(stmt).scalars())


def notifier_execution_params(session, wf_ex_ids):
    """``{workflow execution id: params}`` of the executions given."""
    model = models.WorkflowExecution
    stmt = sa.select(model.id, model.params).where(
        model.id.in_(list(wf_ex_ids)))
    return {row.id: row.params for row in session.execute(stmt)}


def _notifier_due(now):
    """Deliveries that may be attempted now, in order per target and
    execution: none of theirs before them is still pending, and no event
    of their execution before them still waits to be fanned out."""
    d = models.Delivery
    earlier = orm.aliased(models.Delivery)
    event = models.Event
    pending_before = sa.exists().where(
        earlier.target == d.target,
        earlier.workflow_execution_id == d.workflow_execution_id,
        earlier.state == "PENDING", earlier.event_id < d.event_id)
    unfanned_before = sa.exists().where(
        event.workflow_execution_id == d.workflow_execution_id,
        event.dispatched.is_(False), event.id < d.event_id)
    return (sa.select(d).where(
        d.state == "PENDING", d.next_attempt_at <= now,
        sa.or_(d.claimed_until.is_(None), d.claimed_until < now),
        ~pending_before, ~unfanned_before).order_by(d.event_id))


def notifier_has_due_deliveries(session, now):
    """Whether some delivery may be attempted now."""
    return session.execute(_notifier_due(now).limit(1)).first() is not None


def notifier_claim_deliveries(session, holder, now, until, limit):
    """Claim up to ``limit`` due deliveries for ``holder`` until ``until``.

    Each claim counts as an attempt (a notifier that dies mid-attempt
    still used it up). Rows another notifier holds are skipped.

    :returns: the claimed Delivery rows (with ``params`` loaded).
    """
    d = models.Delivery
    stmt = (_notifier_due(now).limit(limit)
            .options(orm.undefer(d.params))
            .with_for_update(skip_locked=True, of=d))
    rows = list(session.execute(stmt).scalars())
    for row in rows:
        row.claimed_by = holder
        row.claimed_until = until
        row.attempts += 1
        row.updated_at = now
    return rows


def notifier_get_events(session, event_ids):
    """``{event id: Event}`` with their data."""
    model = models.Event
    stmt = (sa.select(model).where(model.id.in_(list(event_ids)))
            .options(orm.undefer(model.data)))
    return {row.id: row for row in session.execute(stmt).scalars()}


def notifier_get_listeners(session, listener_ids):
    """``{listener id: Listener}`` (deleted ones are missing)."""
    model = models.Listener
    stmt = sa.select(model).where(model.id.in_(list(listener_ids)))
    return {row.id: row for row in session.execute(stmt).scalars()}


def notifier_record_attempt(session, delivery_id, holder, **values):
    """Record an attempt's outcome and release the claim (compare-and-set).

    :returns: False if ``holder`` no longer held the delivery (its claim
        ran out and another notifier took it): nothing is changed then.
    """
    model = models.Delivery
    stmt = (sa.update(model)
            .where(model.id == delivery_id, model.claimed_by == holder,
                   model.state == "PENDING")
            .values(claimed_by=None, claimed_until=None, **values)
            .execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount == 1


def api_create_listener(session, values):
    """Create a listener from ``values`` (Listener columns); the row."""
    values = dict(values)
    values.setdefault("id", str(uuid.uuid4()))
    row = models.Listener(**values)
    session.add(row)
    _api_flush(session)
    return row


def api_get_listener(session, listener_id):
    """One listener; :raises NotFound: no such listener."""
    return _api_get_by_id(session, models.Listener, listener_id, None,
                          "Listener")


def api_update_listener(session, listener_id, values):
    """Change the columns ``values`` of a listener; the row.

    :raises NotFound: no such listener.
    """
    row = api_get_listener(session, listener_id)
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = models.utcnow()
    _api_flush(session)
    return row


def api_delete_listener(session, listener_id):
    """Delete a listener and its deliveries; :raises NotFound: none."""
    row = api_get_listener(session, listener_id)
    session.execute(sa.delete(models.Delivery)
                    .where(models.Delivery.listener_id == row.id)
                    .execution_options(synchronize_session=False))
    session.delete(row)
    session.flush()


def api_list_deliveries(session, listener_id, limit=None, marker=None):
    """A page of one listener's deliveries, newest first."""
    return api_list_rows(session, models.Delivery,
                         {"listener_id": listener_id}, limit, marker,
                         ["created_at", "event_id"], ["desc", "desc"])
