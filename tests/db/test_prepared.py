"""``wfengine.db.prepared``: statements run on the driver's cursor answer
and fail as ``Connection.execute`` does, on SQLite and on PostgreSQL
through psycopg2 and psycopg (3)."""
import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

from wfengine import exceptions
from wfengine.db import _common
from wfengine.db import models
from wfengine.db import prepared
from wfengine.db import scope
from wfengine.db import session

_MD = sa.MetaData()
_T = sa.Table(
    "prepared_rows", _MD,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("state", sa.String(20), nullable=False, default="NEW"),
    sa.Column("data", sa.JSON),
    sa.Column("flag", sa.Boolean, nullable=False, default=False),
    sa.Column("at", sa.DateTime, default=models.utcnow),
    sa.Column("updated_at", sa.DateTime, onupdate=models.utcnow),
    sa.Column("n", sa.Integer))
_SERIAL = sa.Table(
    "prepared_serial", _MD,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("v", sa.String(10)))

_AT = datetime.datetime(2026, 12, 7, 1, 2, 3, 456789)
_BY_ID = sa.select(_T.c.id, _T.c.state, _T.c.data, _T.c.flag, _T.c.at,
                   _T.c.updated_at, _T.c.n).where(
                       _T.c.id == sa.bindparam("id"))
_ALL = sa.select(_T.c.id, _T.c.data, sa.literal(7).label("seven")).order_by(
    _T.c.id)
_INSERT = _T.insert()
_MOVE = (_T.update().where(_T.c.id == sa.bindparam("_id"),
                           _T.c.state == sa.bindparam("_from"))
         .values(state=sa.bindparam("_to")))
_DROP = _T.delete().where(_T.c.state == "GONE")


@pytest.fixture(params=["sqlite", "psycopg2", "psycopg"])
def engine(request):
    yield from _engine(request, request.param)


@pytest.fixture(params=["psycopg2", "psycopg"])
def pg_engine(request):
    yield from _engine(request, request.param)


def _engine(request, driver):
    if driver == "sqlite":
        url = request.getfixturevalue("sqlite_url")
    else:
        url = request.getfixturevalue("postgresql_url").replace(
            "+psycopg2:", "+%s:" % driver, 1)
    session.configure(url, pool_size=2, max_overflow=0)
    engine = session.get_engine()
    _MD.create_all(engine)
    yield engine
    session.dispose()


def test_rows_written_and_read_on_the_cursor_are_sqlalchemys(engine):
    with engine.begin() as conn:
        _with_cursor_only(lambda: [
            prepared.execute(conn, _INSERT, {
                "id": "a", "data": {"k": [1, "two", None]}, "flag": True,
                "at": _AT, "n": 3}),
            prepared.execute(conn, _INSERT, {"id": "b"}),   # defaults
            prepared.execute(conn, _INSERT, [
                {"id": "c%d" % i, "data": {"i": i}, "n": i}
                for i in range(3)], new_key=False),
            # a key the database makes, which the caller does not want
            prepared.execute(conn, _SERIAL.insert(), {"v": "x"},
                             new_key=False)])
    with engine.begin() as conn:
        by_sqlalchemy = conn.execute(_BY_ID, {"id": "a"}).one()
        defaults = conn.execute(_BY_ID, {"id": "b"}).one()
        many = conn.execute(_ALL).all()
        serial = conn.execute(sa.select(_SERIAL.c.id, _SERIAL.c.v)).all()
        fast = _with_cursor_only(lambda: (
            prepared.execute(conn, _BY_ID, {"id": "a"}).one(),
            prepared.execute(conn, _ALL, {}).all()))
    assert tuple(by_sqlalchemy) == ("a", "NEW", {"k": [1, "two", None]},
                                    True, _AT, None, 3)
    assert fast[0] == tuple(by_sqlalchemy)
    assert fast[0].data == {"k": [1, "two", None]} and fast[0].at == _AT
    assert fast[0]._mapping["flag"] is True
    assert (defaults.state, defaults.flag, defaults.data) == ("NEW", False,
                                                              None)
    assert isinstance(defaults.at, datetime.datetime)
    assert [tuple(r) for r in fast[1]] == [tuple(r) for r in many]
    assert [r.seven for r in fast[1]] == [7] * 5
    assert [tuple(r) for r in serial] == [(1, "x")]


def test_an_update_counts_its_rows_and_sets_the_onupdate_column(engine):
    with engine.begin() as conn:
        conn.execute(_INSERT, {"id": "a"})
        conn.execute(_INSERT, {"id": "b", "state": "GONE"})
    with engine.begin() as conn:
        moved, again, dropped = _with_cursor_only(lambda: (
            prepared.execute(conn, _MOVE, {"_id": "a", "_from": "NEW",
                                           "_to": "DONE"}).rowcount,
            prepared.execute(conn, _MOVE, {"_id": "a", "_from": "NEW",
                                           "_to": "LATE"}).rowcount,
            prepared.execute(conn, _DROP, {}).rowcount))
        row = conn.execute(_BY_ID, {"id": "a"}).one()
        left = conn.execute(
            sa.select(sa.func.count()).select_from(_T)).scalar()
    assert (moved, again, dropped) == (1, 0, 1)
    assert row.state == "DONE" and isinstance(row.updated_at,
                                              datetime.datetime)
    assert left == 1


def test_the_results_answer_as_sqlalchemys_do(engine):
    with engine.begin() as conn:
        conn.execute(_INSERT, [{"id": "a", "n": 1}, {"id": "b", "n": 2}])
        one = prepared.execute(conn, _BY_ID, {"id": "a"})
        none = prepared.execute(conn, _BY_ID, {"id": "x"})
        both = prepared.execute(conn, _ALL, {})
        assert one.scalar_one() == "a"
        assert none.one_or_none() is None and none.first() is None
        assert none.scalar() is None and none.scalar_one_or_none() is None
        with pytest.raises(sa_exc.NoResultFound):
            none.one()
        with pytest.raises(sa_exc.MultipleResultsFound):
            both.one_or_none()
        assert both.scalars().all() == ["a", "b"]
        assert [r.id for r in both] == ["a", "b"]


def test_statements_it_does_not_take_go_through_sqlalchemy(engine):
    ids = ["r%02d" % i for i in range(20)]
    with engine.begin() as conn:
        conn.execute(_INSERT, [{"id": i} for i in ids])
        # a new primary key the caller may ask for
        made = prepared.execute(conn, _SERIAL.insert(), {"v": "x"})
        # an expanding IN, rewritten per call by SQLAlchemy
        found = prepared.execute(conn, sa.select(_T.c.id).where(
            _T.c.id.in_(sa.bindparam("ids", expanding=True))),
            {"ids": ids}).scalars().all()
        # RETURNING
        returned = prepared.execute(conn, _T.update().where(
            _T.c.id == sa.bindparam("_id")).values(n=5).returning(_T.c.id),
            {"_id": "r01"}).scalars().all()
    assert made.inserted_primary_key[0] == 1
    assert sorted(found) == ids
    assert returned == ["r01"]


def test_a_listener_sees_each_statement_sent_on_the_cursor(engine):
    """Writes that waited included (prepared.defer), in the order sent."""
    seen = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, stmt, *_a: seen.append(stmt.split()[0]))
    with engine.begin() as conn:
        prepared.execute(conn, _INSERT, {"id": "a"})
        prepared.execute(conn, _BY_ID, {"id": "a"})
        prepared.execute_text(conn, "SELECT 1", {})
        prepared.defer(conn, _INSERT, {"id": "b"})
        prepared.defer(conn, _DROP, {})
        prepared.execute(conn, _BY_ID, {"id": "b"})
    assert [s for s in seen if s != "BEGIN"] == [
        "INSERT", "SELECT", "SELECT", "INSERT", "DELETE", "SELECT"]


def test_a_refused_row_fails_as_sqlalchemy_fails_it_values_hidden(engine):
    with engine.begin() as conn:
        conn.execute(_INSERT, {"id": "a"})
    with pytest.raises(sa_exc.IntegrityError) as caught:
        with engine.begin() as conn:
            prepared.execute(conn, _INSERT, {"id": "a", "data": "s3cret"})
    assert "s3cret" not in str(caught.value)
    assert not caught.value.connection_invalidated
    with engine.begin() as conn:   # the pool's connection still works
        assert prepared.execute(conn, _BY_ID, {"id": "a"}).one().id == "a"


@pytest.mark.parametrize("waiting", [False, True])
def test_a_lost_connection_is_told_and_replaced_as_sqlalchemy_does(
        pg_engine, waiting):
    """Cut under a statement, or under the commit of writes that waited
    (prepared.defer): nothing of them kept on the connection in its
    place."""
    engine = pg_engine
    with pytest.raises(sa_exc.DBAPIError) as caught:
        with engine.begin() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            if waiting:
                prepared.defer(conn, _INSERT, {"id": "a"})
            with engine.connect() as other:
                other.exec_driver_sql("SELECT pg_terminate_backend(%d)"
                                      % pid)
            if not waiting:
                prepared.execute(conn, _BY_ID, {"id": "a"})
    assert caught.value.connection_invalidated
    assert session.is_connection_error(caught.value)
    with engine.begin() as conn:   # a new connection in its place
        assert prepared.execute(conn, _ALL, {}).all() == []


def _with_cursor_only(fn):
    """``fn()``, with ``Connection.execute`` refused meanwhile."""
    original = sa.engine.Connection.execute

    def refused(self, stmt, *args, **kwargs):
        raise AssertionError("not run on the cursor: %s" % stmt)
    sa.engine.Connection.execute = refused
    try:
        return fn()
    finally:
        sa.engine.Connection.execute = original


def test_the_apis_read_of_one_row_runs_on_the_cursor(engine):
    """``GET /v2/executions/<id>`` and the answer to a start read the row
    with ``_common.read_by_id``; another project's row is not found."""
    models.Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(models.WorkflowExecution.__table__.insert(), {
            "id": "e1", "name": "wf", "workflow_id": "w", "state": "SUCCESS",
            "input": {"n": 1}, "tags": ["t"], "project_id": "p1"})
    with engine.connect() as conn, scope.of_project("p1"):
        row = _with_cursor_only(lambda: _common.read_by_id(
            conn, models.WorkflowExecution, "e1", "Workflow execution"))
    assert (row.id, row.state, row.input, row.tags) == (
        "e1", "SUCCESS", {"n": 1}, ["t"])
    with engine.connect() as conn, scope.of_project("p2"):
        with pytest.raises(exceptions.NotFound):
            _with_cursor_only(lambda: _common.read_by_id(
                conn, models.WorkflowExecution, "e1", "Workflow execution"))


def test_many_rows_go_in_statements_of_bounded_size(engine, monkeypatch):
    monkeypatch.setattr(prepared, "_PARAMS_PER_INSERT", 5 * 50)
    sent = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, stmt, *_a: sent.append(stmt.split()[0]))
    rows = [{"id": "r%04d" % i, "n": i} for i in range(120)]
    with engine.begin() as conn:
        _with_cursor_only(lambda: prepared.execute(conn, _INSERT, rows,
                                                   new_key=False))
        found = conn.execute(sa.select(_T.c.id, _T.c.n).order_by(
            _T.c.id)).all()
    assert [tuple(r) for r in found] == [(r["id"], r["n"]) for r in rows]
    # five values a row (two given, three defaults): 50 rows a statement
    # where the driver takes one statement of many rows
    expected = 1 if engine.dialect.positional else 3
    assert sent.count("INSERT") == expected


# ---- writes that wait for the next statement (prepared.defer) ----------

def _round_trips(engine):
    """A list of the driver's calls on ``engine``'s connections from now
    on (each a cursor: the statements told to listeners with the same
    cursor went in one call), BEGIN left out."""
    calls = []

    def count(_conn, cursor, statement, *_args):
        if not statement.startswith("BEGIN") and (
                not calls or calls[-1] is not cursor):
            calls.append(cursor)
    event.listen(engine, "before_cursor_execute", count)
    return calls


def _waits(engine):
    """True where writes wait (psycopg2), False where they run at once."""
    return engine.dialect.driver == "psycopg2"


def test_a_write_that_waits_goes_with_the_next_statement(engine):
    calls = _round_trips(engine)
    with engine.begin() as conn:
        _with_cursor_only(lambda: [
            prepared.defer(conn, _INSERT, [
                {"id": "a", "data": {"k": "50%"}, "n": 1},
                {"id": "b", "data": None, "n": 2}]),
            prepared.defer(conn, _MOVE, {"_id": "a", "_from": "NEW",
                                         "_to": "DONE"})])
        before = len(calls)
        rows = _with_cursor_only(lambda: prepared.execute(conn, _ALL, {}))
    # the read saw the writes, sent with it in one call of the driver
    assert [(r.id, r.data) for r in rows] == [("a", {"k": "50%"}),
                                              ("b", None)]
    assert before == (0 if _waits(engine) else 2)
    assert len(calls) == (1 if _waits(engine) else 3)
    with engine.connect() as conn:
        assert conn.execute(_BY_ID, {"id": "a"}).one().state == "DONE"


def test_writes_left_waiting_are_sent_before_the_commit(engine):
    with engine.begin() as conn:
        prepared.defer(conn, _INSERT, {"id": "a"})
        prepared.defer(conn, _INSERT, {"id": "b", "data": [1]})
    with engine.connect() as conn:
        assert [r.id for r in conn.execute(_ALL)] == ["a", "b"]


def test_sqlalchemys_own_statements_see_the_writes_waiting(engine):
    with engine.begin() as conn:
        prepared.defer(conn, _INSERT, {"id": "a", "n": 1})
        # Core through Connection.execute, and SQL text
        assert conn.execute(_BY_ID, {"id": "a"}).one().n == 1
        prepared.defer(conn, _INSERT, {"id": "b", "n": 2})
        assert conn.exec_driver_sql(
            "SELECT count(*) FROM prepared_rows").scalar() == 2
    with session.get_engine().connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(
            _T)).scalar() == 2


def test_a_savepoint_keeps_what_waited_before_it(engine):
    with engine.begin() as conn:
        prepared.defer(conn, _INSERT, {"id": "kept"})
        nested = conn.begin_nested()
        prepared.defer(conn, _INSERT, {"id": "dropped"})
        nested.rollback()
        prepared.defer(conn, _INSERT, {"id": "after"})
    with engine.connect() as conn:
        assert [r.id for r in conn.execute(_ALL)] == ["after", "kept"]


def test_a_rollback_drops_the_writes_waiting(engine):
    with pytest.raises(RuntimeError):
        with engine.begin() as conn:
            prepared.defer(conn, _INSERT, {"id": "a"})
            raise RuntimeError("the unit fails")
    with engine.begin() as conn:   # the same pooled connection, clean
        prepared.defer(conn, _INSERT, {"id": "b"})
    with engine.connect() as conn:
        assert [r.id for r in conn.execute(_ALL)] == ["b"]


@pytest.mark.parametrize("then", ["commit", "statement"])
def test_a_refused_write_that_waited_fails_what_it_went_with(engine, then):
    """The commit, or the statement it went to the server with: the
    error SQLAlchemy gives, values hidden, nothing of the unit kept, the
    pool's connection usable."""
    with engine.begin() as conn:
        conn.execute(_INSERT, {"id": "a"})
    with pytest.raises(sa_exc.IntegrityError) as caught:
        with engine.begin() as conn:
            prepared.defer(conn, _INSERT, {"id": "new", "data": "s3cret"})
            prepared.defer(conn, _INSERT, {"id": "a", "data": "s3cret"})
            if then == "statement":
                prepared.execute(conn, _BY_ID, {"id": "a"})
    assert "s3cret" not in str(caught.value)
    assert not caught.value.connection_invalidated
    with engine.begin() as conn:
        assert [r.id for r in prepared.execute(conn, _ALL, {})] == ["a"]

