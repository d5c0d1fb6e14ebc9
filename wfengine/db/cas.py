"""Compare-and-set writes: a row changes only while its state is the one
its writer saw (DESIGN.md rule 2), for one row or many in one statement.

Each returns whether (or which) updates won, so that a duplicate or late
event changes nothing; the caller decides what a loss means.
"""
import sqlalchemy as sa

from wfengine import cache
from wfengine import state_names as states
from wfengine.db import models
from wfengine.db import prepared
from wfengine.db import statements as st

_ACTION = models.ActionExecution.__table__


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
                       st.in_(table.c.state, "_from", st.arity(from_states)))
                .values({c: sa.bindparam("v_" + c) for c in columns}))
    stmt = st.once(("cas", table.name, columns, st.arity(from_states)), build)
    params = {"v_" + c: v for c, v in values.items()}
    params["_id"] = obj_id
    params.update(st.in_params("_from", from_states))
    return st.run(session, stmt, params).rowcount == 1


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
    conn = st.connection(session)
    dialect = conn.dialect
    constants = dict(constants or {})
    constant_names = tuple(sorted(constants))
    convert = _bind_processors(dialect, table)
    won = set()
    items = sorted(updates.items())
    for start in range(0, len(items), _CAS_CHUNK):
        part = items[start:start + _CAS_CHUNK]
        params = {"c_" + c: convert[c](constants[c]) for c in constant_names}
        # A statement per padded size: the last row repeated reads the
        # same (its id once more in the IN list and in each CASE).
        part = st.pad(part)
        for k, (row_id, (from_state, values)) in enumerate(part):
            params["i%d" % k], params["f%d" % k] = row_id, from_state
            params.update(("v%d_%s" % (k, c), convert[c](values[c]))
                          for c in columns)
        sql = _cas_many_sql(dialect, table, columns, constant_names,
                            len(part))
        won.update(row[0] for row in prepared.execute_text(conn, sql, params))
    return won


_processors = cache.BoundedCache(64)


def _bind_processors(dialect, table):
    """``{column: fn}`` turning a value into what the driver takes (JSON
    text, SQLite's datetime text...), as SQLAlchemy would."""
    key = (dialect.name, dialect.driver, table.name)
    return _processors.get_or_make(key, lambda: {
        column.name: column.type.dialect_impl(dialect).bind_processor(
            dialect) or _same for column in table.c})


def _same(value):
    return value


_cas_sql = cache.BoundedCache(1024)


def _cas_many_sql(dialect, table, columns, constant_names, count):
    key = (dialect.name, dialect.driver, table.name, columns,
           constant_names, count)
    return _cas_sql.get_or_make(key, lambda: _cas_many_text(
        dialect, table, columns, constant_names, count))


def _cas_many_text(dialect, table, columns, constant_names, count):
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
    return (
        "UPDATE %s SET %s WHERE id IN (%s) AND state = %s RETURNING id" % (
            table.name, ", ".join(sets),
            ", ".join(named % ("i%d" % k) for k in range(count)),
            per_row("f%d", "state")))


def complete_action_executions(session, outcomes):
    """Compare-and-set action executions from RUNNING (or the state
    given) to their results, a batch in one statement.

    :param outcomes: ``{action_ex_id: (state, state_info, output)}``, or
        ``(state, state_info, output, from_state, accepted)``: an action
        paused by request is completed from PAUSED; a result that is not
        accepted is not its task's (an ad-hoc output that failed).
    :returns: the set of ids whose update won (those still in the state
        they were completed from).
    """
    return cas_update_many(
        session, _ACTION, ("output", "state", "state_info", "accepted"),
        {action_ex_id: (outcome[3] if len(outcome) > 3 else states.RUNNING,
                        {"state": outcome[0], "state_info": outcome[1],
                         "output": outcome[2],
                         "accepted": outcome[4] if len(outcome) > 4
                         else True})
         for action_ex_id, outcome in outcomes.items()},
        {"updated_at": models.utcnow()})


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
                .where(st.in_(a.id, "ids", st.arity(ids)),
                       a.state == states.RUNNING,
                       sa.or_(a.claimed_by.is_(None),
                              a.claimed_by == sa.bindparam("_claim")))
                .values(claimed_by=sa.bindparam("_claim"),
                        claimed_at=sa.bindparam("_now"),
                        is_sync=sa.bindparam("_is_sync"),
                        executor=sa.bindparam("_executor"))
                .returning(a.id))
    params = {"_claim": claim, "_now": models.utcnow(),
              "_is_sync": is_sync, "_executor": executor}
    params.update(st.in_params("ids", ids))
    stmt = st.once(("claim", st.arity(ids)), build)
    return set(st.run(session, stmt, params).scalars())
