"""How the engine's queries run: Core statements built once per shape.

The engine's per-transition statements are Core statements built once and
run on the unit of work's connection: building an ORM statement per call
cost more than the database took to run it. Private to ``wfengine.db``.
"""
import contextlib

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from wfengine import cache
from wfengine import exceptions
from wfengine.db import prepared

# Statements by shape: a few hundred at most, bounded all the same.
_built = cache.BoundedCache(2048)

# Up to this many values, ``IN`` binds one parameter per value and the
# statement is built per size (see padded); longer lists use an expanding
# parameter, which SQLAlchemy rewrites on every call.
_FIXED_IN = 8


# Where a session keeps the connection of its transaction (see
# :func:`connection`).
_CONNECTION = "wfengine.connection"


def connection(session):
    """The connection of ``session``'s transaction.

    ``Session.connection()`` walks the session's transaction state on
    every call (about a twelfth of a lone transition's CPU, called for
    each of its statements); the connection is kept in the session's
    ``info`` at the first call instead. A session of ``db.session`` holds
    one transaction (``unit_of_work``, ``reader``) and is then closed,
    so the connection kept is the transaction's until the end.
    """
    conn = session.info.get(_CONNECTION)
    if conn is None or conn.closed:
        conn = session.info[_CONNECTION] = session.connection()
    return conn


def run(session, stmt, params=None, new_key=True):
    """Execute ``stmt`` on the unit of work's connection (on the driver's
    cursor where :mod:`wfengine.db.prepared` takes it; ``new_key`` as
    there)."""
    return prepared.execute(connection(session), stmt, params or {},
                            new_key=new_key)


def once(key, build):
    """The statement ``build()`` makes, built once per ``key``."""
    return _built.get_or_make(key, build)


def padded(count):
    """The size a statement for ``count`` values (or rows) is built for:
    the next power of two, the values beyond ``count`` repeating the
    last one. ``IN (a, b, c, c)`` reads as ``IN (a, b, c)``, and a
    statement per power of two instead of per count keeps fewer of them
    prepared: on SQLite each connection keeps the statements it ran, a
    wide one holding tens of KiB."""
    return 1 << (count - 1).bit_length() if count > 1 else count


def pad(items):
    """``items`` as a list of :func:`padded` length, the last repeated."""
    items = list(items)
    return items + items[-1:] * (padded(len(items)) - len(items))


def arity(values):
    """What a statement with ``IN values`` is built for (part of its key)."""
    return padded(len(values)) if len(values) <= _FIXED_IN else None


def in_(column, name, count, negate=False):
    """``column IN (...)`` for lists of ``count`` values (see arity)."""
    if count is None:
        values = sa.bindparam(name, expanding=True)
    else:
        values = [sa.bindparam("%s_%d" % (name, i)) for i in range(count)]
    return column.not_in(values) if negate else column.in_(values)


def in_params(name, values):
    """The parameters of ``in_(column, name, arity(values))``."""
    if arity(values) is None:
        return {name: list(values)}
    return {"%s_%d" % (name, i): v for i, v in enumerate(pad(values))}


def rows_by_id(session, table, columns, ids, lock=False, extra=()):
    """``{id: row}`` of ``table``'s rows with these ids (``id``, the named
    ``columns`` and the labelled expressions ``extra``); a missing id is
    missing. One statement, built once per shape; ``lock`` takes their
    row locks in id order."""
    if not ids:
        return {}
    ids = sorted(set(ids))

    def build():
        stmt = sa.select(table.c.id, *[table.c[n] for n in columns],
                         *extra).where(in_(table.c.id, "ids", arity(ids)))
        return stmt.order_by(table.c.id).with_for_update() if lock else stmt
    stmt = once(("by id", table.name, columns, arity(ids), lock,
                 tuple(e.name for e in extra)), build)
    return {row.id: row for row in run(session, stmt,
                                       in_params("ids", ids))}


def insert(session, model, **values):
    """Write one row of ``model`` now, without making an ORM object.

    :raises DBDuplicateEntry: a unique key of the row is taken.
    """
    table = model.__table__
    with duplicate_as_error():
        run(session, once(("insert", table.name), table.insert), values)


def insert_many(session, table, rows):
    """Write ``rows`` (dicts of the same columns) in one statement, now or
    with the transaction's next statement (:func:`write_later`)."""
    write_later(session, once(("insert", table.name), table.insert), rows)


def write_later(session, stmt, params):
    """Write ``stmt`` with ``params`` in the unit of work, now or with its
    next statement (``prepared.defer``): for a write whose row count and
    errors the caller does not read. A refused write fails the unit."""
    prepared.defer(connection(session), stmt, params)


@contextlib.contextmanager
def duplicate_as_error():
    """A unique violation as DBDuplicateEntry."""
    try:
        yield
    except sa_exc.IntegrityError as e:
        diag = getattr(e.orig, "diag", None)
        raise exceptions.DBDuplicateEntry(
            kind="A row of %s" % (getattr(diag, "table_name", None) or "a table"),
            key="unique constraint %s"
            % (getattr(diag, "constraint_name", None) or "unknown")) from e
