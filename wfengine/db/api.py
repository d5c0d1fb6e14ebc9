"""The engine's queries and updates. Every function takes the session;
none commits.

State changes are compare-and-set updates that return whether they won,
so that a duplicate or late event changes nothing (DESIGN.md rule 2).
The API's reads and definition writes are in ``listing``, ``queries`` and
``definitions``; listeners and deliveries in ``notifications``.
"""
import collections
import contextlib
import datetime

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy import orm

from wfengine import exceptions
from wfengine.db import models

# The engine's per-transition statements are Core statements built once
# and run on the unit of work's connection: building an ORM statement per
# call cost more than the database took to run it.
_WF = models.WorkflowExecution.__table__
_TASK = models.TaskExecution.__table__
_ACTION = models.ActionExecution.__table__
_OUTBOX = models.OutboxMessage.__table__
_built = {}


def _run(session, stmt, params=None):
    """Execute ``stmt`` on the unit of work's connection."""
    return session.connection().execute(stmt, params or {})


def _once(key, build):
    """The statement ``build()`` makes, built once per ``key``."""
    stmt = _built.get(key)
    if stmt is None:
        stmt = _built[key] = build()
    return stmt


# Up to this many values, ``IN`` binds one parameter per value and the
# statement is built per count; longer lists use an expanding parameter,
# which SQLAlchemy rewrites on every call.
_FIXED_IN = 8


def _arity(values):
    """What a statement with ``IN values`` is built for (part of its key)."""
    return len(values) if len(values) <= _FIXED_IN else None


def _in(column, name, arity, negate=False):
    """``column IN (...)`` for lists of ``arity`` values (see _arity)."""
    if arity is None:
        values = sa.bindparam(name, expanding=True)
    else:
        values = [sa.bindparam("%s_%d" % (name, i)) for i in range(arity)]
    return column.not_in(values) if negate else column.in_(values)


def _in_params(name, values):
    """The parameters of ``_in(column, name, _arity(values))``."""
    if _arity(values) is None:
        return {name: list(values)}
    return {"%s_%d" % (name, i): v for i, v in enumerate(values)}


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
    rows = _run(session, _FIND_DEF, {
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
    return _run(session, _DEF_SPEC, {"id": wf_def_id}).scalar_one()


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


def insert(session, model, **values):
    """Write one row of ``model`` now, without making an ORM object.

    :raises DBDuplicateEntry: a unique key of the row is taken.
    """
    table = model.__table__
    with _duplicate_as_error():
        _run(session, _once(("insert", table.name), table.insert), values)


# New rows an engine unit of work writes for one execution, and the
# compare-and-set updates of its task rows, wait here and are written
# together (one multi-row INSERT per table, one UPDATE per shape for the
# tasks of every execution of the unit): before the execution is locked
# again in the same unit, and before the unit commits (a session event,
# so that no unit can forget them). Every read of an execution's rows
# follows its lock, so none misses them.
_STAGED = "wfengine.staged_rows"
_STAGED_CAS = "wfengine.staged_updates"
# Parents first: action rows refer to task rows.
_WRITE_ORDER = ("task_executions", "action_executions", "outbox")


def insert_later(session, model, wf_ex_id, **values):
    """Stage a new row of execution ``wf_ex_id``'s (see above)."""
    staged = session.info.setdefault(_STAGED, {})
    staged.setdefault(wf_ex_id, []).append((model.__table__, values))


def update_task_later(session, wf_ex_id, task_ex_id, from_state, **values):
    """Stage a compare-and-set of a task execution of ``wf_ex_id``'s from
    ``from_state`` (see above). The write raises Conflict if the task is
    no longer in that state, and the unit of work rolls back."""
    staged = session.info.setdefault(_STAGED_CAS, {}).setdefault(
        wf_ex_id, {})
    if task_ex_id in staged:
        write_staged(session, wf_ex_id)  # keep two updates in order
        staged = session.info[_STAGED_CAS].setdefault(wf_ex_id, {})
    values.setdefault("updated_at", models.utcnow())
    staged[task_ex_id] = (from_state, values)


@sa.event.listens_for(orm.Session, "before_commit")
def _write_staged_before_commit(session):
    write_staged(session)


def write_staged(session, wf_ex_id=None):
    """Write the staged rows and task updates of execution ``wf_ex_id``
    (None: of all).

    :raises Conflict: a staged update found its task in another state.
    """
    _insert_staged(session, _take_staged(session, _STAGED, wf_ex_id))
    _update_staged(session, _take_staged(session, _STAGED_CAS, wf_ex_id))


def _take_staged(session, key, wf_ex_id):
    staged = session.info.get(key)
    if not staged:
        return []
    ids = list(staged) if wf_ex_id is None else [wf_ex_id]
    return [staged.pop(one) for one in ids if one in staged]


def _insert_staged(session, per_execution):
    groups = collections.defaultdict(list)
    for rows in per_execution:
        for table, values in rows:
            groups[table.name, tuple(sorted(values))].append(
                (table, values))
    for (name, _), rows in sorted(groups.items(), key=lambda g: (
            _WRITE_ORDER.index(g[0][0]), g[0][1])):
        table = rows[0][0]
        _run(session, _once(("insert", name), table.insert),
             [values for _, values in rows])


def _update_staged(session, per_execution):
    groups = collections.defaultdict(dict)
    for updates in per_execution:
        for task_ex_id, (from_state, values) in updates.items():
            groups[tuple(sorted(values))][task_ex_id] = (from_state, values)
    for columns, updates in sorted(groups.items()):
        won = cas_update_many(session, _TASK, columns, updates)
        lost = sorted(set(updates) - won)
        if lost:
            raise exceptions.Conflict(
                "Task execution %s is no longer %s"
                % (lost[0], updates[lost[0]][0]))


def flush(session):
    """Write staged rows now, turning a unique violation into an error."""
    with _duplicate_as_error():
        session.flush()


@contextlib.contextmanager
def _duplicate_as_error():
    """A unique violation as DBDuplicateEntry."""
    try:
        yield
    except sa_exc.IntegrityError as e:
        raise exceptions.DBDuplicateEntry(
            "Duplicate entry: %s" % e.orig) from e


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
    write_staged(session, wf_ex_id)
    wf_ex = _run(session, _LOCK_WF_WITH_DATA if with_data else _LOCK_WF,
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
    for wf_ex_id in wf_ex_ids:
        write_staged(session, wf_ex_id)
    return _rows_by_id(session, _WF, _WF_SMALL_NAMES, wf_ex_ids, lock=True)


def _rows_by_id(session, table, columns, ids, lock=False):
    """``{id: row}`` of ``table``'s rows with these ids (``id`` and the
    named ``columns``); a missing id is missing. One statement, built
    once per shape; ``lock`` takes their row locks in id order."""
    if not ids:
        return {}
    ids = sorted(set(ids))

    def build():
        stmt = sa.select(table.c.id, *[table.c[n] for n in columns]).where(
            _in(table.c.id, "ids", _arity(ids)))
        return stmt.order_by(table.c.id).with_for_update() if lock else stmt
    stmt = _once(("by id", table.name, columns, _arity(ids), lock), build)
    return {row.id: row for row in _run(session, stmt,
                                        _in_params("ids", ids))}


def get_execution_workflow_id(session, wf_ex_id):
    """The ``workflow_id`` of a workflow execution; None if there is no
    execution with this id."""
    row = _rows_by_id(session, _WF, ("workflow_id",), [wf_ex_id]).get(
        wf_ex_id)
    return None if row is None else row.workflow_id


def get_executions_data(session, wf_ex_ids):
    """``{id: (context, input)}`` of the workflow executions given."""
    rows = _rows_by_id(session, _WF, ("context", "input"), wf_ex_ids)
    return {i: (row.context, row.input) for i, row in rows.items()}


def get_execution_data(session, wf_ex_id):
    """``(context, input)`` of a workflow execution."""
    return get_executions_data(session, [wf_ex_id])[wf_ex_id]


def get_execution_spec(session, wf_ex_id):
    """The spec (a dict) a workflow execution runs."""
    return _run(session, _WF_SPEC, {"id": wf_ex_id}).scalar_one()


# What the engine reads of a task to decide, and its (large) data.
_TASK_SMALL = ("name", "state", "state_info", "processed", "runtime_context",
               "started_at")
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
    shape = (ids is not None and _arity(ids), name is not None,
             in_states is not None and _arity(in_states), with_data)

    def build():
        t = _TASK.c
        names = ("id",) + _TASK_SMALL + (_TASK_DATA if with_data else ())
        stmt = (sa.select(*[t[n] for n in names])
                .where(t.workflow_execution_id == sa.bindparam("wf"))
                .order_by(t.created_at, t.id))
        if ids is not None:
            stmt = stmt.where(_in(t.id, "ids", _arity(ids)))
        if name is not None:
            stmt = stmt.where(t.name == sa.bindparam("name"))
        if in_states is not None:
            stmt = stmt.where(_in(t.state, "states", _arity(in_states)))
        return stmt
    params = {"wf": wf_ex_id, "name": name}
    params.update(_in_params("ids", ids or ()))
    params.update(_in_params("states", in_states or ()))
    return list(_run(session, _once(("task states",) + shape, build),
                     params))


def get_tasks_for_engine(session, task_ex_ids, with_data=False):
    """``{id: row}`` of the task executions given, of any executions:
    the columns of ``get_task_states_for_engine`` and
    ``workflow_execution_id``; a missing id is missing.

    :param with_data: also ``in_context`` and ``published``.
    """
    columns = ("workflow_execution_id",) + _TASK_SMALL + (
        _TASK_DATA if with_data else ())
    return _rows_by_id(session, _TASK, columns, task_ex_ids)


def count_tasks_in_states(session, wf_ex_id, in_states, exclude_ids=()):
    """How many of an execution's tasks are in ``in_states``, leaving out
    ``exclude_ids`` (those the caller holds in memory)."""
    in_states, exclude_ids = list(in_states), list(exclude_ids)

    def build():
        t = _TASK.c
        stmt = sa.select(sa.func.count()).where(
            t.workflow_execution_id == sa.bindparam("wf"),
            _in(t.state, "states", _arity(in_states)))
        if exclude_ids:
            stmt = stmt.where(_in(t.id, "ids", _arity(exclude_ids),
                                  negate=True))
        return stmt
    stmt = _once(("count tasks", _arity(in_states),
                  bool(exclude_ids) and _arity(exclude_ids)), build)
    params = {"wf": wf_ex_id}
    params.update(_in_params("states", in_states))
    params.update(_in_params("ids", exclude_ids))
    return _run(session, stmt, params).scalar_one()


def get_task_data(session, task_ex_ids):
    """``{id: (in_context, published)}`` of the task executions given."""
    rows = _rows_by_id(session, _TASK, _TASK_DATA, task_ex_ids)
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
    return _rows_by_id(session, _ACTION, _ACTION_FOR_ENGINE, action_ex_ids)


def get_action_run_inputs(session, action_ex_ids):
    """``{id: row}`` with the ``input`` and ``params`` of the action
    executions given; a missing id is missing."""
    return _rows_by_id(session, _ACTION, ("input", "params"), action_ex_ids)


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
    table = model.__table__
    columns = tuple(sorted(values))
    from_states = list(from_states)

    def build():
        return (table.update()
                .where(table.c.id == sa.bindparam("_id"),
                       _in(table.c.state, "_from", _arity(from_states)))
                .values({c: sa.bindparam("v_" + c) for c in columns}))
    stmt = _once(("cas", table.name, columns, _arity(from_states)), build)
    params = {"v_" + c: v for c, v in values.items()}
    params["_id"] = obj_id
    params.update(_in_params("_from", from_states))
    return _run(session, stmt, params).rowcount == 1


# Most rows one compare-and-set statement of several rows takes (an
# executor's batch); each carries a CASE branch per row and column.
_CAS_CHUNK = 64


def cas_update_many(session, table, columns, updates, constants=None):
    """Compare-and-set several rows of ``table``, each from its own state
    to its own values, in one statement per chunk (a ``CASE`` per column,
    ``RETURNING`` the winners) instead of one per row.

    The statement is SQL text made once per dialect and shape, its values
    converted by the columns' types: as a SQLAlchemy construct it held
    a clause per row and column, which SQLAlchemy walked for its cache
    key on every call and compiled for each new batch size (more time
    than the database took to run it).

    :param columns: the names every row sets.
    :param updates: ``{id: (from_state, {column: value})}``.
    :param constants: ``{column: value}`` set on every row.
    :returns: the set of ids whose update won.
    """
    conn = session.connection()
    dialect = conn.dialect
    constants = dict(constants or {})
    constant_names = tuple(sorted(constants))
    convert = _bind_processors(dialect, table)
    won = set()
    items = sorted(updates.items())
    for start in range(0, len(items), _CAS_CHUNK):
        part = items[start:start + _CAS_CHUNK]
        params = {"c_" + c: convert[c](constants[c]) for c in constant_names}
        for k, (row_id, (from_state, values)) in enumerate(part):
            params["i%d" % k], params["f%d" % k] = row_id, from_state
            params.update(("v%d_%s" % (k, c), convert[c](values[c]))
                          for c in columns)
        sql = _cas_many_sql(dialect, table, columns, constant_names,
                            len(part))
        won.update(row[0] for row in conn.exec_driver_sql(sql, params))
    return won


_processors = {}


def _bind_processors(dialect, table):
    """``{column: fn}`` turning a value into what the driver takes (JSON
    text, SQLite's datetime text...), as SQLAlchemy would."""
    key = (dialect.name, dialect.driver, table.name)
    found = _processors.get(key)
    if found is None:
        found = {}
        for column in table.c:
            fn = column.type.dialect_impl(dialect).bind_processor(dialect)
            found[column.name] = fn or _same
        _processors[key] = found
    return found


def _same(value):
    return value


_cas_sql = {}


def _cas_many_sql(dialect, table, columns, constant_names, count):
    key = (dialect.name, dialect.driver, table.name, columns,
           constant_names, count)
    sql = _cas_sql.get(key)
    if sql is not None:
        return sql
    named = "%%(%s)s" if dialect.paramstyle == "pyformat" else ":%s"

    def value(name, column):
        # PostgreSQL types the CASE by its branches: untyped text would
        # not go into a JSON or boolean column without a cast. A cast to
        # VARCHAR(n) would cut a longer value short: cast to VARCHAR, and
        # let the column refuse it as an assignment does.
        if dialect.name != "postgresql":
            return named % name
        column_type = table.c[column].type
        if isinstance(column_type, sa.String):
            column_type = sa.String()
        return "CAST(%s AS %s)" % (named % name,
                                   column_type.compile(dialect=dialect))

    def per_row(prefix, column):
        return "CASE id %s END" % " ".join(
            "WHEN %s THEN %s" % (named % ("i%d" % k),
                                 value(prefix % k, column))
            for k in range(count))
    sets = ["%s = %s" % (c, per_row("v%%d_%s" % c, c)) for c in columns]
    sets += ["%s = %s" % (c, value("c_" + c, c)) for c in constant_names]
    sql = _cas_sql[key] = (
        "UPDATE %s SET %s WHERE id IN (%s) AND state = %s RETURNING id" % (
            table.name, ", ".join(sets),
            ", ".join(named % ("i%d" % k) for k in range(count)),
            per_row("f%d", "state")))
    return sql


def complete_action_executions(session, outcomes):
    """Compare-and-set action executions from RUNNING to their results,
    a batch in one statement.

    :param outcomes: ``{action_ex_id: (state, state_info, output)}``.
    :returns: the set of ids whose update won (those still RUNNING).
    """
    return cas_update_many(
        session, _ACTION, ("output", "state", "state_info"),
        {action_ex_id: ("RUNNING", {
            "state": state, "state_info": state_info, "output": output})
         for action_ex_id, (state, state_info, output) in outcomes.items()},
        {"accepted": True, "updated_at": models.utcnow()})


def claim_action_executions(session, action_ex_ids, claim, is_sync=True,
                            executor=None):
    """Record that ``executor`` runs these actions under the token
    ``claim``; returns the set of ids it may run.

    Idempotent for the same token (a claim whose answer was lost can be
    asked again), exclusive between tokens, and refused for an action no
    longer RUNNING. One statement, however many actions an executor's
    batch claims. ``is_sync`` False records that the results will be
    pushed through the API.
    """
    ids = sorted(set(action_ex_ids))

    def build():
        a = _ACTION.c
        return (_ACTION.update()
                .where(_in(a.id, "ids", _arity(ids)), a.state == "RUNNING",
                       sa.or_(a.claimed_by.is_(None),
                              a.claimed_by == sa.bindparam("_claim")))
                .values(claimed_by=sa.bindparam("_claim"),
                        claimed_at=sa.bindparam("_now"),
                        is_sync=sa.bindparam("_is_sync"),
                        executor=sa.bindparam("_executor"))
                .returning(a.id))
    params = {"_claim": claim, "_now": models.utcnow(),
              "_is_sync": is_sync, "_executor": executor}
    params.update(_in_params("ids", ids))
    stmt = _once(("claim", _arity(ids)), build)
    return set(_run(session, stmt, params).scalars())


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
    outbox_ack(session, "run_action", [action_ex_id])
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

OutboxRow = collections.namedtuple(
    "OutboxRow", "id kind ref_id payload next_send_at attempts")
_OUTBOX_ADD = _OUTBOX.insert()


def outbox_add(session, kind, ref_id, payload, next_send_at,
               later_for=None):
    """Write a message to send after commit; returns it as an ``OutboxRow``.

    The writer sends it right after commit; ``next_send_at`` is when a
    sweeper sends it if it is still not acknowledged by then.

    :param later_for: stage the row with the new rows of this execution
        (see insert_later); its ``id`` is then None, for a message its
        receiver acknowledges by ``ref_id``.
    """
    values = {"kind": kind, "ref_id": ref_id, "payload": payload,
              "created_at": models.utcnow(), "next_send_at": next_send_at,
              "attempts": 0}
    if later_for is not None:
        insert_later(session, models.OutboxMessage, later_for, **values)
        return OutboxRow(None, kind, ref_id, payload, next_send_at, 0)
    result = _run(session, _OUTBOX_ADD, values)
    return OutboxRow(result.inserted_primary_key[0], kind, ref_id, payload,
                     next_send_at, 0)


def outbox_ack(session, kind, ref_ids):
    """Drop the outbox rows of ``kind`` about any of ``ref_ids``: they
    arrived."""
    ref_ids = sorted(set(ref_ids))
    if not ref_ids:
        return
    stmt = _once(("ack", _arity(ref_ids)), lambda: _OUTBOX.delete().where(
        _OUTBOX.c.kind == sa.bindparam("kind"),
        _in(_OUTBOX.c.ref_id, "refs", _arity(ref_ids))))
    params = {"kind": kind}
    params.update(_in_params("refs", ref_ids))
    _run(session, stmt, params)


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
