"""The engine's statements, run on the driver's cursor.

A unit of work of the engine sends about ten statements, each a Core
statement built once (``statements.once``). Through
``Connection.execute`` each still pays SQLAlchemy's per-call work: the
cache key, an execution context, the parameters rebuilt from the
compiled form, a result object and its row processors. Measured on this
project's machines that is 30 to 70 µs a statement against 3 µs for the
driver's own ``execute``: about a quarter of the engine's CPU per
transition.

Here a statement is compiled once per dialect (and, for an ``INSERT`` or
``UPDATE``, per set of parameter names, as SQLAlchemy compiles them) into
what the driver needs: the SQL text, the order of its parameters, each
parameter's type conversion and the Python-side column defaults; a
``SELECT``'s rows come back as light named tuples converted by their
columns' types. What SQLAlchemy would do, done once:

- values go through the same bind and result processors (the types'
  ``dialect_impl``), so a JSON or a date reads and writes the same;
- a driver error goes through the connection's own error handling
  (``Connection._handle_dbapi_exception``): the same exception classes,
  the same invalidation of a lost connection and of its pool, the
  parameters hidden;
- ``before_cursor_execute`` listeners still see each statement.

Statements this does not take go through ``Connection.execute`` as
before: an expanding ``IN``, ``RETURNING``, a generated primary key
(``inserted_primary_key``), a multi-row ``UPDATE``, a parameter missing,
anything but a ``SELECT``, ``INSERT``, ``UPDATE`` or ``DELETE``. If the
installed SQLAlchemy lacks what this relies on, everything does.

A write whose outcome nobody reads (a unit's staged rows, an outbox
acknowledgement) may also wait (:func:`defer`): on psycopg2, which sends
several statements in one call, it goes to the server with the
transaction's next statement, one round trip for both, and at the
latest before the commit. Each round trip saved is a wake-up of the
database's backend and of the engine's thread, which on two busy cores
is where much of a unit's wall time went. Private to ``wfengine.db``.
"""
import collections
import keyword
import re
import threading
import weakref

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection

from wfengine import cache

# What this relies on in SQLAlchemy, checked once: without it every
# statement takes ``Connection.execute``.
ENABLED = hasattr(Connection, "_handle_dbapi_exception")

# Prepared statements by (statement, dialect, parameter names); the
# statement and the dialect are held, so an id is never taken for
# another's.
_prepared = cache.BoundedCache(4096)

# A ``SELECT``'s rows: tuple classes by column names.
_row_classes = cache.BoundedCache(1024)

# The most rows, and values, one INSERT of several rows carries.
_ROWS_PER_INSERT = 1000
_PARAMS_PER_INSERT = 30000

# One placeholder of psycopg's named style.
_NAMED = re.compile(r"%\((\w+)\)s")

# Where a connection keeps the writes that wait for its next statement
# (its ``info``, which is the pooled connection's): a list of
# ``(sql, args, rendered)``.
_PENDING = "wfengine.pending"
# Engines whose connections let writes wait (see :func:`install`).
_deferring = weakref.WeakSet()
_install_lock = threading.Lock()


def execute(conn, stmt, params, new_key=True):
    """``stmt`` run with ``params`` (a dict, or a list of dicts for an
    ``INSERT`` of several rows) on ``conn``: a :class:`Result`, or
    ``conn.execute``'s own where this does not take the statement.

    :param new_key: False if the caller of an ``INSERT`` will not ask
        for the primary key the database makes.
    """
    rows = params if isinstance(params, list) else None
    first = rows[0] if rows else params
    if not ENABLED or not isinstance(first, dict):
        return conn.execute(stmt, params)
    prepared = _prepare(conn.dialect, stmt, first, new_key)
    if prepared is None or (rows and len(rows) > 1
                            and not prepared.is_insert):
        return conn.execute(stmt, params)
    try:
        values = [prepared.values(row) for row in (rows or (first,))]
    except KeyError:   # a parameter missing: SQLAlchemy says which
        return conn.execute(stmt, params)
    return prepared.run(conn, values)


def execute_text(conn, sql, params):
    """The rows (tuples) of SQL text ``sql`` in the dialect's parameter
    style, run with ``params`` as they are (converted by the caller)."""
    if not ENABLED:
        return list(conn.exec_driver_sql(sql, params))
    return _on_cursor(conn, sql, params, False, lambda cursor: (
        cursor.fetchall() if cursor.description else []))


def _on_cursor(conn, sql, args, many, answer):
    """``answer(cursor)`` once ``sql`` ran with ``args`` on a cursor of
    ``conn``'s driver connection (``executemany`` if ``many``), the
    ``before_cursor_execute`` listeners told first; a driver error
    handled by the connection as SQLAlchemy handles it. The writes
    waiting on the connection (:func:`defer`) go first, in the same
    call (``sql`` None: only they)."""
    fairy = conn.connection
    cursor = fairy.cursor()
    # Only psycopg2's connections hold waiting writes (install), and no
    # statement runs there with executemany (Prepared.run).
    pending = fairy.info.pop(_PENDING, None)
    shown, shown_args = sql, args
    try:
        if pending:
            shown, shown_args = _shown(pending, sql), None
            _send(conn, cursor, pending, sql, args)
        elif sql is not None:
            for listener in conn.dispatch.before_cursor_execute:
                listener(conn, cursor, sql, args, None, many)
            if many:
                cursor.executemany(sql, args)
            else:
                cursor.execute(sql, args)
        return None if sql is None else answer(cursor)
    except conn.dialect.loaded_dbapi.Error as e:
        # Several statements sent as one are shown by their text, never
        # their values (the engine hides parameters: inputs carry
        # secrets).
        conn._handle_dbapi_exception(e, shown, shown_args, cursor, None)
        raise   # not reached: the line above raises
    finally:
        cursor.close()


def _send(conn, cursor, pending, sql, args):
    """The waiting writes, then ``sql`` if not None, in one call of the
    driver; each statement told to the listeners."""
    parts = [rendered for _, _, rendered in pending]
    for one_sql, one_args, _ in pending:
        for listener in conn.dispatch.before_cursor_execute:
            listener(conn, cursor, one_sql, one_args, None, False)
    if sql is not None:
        for listener in conn.dispatch.before_cursor_execute:
            listener(conn, cursor, sql, args, None, False)
        parts.append(cursor.mogrify(sql, args))
    cursor.execute(b";\n".join(parts))


def _shown(pending, sql):
    return ";\n".join([one_sql for one_sql, _, _ in pending]
                      + ([sql] if sql is not None else []))


def defer(conn, stmt, params):
    """Write ``stmt`` with ``params`` (as :func:`execute` takes them) on
    ``conn``, now or with the transaction's next statement: a write
    whose outcome (row count, error) the caller does not read.

    It waits only where the driver sends several statements in one
    call (psycopg2), on an engine made ready by :func:`install`, inside
    a transaction. A statement of this module sends the waiting writes
    first in its own call; any other statement (a savepoint's too) and
    the commit send them on their own just before (listeners on the
    engine); a rollback drops them. A refused write fails the statement
    it went with, or the commit, with the error SQLAlchemy gives, and
    the transaction rolls back as for any error. Anywhere else the write
    runs now.
    """
    rows = params if isinstance(params, list) else [params]
    if (not ENABLED or conn.engine not in _deferring
            or not isinstance(rows[0], dict) or not conn.in_transaction()):
        execute(conn, stmt, params, new_key=False)
        return
    prepared = _prepare(conn.dialect, stmt, rows[0], False)
    if prepared is None or (len(rows) > 1 and not prepared.is_insert):
        execute(conn, stmt, params, new_key=False)
        return
    try:
        values = [prepared.values(row) for row in rows]
    except KeyError:   # a parameter missing: SQLAlchemy says which, now
        execute(conn, stmt, params, new_key=False)
        return
    fairy = conn.connection
    cursor = fairy.cursor()
    try:
        waiting = [(sql, args, cursor.mogrify(sql, args))
                   for sql, args in prepared.statements(values)]
    finally:
        cursor.close()
    fairy.info.setdefault(_PENDING, []).extend(waiting)


def flush(conn):
    """Send the writes waiting on ``conn`` (:func:`defer`), if any."""
    if _PENDING in conn.connection.info:
        _on_cursor(conn, None, None, False, None)


def install(engine):
    """Let writes wait on ``engine``'s connections (:func:`defer`) if
    its driver sends several statements in one call (psycopg2): they
    are sent before any other statement (a savepoint's too) and before
    the commit, and dropped at a rollback."""
    if not ENABLED or engine.dialect.driver != "psycopg2":
        return
    with _install_lock:
        if engine in _deferring:
            return
        # First among the statement listeners: the others see the
        # waiting writes before the statement, in the order sent.
        event.listen(engine, "before_cursor_execute", _flush_before,
                     insert=True)
        event.listen(engine, "commit", _flush_before)
        for name in ("rollback", "rollback_savepoint"):
            event.listen(engine, name, _drop)
        event.listen(engine.pool, "checkin", _drop_checked_in)
        _deferring.add(engine)


def _flush_before(conn, *_args):
    if conn.invalidated or conn.closed:
        return
    flush(conn)


def _drop(conn, *_args):
    if not (conn.invalidated or conn.closed):
        conn.connection.info.pop(_PENDING, None)


def _drop_checked_in(_dbapi_connection, record):
    if record is not None:
        record.info.pop(_PENDING, None)


def _prepare(dialect, stmt, params, new_key):
    is_dml = isinstance(stmt, (sa.Insert, sa.Update))
    keys = tuple(sorted(params)) if is_dml else ()
    key = (id(stmt), id(dialect), keys, new_key)
    found = _prepared.get(key)
    if found is not None and found.stmt is stmt and found.dialect is dialect:
        return found.prepared
    made = _Held(stmt, dialect, _compile(dialect, stmt, keys, new_key))
    _prepared.put(key, made)
    return made.prepared


class _Held:
    __slots__ = ("stmt", "dialect", "prepared")

    def __init__(self, stmt, dialect, prepared):
        self.stmt, self.dialect, self.prepared = stmt, dialect, prepared


def _compile(dialect, stmt, keys, new_key):
    """A :class:`Prepared`, or None for a statement left to SQLAlchemy."""
    if not isinstance(stmt, (sa.Select, sa.Insert, sa.Update, sa.Delete)):
        return None
    is_insert = isinstance(stmt, sa.Insert)
    if is_insert:
        auto = stmt.table.autoincrement_column
        if new_key and auto is not None and auto.key not in keys:
            return None   # the caller may want inserted_primary_key
    # Compiled as for several rows, an INSERT has no implicit RETURNING
    # of its new key (PostgreSQL's), which nobody here reads.
    compiled = stmt.compile(dialect=dialect, column_keys=list(keys),
                            for_executemany=is_insert)
    if (compiled.post_compile_params or compiled.literal_execute_params
            or compiled.effective_returning):
        return None
    names = (compiled.positiontup if dialect.positional
             else list(compiled.bind_names.values()))
    by_name = {name: bind for bind, name in compiled.bind_names.items()}
    defaults = {}
    for column in [*(compiled.insert_prefetch or ()),
                   *(compiled.update_prefetch or ())]:
        default = column.default if is_insert else column.onupdate
        if default is None or not (default.is_scalar or default.is_callable):
            return None
        defaults[column.key] = default
    if set(defaults) - set(names):
        return None   # a default whose parameter is named otherwise
    binds = []
    for name in names:
        bind = by_name.get(name)
        if bind is None:
            return None
        convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
        binds.append(_Bind(name, compiled.escaped_bind_names.get(name, name),
                           bind, defaults.get(name), convert))
    columns = None
    if isinstance(stmt, sa.Select):
        columns = [(key, column.type)
                   for key, column in stmt.selected_columns.items()]
        if not _fit_for_tuple([k for k, _ in columns]):
            return None
    return Prepared(compiled.string, dialect, binds, columns, is_insert)


def _fit_for_tuple(names):
    return len(set(names)) == len(names) and all(
        n.isidentifier() and not keyword.iskeyword(n)
        and not n.startswith("_") for n in names)


class _Bind:
    """Where one parameter's value comes from, and its conversion."""
    __slots__ = ("name", "escaped", "key", "value", "required", "default",
                 "convert")

    def __init__(self, name, escaped, bind, default, convert):
        self.name, self.escaped, self.key = name, escaped, bind.key
        self.value = bind.callable or bind.value
        self.required = bind.required and default is None
        self.default, self.convert = default, convert

    def of(self, params):
        if self.key in params:
            value = params[self.key]
        elif self.name in params:
            value = params[self.name]
        elif self.default is not None:
            value = (self.default.arg(None) if self.default.is_callable
                     else self.default.arg)
        elif self.required:
            raise KeyError(self.key)
        else:
            value = self.value() if callable(self.value) else self.value
        return value if self.convert is None else self.convert(value)


class Prepared:
    """One statement as the driver takes it."""

    def __init__(self, sql, dialect, binds, columns, is_insert):
        self.sql, self.binds, self.columns = sql, binds, columns
        self.dialect, self.is_insert = dialect, is_insert
        self.positional = dialect.positional
        self._many = cache.BoundedCache(64)
        self._readers = None   # (row class, processors), at first rows

    def values(self, params):
        if self.positional:
            return tuple(b.of(params) for b in self.binds)
        return {b.escaped: b.of(params) for b in self.binds}

    def run(self, conn, values):
        if len(values) == 1:
            return _on_cursor(conn, self.sql, values[0], False, self._result)
        if self.positional:
            return _on_cursor(conn, self.sql, values, True, self._result)
        for sql, args in self.statements(values):
            result = _on_cursor(conn, sql, args, False, self._result)
        return result

    def statements(self, values):
        """``(sql, args)`` of each statement that writes ``values`` (a
        list of rows' values) in the named style: one for one row; for
        several, INSERTs of many rows as SQLAlchemy sends them, at most
        _ROWS_PER_INSERT rows and _PARAMS_PER_INSERT values a statement
        (psycopg binds on the server, which takes 65,535 at most)."""
        if len(values) == 1:
            return [(self.sql, values[0])]
        per = max(1, min(_ROWS_PER_INSERT,
                         _PARAMS_PER_INSERT // max(1, len(self.binds))))
        return [self._insert_many(values[start:start + per])
                for start in range(0, len(values), per)]

    def _result(self, cursor):
        if self.columns is None:
            return Result((), cursor.rowcount)
        return Result(self._rows(cursor), -1)

    def _rows(self, cursor):
        raw = cursor.fetchall()
        if self._readers is None:
            self._readers = self._make_readers(cursor.description)
        row_class, processors = self._readers
        if not processors:
            return [row_class._make(r) for r in raw]
        return [row_class._make([v if p is None else p(v)
                                 for p, v in zip(processors, r)])
                for r in raw]

    def _make_readers(self, description):
        names = tuple(name for name, _ in self.columns)
        dialect = self.dialect
        processors = [type_.dialect_impl(dialect).result_processor(
            dialect, description[i][1])
            for i, (_, type_) in enumerate(self.columns)]
        return (_row_classes.get_or_make(names, lambda: _row_class(names)),
                processors if any(processors) else None)

    def _insert_many(self, values):
        """``INSERT ... VALUES (...), (...)``: one statement for the rows
        (the named style's placeholders renamed per row)."""
        count = len(values)
        head, _, row = self.sql.partition(" VALUES ")
        sql = self._many.get_or_make(count, lambda: head + " VALUES " + (
            ", ".join(_NAMED.sub(lambda m, k=k: "%%(%s__%d)s" % (
                m.group(1), k), row) for k in range(count))))
        args = {}
        for k, one in enumerate(values):
            args.update(("%s__%d" % (name, k), v) for name, v in one.items())
        return sql, args


def _row_class(names):
    """A tuple class whose rows read like SQLAlchemy's: by position, by
    attribute, and as ``_mapping``."""
    base = collections.namedtuple("Row", names)

    class Row(base):
        __slots__ = ()

        @property
        def _mapping(self):
            return dict(zip(self._fields, self))

    return Row


class Result:
    """The part of SQLAlchemy's ``Result`` the engine's statements use."""
    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows, rowcount):
        self._rows, self.rowcount = rows, rowcount

    def __iter__(self):
        return iter(self._rows)

    def all(self):
        return list(self._rows)

    def first(self):
        return self._rows[0] if self._rows else None

    def one_or_none(self):
        if len(self._rows) > 1:
            raise sa.exc.MultipleResultsFound(
                "Multiple rows were found when one or none was required")
        return self.first()

    def one(self):
        row = self.one_or_none()
        if row is None:
            raise sa.exc.NoResultFound(
                "No row was found when one was required")
        return row

    def scalar(self):
        return self._rows[0][0] if self._rows else None

    def scalar_one(self):
        return self.one()[0]

    def scalar_one_or_none(self):
        row = self.one_or_none()
        return None if row is None else row[0]

    def scalars(self):
        return _Scalars([row[0] for row in self._rows])


class _Scalars(list):
    def all(self):
        return list(self)
