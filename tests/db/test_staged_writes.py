"""Task updates a unit of work stages: one statement for many, a lost
compare-and-set rolls the unit back, a later lock sees them (SQLite and
PostgreSQL)."""
import pytest
import sqlalchemy as sa

from wfengine import exceptions
from wfengine.db import migration
from wfengine.db import models
from wfengine.db import session as db_session
from wfengine.db import unit as db_unit


@pytest.fixture
def executions(db_url):
    """Two executions, each with a RUNNING task t-<n>."""
    migration.upgrade(db_url, "heads")
    db_session.configure(db_url)
    db_session.unit_of_work(_add_executions)
    yield ["wf-1", "wf-2"]
    db_session.dispose()


def _add_executions(session):
    for n in (1, 2):
        session.add(models.WorkflowExecution(
            id="wf-%d" % n, name="wf", state="RUNNING", spec={}))
        session.flush()
        session.add(models.TaskExecution(
            id="t-%d" % n, name="t", workflow_execution_id="wf-%d" % n,
            state="RUNNING"))


def _tasks(session):
    return {t.id: (t.state, t.published) for t in
            session.query(models.TaskExecution)}


def _updates_counted(fn):
    """Run ``fn`` in a unit of work; returns how many UPDATEs of
    task_executions it sent."""
    seen = []

    def count(conn, cursor, statement, *args):
        if statement.startswith("UPDATE task_executions"):
            seen.append(statement)
    engine = db_session.get_engine()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        db_unit.run(fn)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_tasks_of_several_executions_are_written_in_one_statement(
        executions):
    def finish_both(unit):
        for n in (1, 2):
            unit.update_task_later("wf-%d" % n, "t-%d" % n, "RUNNING",
                                   state="SUCCESS", published={"n": n})
    assert _updates_counted(finish_both) == 1
    assert db_session.reader(_tasks) == {"t-1": ("SUCCESS", {"n": 1}),
                                         "t-2": ("SUCCESS", {"n": 2})}


def test_a_task_no_longer_in_the_state_seen_rolls_the_unit_back(executions):
    def finish_one_seen_wrong(unit):
        unit.update_task_later("wf-1", "t-1", "RUNNING", state="SUCCESS",
                               published={"n": 1})
        unit.update_task_later("wf-2", "t-2", "WAITING", state="RUNNING",
                               published={"n": 2})
    with pytest.raises(exceptions.Conflict) as err:
        db_unit.run(finish_one_seen_wrong)
    assert "t-2" in str(err.value) and "WAITING" in str(err.value)
    assert db_session.reader(_tasks) == {"t-1": ("RUNNING", None),
                                         "t-2": ("RUNNING", None)}


def test_locking_an_execution_again_writes_its_staged_updates_first(
        executions):
    def finish_then_lock(unit):
        unit.update_task_later("wf-1", "t-1", "RUNNING", state="ERROR")
        unit.lock_execution("wf-1")
        return _tasks(unit.session)["t-1"]
    assert db_unit.run(finish_then_lock) == ("ERROR", None)


def test_a_second_update_of_a_task_follows_the_first(executions):
    def twice(unit):
        unit.update_task_later("wf-1", "t-1", "RUNNING", state="ERROR")
        unit.update_task_later("wf-1", "t-1", "ERROR", state="RUNNING",
                               published={"again": 1})
    db_unit.run(twice)
    assert db_session.reader(_tasks)["t-1"] == ("RUNNING", {"again": 1})


def test_what_waits_for_the_commit_runs_once_for_the_unit_that_commits(
        executions):
    """A unit run again after a stale state queues its records anew; only
    the committed one runs them, and a unit that fails runs none."""
    recorded, tries = [], []

    def stale_once(unit):
        tries.append(1)
        unit.after_commit(recorded.append, len(tries))
        if len(tries) == 1:
            unit.update_task_later("wf-1", "t-1", "WAITING", state="ERROR")
    db_unit.run(stale_once)
    assert (len(tries), recorded) == (2, [2])

    def failing(unit):
        unit.after_commit(recorded.append, "never")
        raise exceptions.InputError("no")
    with pytest.raises(exceptions.InputError):
        db_unit.run(failing)
    assert recorded == [2]


def test_a_value_too_long_for_its_column_is_refused_not_cut(
        postgresql_url):
    migration.upgrade(postgresql_url, "heads")
    db_session.configure(postgresql_url)
    try:
        db_session.unit_of_work(_add_executions)

        def too_long(unit):
            unit.update_task_later("wf-1", "t-1", "RUNNING", state="S" * 30)
        with pytest.raises(sa.exc.DataError):
            db_unit.run(too_long)
        assert db_session.reader(_tasks)["t-1"] == ("RUNNING", None)
    finally:
        db_session.dispose()


def test_a_unit_whose_state_went_stale_runs_again(executions):
    seen = []

    def finish(unit):
        # The first attempt saw the task in a state it is no longer in.
        seen.append("WAITING" if not seen else "RUNNING")
        unit.update_task_later("wf-1", "t-1", seen[-1], state="SUCCESS")
    db_unit.run(finish)
    assert seen == ["WAITING", "RUNNING"]
    assert db_session.reader(_tasks)["t-1"] == ("SUCCESS", None)


def test_a_unit_that_stays_stale_fails_loudly(executions):
    attempts = []

    def finish_seen_wrong(unit):
        attempts.append(1)
        unit.update_task_later("wf-1", "t-1", "WAITING", state="SUCCESS")
    with pytest.raises(exceptions.StaleState) as err:
        db_unit.run(finish_seen_wrong, attempts=3)
    assert len(attempts) == 3
    assert err.value.http_code == 500
    assert db_session.reader(_tasks)["t-1"] == ("RUNNING", None)
