"""``session.row_reader`` on PostgreSQL, through psycopg (3) and psycopg2:
its statements run outside a transaction (no ``BEGIN``/``ROLLBACK`` round
trips), and the connection goes back to the pool ready for transactions
again, whatever happened."""
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

from wfengine.db import session


@pytest.fixture
def pg(pg_driver_url, monkeypatch):
    session.configure(pg_driver_url, pool_size=1, max_overflow=0)
    monkeypatch.setattr(session.time, "sleep", lambda _s: None)
    yield session.get_engine()
    session.dispose()


def _idle(raw):
    """Whether the driver's connection is outside a transaction (no
    ``BEGIN`` sent): status 0 (``IDLE``) in either driver's terms."""
    return int(raw.info.transaction_status) == 0


def _sent(engine):
    """The statements SQLAlchemy hands to the driver, as they go."""
    seen = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, stmt, *_a: seen.append(stmt))
    return seen


def test_a_row_read_runs_outside_a_transaction_then_pools_it_as_before(pg):
    def read(conn):
        raw = conn.connection.dbapi_connection
        # Outside a transaction: PostgreSQL's now() moves between
        # statements, which it never does inside one.
        first = conn.exec_driver_sql("SELECT statement_timestamp(), "
                                     "now()").one()
        return raw.autocommit, _idle(raw), first

    autocommit, idle, (stmt_ts, now) = session.row_reader(read)
    assert autocommit is True
    assert idle  # no BEGIN sent
    assert stmt_ts == now
    with pg.connect() as conn:  # the one pooled connection, back again
        raw = conn.connection.dbapi_connection
        assert raw.autocommit is False
        conn.exec_driver_sql("SELECT 1")
        assert not _idle(raw)  # BEGIN as usual
        conn.rollback()


def test_a_failed_row_read_is_retried_whole_and_leaves_no_autocommit(pg):
    calls = []

    def flaky(conn):
        calls.append(conn.connection.dbapi_connection.autocommit)
        if len(calls) < 2:
            raise sa_exc.OperationalError(
                "SELECT", {}, Exception("could not receive data"))
        return conn.exec_driver_sql("SELECT 41 + 1").scalar()

    assert session.row_reader(flaky) == 42
    assert calls == [True, True]

    def refused(_conn):
        raise sa_exc.IntegrityError("SELECT", {}, Exception("no"))
    with pytest.raises(sa_exc.IntegrityError):
        session.row_reader(refused)
    assert pg.pool.checkedout() == 0
    with pg.connect() as conn:
        assert conn.connection.dbapi_connection.autocommit is False


def test_a_connection_broken_during_a_row_read_is_not_pooled_again(pg):
    def breaks(conn):
        conn.connection.dbapi_connection.close()
        raise sa_exc.IntegrityError("SELECT", {}, Exception("no"))

    with pytest.raises(sa_exc.IntegrityError):
        session.row_reader(breaks)
    assert pg.pool.checkedout() == 0
    assert session.row_reader(
        lambda conn: conn.execute(sa.text("SELECT 7")).scalar()) == 7


def test_a_unit_of_work_after_row_reads_still_commits_and_rolls_back(pg):
    with pg.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE kept (id int PRIMARY KEY)")
    session.row_reader(lambda conn: conn.exec_driver_sql("SELECT 1").all())
    seen = _sent(pg)

    def write(sess, fail):
        sess.execute(sa.text("INSERT INTO kept VALUES (1)"))
        if fail:
            raise RuntimeError("undone")

    with pytest.raises(RuntimeError):
        session.unit_of_work(write, True)
    assert session.row_reader(lambda conn: conn.exec_driver_sql(
        "SELECT count(*) FROM kept").scalar()) == 0
    session.unit_of_work(write, False)
    assert session.row_reader(lambda conn: conn.exec_driver_sql(
        "SELECT count(*) FROM kept").scalar()) == 1
    assert seen.count("INSERT INTO kept VALUES (1)") == 2
