"""Which database errors retry a unit of work whole (DESIGN.md rule 3)."""
import psycopg
from psycopg import errors as psycopg_errors
import psycopg2
import pytest
from sqlalchemy import exc as sa_exc

from wfengine.db import session


def _op(text, pgcode=None, cls=sa_exc.OperationalError):
    orig = psycopg2.OperationalError(text)
    if pgcode:
        orig = type("PgError", (psycopg2.OperationalError,),
                    {"pgcode": pgcode})(text)
    return cls("SELECT 1", {}, orig)


@pytest.mark.parametrize("text", [
    'connection to server at "127.0.0.1", port 5432 failed: Connection '
    'refused\n\tIs the server running on that host and accepting TCP/IP '
    'connections?',
    'could not connect to server: Connection refused',
    'server closed the connection unexpectedly\n\tThis probably means the '
    'server terminated abnormally',
    'terminating connection due to administrator command',
    'FATAL:  the database system is starting up',
    'FATAL:  the database system is shutting down',
    'could not receive data from server: Connection reset by peer',
    'SSL SYSCALL error: EOF detected',
    'connection to server at "127.0.0.1", port 5432 failed: timeout expired',
])
def test_lost_or_refused_connections_are_transient(text):
    error = _op(text)
    assert session.is_connection_error(error)
    assert session.is_transient(error)


def test_connection_already_closed_is_transient():
    error = sa_exc.InterfaceError("SELECT 1", {}, psycopg2.InterfaceError(
        "connection already closed"))
    assert session.is_transient(error)


@pytest.mark.parametrize("pgcode", ["40001", "40P01"])
def test_serialization_failures_and_deadlocks_are_transient(pgcode):
    error = _op("could not serialize access", pgcode)
    assert session.is_transient(error)
    assert not session.is_connection_error(error)


@pytest.mark.parametrize("pgcode", ["08006", "57P01", "57P03", "53300"])
def test_connection_sqlstates_are_transient(pgcode):
    assert session.is_transient(_op("whatever the words", pgcode))


def test_refused_statements_are_not_transient():
    error = sa_exc.IntegrityError("INSERT", {}, psycopg2.IntegrityError(
        "duplicate key value violates unique constraint"))
    assert not session.is_transient(error)
    assert not session.is_transient(_op("division by zero"))


def test_a_refused_connection_is_retried_and_recorded(tmp_path, monkeypatch):
    session.configure("sqlite:///%s" % (tmp_path / "t.db"))
    try:
        monkeypatch.setattr(session.time, "sleep", lambda _s: None)
        calls = []

        def flaky(_session):
            calls.append(1)
            if len(calls) < 3:
                raise _op("connection to server at \"x\" failed: "
                          "Connection refused")
            return "done"

        before = session.last_connection_failure()
        assert session.unit_of_work(flaky) == "done"
        assert len(calls) == 3
        assert session.last_connection_failure() > before
    finally:
        session.dispose()


def test_a_row_reader_is_retried_whole_and_reads_in_a_transaction(
        tmp_path, monkeypatch):
    session.configure("sqlite:///%s" % (tmp_path / "t.db"))
    try:
        monkeypatch.setattr(session.time, "sleep", lambda _s: None)
        calls = []

        def flaky(conn):
            calls.append(conn.in_transaction())
            if len(calls) < 2:
                raise _op("database is locked")
            return conn.exec_driver_sql("SELECT 41 + 1").scalar()

        assert session.row_reader(flaky) == 42
        assert calls == [True, True]

        def refused(_conn):
            raise sa_exc.IntegrityError("SELECT", {}, Exception("no"))
        with pytest.raises(sa_exc.IntegrityError):
            session.row_reader(refused)
        # Every connection went back to the pool.
        assert session.get_engine().pool.checkedout() == 0
    finally:
        session.dispose()


# psycopg (3), the driver the documentation names, says the same things
# in its own classes: ``sqlstate`` where psycopg2 has ``pgcode``.

@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
def test_psycopg_serialization_failures_and_deadlocks_are_transient(
        sqlstate):
    error = sa_exc.OperationalError(
        "SELECT 1", {}, psycopg_errors.lookup(sqlstate)("whatever"))
    assert session.is_transient(error)
    assert not session.is_connection_error(error)


@pytest.mark.parametrize("sqlstate", ["08006", "57P01", "57P03", "53300"])
def test_psycopg_connection_sqlstates_are_transient(sqlstate):
    error = sa_exc.OperationalError(
        "SELECT 1", {}, psycopg_errors.lookup(sqlstate)("whatever"))
    assert session.is_connection_error(error)
    assert session.is_transient(error)


@pytest.mark.parametrize("text", [
    "the connection is closed",
    "the connection is lost",
    "consuming input failed: server closed the connection unexpectedly",
    'connection failed: connection to server at "127.0.0.1", port 5432 '
    'failed: Connection refused',
])
def test_psycopg_lost_or_refused_connections_are_transient(text):
    error = sa_exc.OperationalError("SELECT 1", {},
                                    psycopg.OperationalError(text))
    assert session.is_connection_error(error)
    assert session.is_transient(error)


def test_psycopg_refused_statements_are_not_transient():
    error = sa_exc.IntegrityError("INSERT", {}, psycopg_errors.lookup(
        "23505")("duplicate key value violates unique constraint"))
    assert not session.is_transient(error)
    assert not session.is_connection_error(error)
