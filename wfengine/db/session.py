"""Database engine, sessions and the unit of work.

Transactions begin and end only in :func:`unit_of_work` (writes) and
:func:`reader` (reads). A unit of work that fails with a transient error
(deadlock, serialization failure, lost connection, SQLite busy) is retried
whole, so callers pass a function, never a half-done session.
"""
import contextlib
import logging
import random
import threading
import time

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy import orm

from wfengine import crashpoints
from wfengine import metrics
from wfengine.db import prepared

LOG = logging.getLogger(__name__)

_lock = threading.Lock()
# SQLite has one writer at a time. Taking turns on a lock in the process is
# the same order SQLite would impose, without its busy handler's sleeps.
_sqlite_writer = threading.Lock()
_engine = None
_sessionmaker = None
_max_retries = 10

# SQLSTATEs worth retrying on PostgreSQL: serialization failure, deadlock.
_RETRY_PGCODES = {"40001", "40P01"}


def configure(url, max_retries=10, pool_size=10, max_overflow=20,
              idle_in_transaction_timeout=0):
    """Create the process's database engine for ``url`` (once).

    :param idle_in_transaction_timeout: PostgreSQL: seconds after which
        the server ends a session idle inside a transaction (0: never),
        so that a process gone without closing its connection does not
        hold its locks for ever.
    """
    global _engine, _sessionmaker, _max_retries
    with _lock:
        if _engine is not None:
            return _engine
        _max_retries = max_retries
        _engine = _create_engine(url, pool_size, max_overflow,
                                 idle_in_transaction_timeout)
        _sessionmaker = orm.sessionmaker(bind=_engine, expire_on_commit=False)
        return _engine


def dispose():
    """Forget the engine (tests, and processes that fork)."""
    global _engine, _sessionmaker
    with _lock:
        if _engine is not None:
            _engine.dispose()
        _engine = None
        _sessionmaker = None


def get_engine():
    if _engine is None:
        raise RuntimeError("database is not configured")
    return _engine


def is_sqlite():
    return get_engine().dialect.name == "sqlite"


# Prepared statements each SQLite connection keeps (the driver's default is
# 128). The engine's batches make a statement per padded batch size (an
# IN list of 4 ids, a CASE of 8 rows: statements.padded), and a compiled
# statement of a wide INSERT or UPDATE holds tens of KiB: 128 of them on
# each of the pool's connections were 7 MiB of the embedded server's
# peak after wfbench's workloads. The twenty-odd statements of a busy
# engine stay cached among 32 (least recently used goes first).
SQLITE_STATEMENTS = 32


def _create_engine(url, pool_size, max_overflow, idle_timeout=0):
    # hide_parameters: errors must not quote values (inputs carry secrets).
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30,
                               "cached_statements": SQLITE_STATEMENTS},
            hide_parameters=True)
        _make_sqlite_serial(engine)
        return engine
    # No pre-ping (a round trip per checkout): a connection found dead
    # fails its unit of work with a transient error, which is retried whole.
    connect_args = {}
    if idle_timeout and url.startswith("postgresql"):
        connect_args["options"] = (
            "-c idle_in_transaction_session_timeout=%d"
            % int(idle_timeout * 1000))
    engine = sa.create_engine(url, pool_size=pool_size,
                              max_overflow=max_overflow,
                              hide_parameters=True,
                              connect_args=connect_args)
    prepared.install(engine)
    return engine


def _make_sqlite_serial(engine):
    """Let SQLite take its single write lock when a transaction begins.

    pysqlite's own transaction handling begins lazily with a plain BEGIN,
    so two readers could both decide and then race to write; BEGIN
    IMMEDIATE serializes writers up front, which is what makes the
    per-execution serialization of the engine hold on SQLite.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        # 256 KiB of page cache per connection instead of 2 MiB: the pool
        # holds up to 15, the OS caches the file anyway, and WAL
        # invalidates each connection's cache on every write.
        cur.execute("PRAGMA cache_size=-256")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql("BEGIN " + mode)


# SQLSTATE classes and codes of a connection that failed or went away:
# 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown,
# cannot connect now), 53300 (too many connections), 25P03 (the server
# ended a session idle in its transaction too long).
_CONNECTION_PGCODE_PREFIXES = ("08", "57P0", "53300", "25P03")

# What libpq, psycopg2 and psycopg (3) say when there is no usable
# connection. libpq's wording differs between versions ("could not connect
# to server" before 14, "connection to server at ... failed: Connection
# refused" since).
_CONNECTION_TEXTS = (
    "could not connect", "connection refused", "server closed",
    "connection to server", "terminating connection",
    "the database system is", "could not receive data",
    "could not send data", "connection already closed",
    "no connection to the server", "ssl syscall error", "eof detected",
    "connection timed out", "timeout expired", "connection reset",
    "network is unreachable", "server conn crashed",
    "the connection is closed", "the connection is lost",
    "cannot connect now", "too many clients", "broken pipe",
)

# Monotonic time of the last failure to reach the database in this
# process (0.0: none yet); the liveness check reads it.
_last_connection_failure = 0.0


def is_connection_error(error):
    """True if ``error`` says the database could not be reached (or the
    connection was lost), as opposed to a refused statement."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if not isinstance(error, (sa_exc.OperationalError,
                              sa_exc.InterfaceError)):
        return False
    orig = getattr(error, "orig", None)
    if _sqlstate(orig).startswith(_CONNECTION_PGCODE_PREFIXES):
        return True
    text = str(orig if orig is not None else error).lower()
    return any(marker in text for marker in _CONNECTION_TEXTS)


def _sqlstate(orig):
    """The SQLSTATE of a driver's error, "" if it has none: psycopg2 calls
    it ``pgcode``, psycopg (3) ``sqlstate``."""
    return (getattr(orig, "pgcode", None)
            or getattr(orig, "sqlstate", None) or "")


def is_transient(error):
    """True for database errors after which the whole unit may be retried:
    a lost or refused connection, deadlock, serialization failure, SQLite
    busy."""
    if is_connection_error(error):
        return True
    orig = getattr(error, "orig", None)
    if _sqlstate(orig) in _RETRY_PGCODES:
        return True
    if isinstance(error, sa_exc.OperationalError):
        text = str(orig).lower()
        return "locked" in text or "busy" in text
    return False


def note_connection_failure():
    """Record that this process could not use the database just now."""
    global _last_connection_failure
    _last_connection_failure = time.monotonic()


def last_connection_failure():
    """Monotonic time this process last failed to reach the database
    (0.0 if it never did)."""
    return _last_connection_failure


def _retrying(attempt_once, what):
    """Call ``attempt_once()``; retry it whole on a transient error, with a
    short jittered back-off, at most ``max_retries`` times."""
    attempt = 0
    while True:
        try:
            return attempt_once()
        except sa_exc.DBAPIError as e:
            if is_connection_error(e):
                note_connection_failure()
            if not is_transient(e) or attempt >= _max_retries:
                raise
            attempt += 1
            metrics.unit_of_work_retried(what)
            LOG.debug("Transient database error, retrying the %s (attempt "
                      "%s): %s", what, attempt, e)
            time.sleep(min(0.05 * 2 ** attempt, 2.0) * random.random())


def unit_of_work(fn, *args, **kwargs):
    """Run ``fn(session, *args, **kwargs)`` in one write transaction.

    Commits when ``fn`` returns, rolls back when it raises. A transient
    database error (deadlock, serialization failure, lost connection)
    retries the whole call.

    :returns: what ``fn`` returned.
    :raises: what ``fn`` raised, or the database error once retries are
        exhausted.
    """
    def once():
        session = _sessionmaker()
        try:
            with _writer_turn(), session.begin():
                result = fn(session, *args, **kwargs)
                crashpoints.inject_db_fault(session)
                return result
        finally:
            session.close()
    started = time.monotonic()
    operation = operation_name(fn, args)
    try:
        return _retrying(once, operation)
    finally:
        metrics.unit_of_work_done(operation, time.monotonic() - started)


def operation_name(fn, args):
    """A name for the metrics of ``fn(*args)``: the function, or the one
    it wraps (the engine passes its handlers through a wrapper)."""
    inner = args[0] if args and callable(args[0]) else fn
    return getattr(inner, "__name__", "unit_of_work").lstrip("_")


def _writer_turn():
    return _sqlite_writer if is_sqlite() else contextlib.nullcontext()


def reader(fn, *args, **kwargs):
    """Run ``fn(session, *args, **kwargs)`` in a read-only transaction,
    retried whole on a transient database error."""
    def once():
        session = _sessionmaker()
        try:
            if is_sqlite():
                session.connection(
                    execution_options={"sqlite_begin": "DEFERRED"})
            return fn(session, *args, **kwargs)
        finally:
            # close() rolls the transaction back on its way: a rollback()
            # before it would walk the session's state machine twice
            # (a fifth of a single GET's time).
            session.close()
    return _retrying(once, "read")


def row_reader(fn, *args, **kwargs):
    """Run ``fn(connection, *args, **kwargs)`` in a read-only transaction
    on a Core connection, retried whole like :func:`reader`.

    For reads made only of Core statements (the GET of one execution,
    task or action execution): no ORM session is made, begun and walked
    through its close, which cost a single GET more than its query.
    ``fn`` may run Core statements only (``connection.execute``), and
    only reads.

    On PostgreSQL the statements run outside a transaction (the driver's
    autocommit, psycopg2's or psycopg's): a transaction at the default
    READ COMMITTED level gives each statement its own snapshot anyway, so
    a read sees the same rows, and it spares the ``BEGIN`` and
    ``ROLLBACK`` that are two of a single-statement read's three round
    trips to the server.
    """
    def once():
        conn = get_engine().connect()
        raw = None
        try:
            if conn.dialect.name == "sqlite":
                conn.execution_options(sqlite_begin="DEFERRED")
                conn.begin()
            elif conn.dialect.driver in _AUTOCOMMIT_DRIVERS:
                # Set on the DBAPI connection itself: SQLAlchemy's
                # AUTOCOMMIT isolation level would cost a round trip
                # (``SET default_transaction_isolation``) at check-in.
                raw = conn.connection.dbapi_connection
                raw.autocommit = True
                conn.begin()  # no BEGIN is sent in autocommit
            else:
                conn.begin()
            return fn(conn, *args, **kwargs)
        finally:
            if raw is not None and not _leave_autocommit(raw):
                conn.invalidate()
            # Rolls the transaction back (nothing to send in autocommit)
            # and returns the connection.
            conn.close()
    return _retrying(once, "read")


# PostgreSQL drivers whose connections take ``autocommit`` as a flag of
# the client, sending nothing when it is set or cleared.
_AUTOCOMMIT_DRIVERS = ("psycopg2", "psycopg")


def _leave_autocommit(raw):
    """Put a pooled connection back to transactions (a flag on
    the client: nothing is sent). False if it could not be (a connection
    that broke meanwhile): the caller invalidates it, so that the pool
    never hands out a connection left in autocommit."""
    try:
        raw.autocommit = False
        return True
    except Exception:  # noqa: BLE001 - closed or broken connection
        LOG.debug("Could not leave autocommit on a pooled connection",
                  exc_info=True)
        return False
