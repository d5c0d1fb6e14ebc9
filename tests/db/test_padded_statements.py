"""Statements built per padded size: an IN list or a batch of
compare-and-sets of any count reads and writes exactly the rows it names
(SQLite and PostgreSQL)."""
import pytest
import sqlalchemy as sa

from wfengine.db import cas
from wfengine.db import migration
from wfengine.db import models
from wfengine.db import session as db_session
from wfengine.db import statements as st

_WF = models.WorkflowExecution.__table__


@pytest.mark.parametrize("count, size", [
    (0, 0), (1, 1), (2, 2), (3, 4), (4, 4), (5, 8), (8, 8), (9, 16),
    (33, 64), (64, 64)])
def test_a_count_is_padded_to_the_next_power_of_two(count, size):
    assert st.padded(count) == size


def test_in_params_repeat_the_last_value_up_to_the_padded_size():
    assert st.in_params("ids", ["a", "b", "c"]) == {
        "ids_0": "a", "ids_1": "b", "ids_2": "c", "ids_3": "c"}
    assert st.in_params("ids", []) == {}
    many = ["v%d" % i for i in range(9)]  # beyond fixed IN: expanding
    assert st.in_params("ids", many) == {"ids": many}


@pytest.fixture
def executions(db_url):
    """Nine RUNNING executions, wf-0 to wf-8."""
    migration.upgrade(db_url, "heads")
    db_session.configure(db_url)

    def add(session):
        for n in range(9):
            session.add(models.WorkflowExecution(
                id="wf-%d" % n, name="wf", state="RUNNING", spec={}))
    db_session.unit_of_work(add)
    yield ["wf-%d" % n for n in range(9)]
    db_session.dispose()


@pytest.mark.parametrize("count", [1, 3, 5, 7])
def test_rows_by_id_reads_the_rows_named(executions, count):
    wanted = executions[:count]
    rows = db_session.reader(
        lambda s: st.rows_by_id(s, _WF, ("state",), wanted))
    assert sorted(rows) == wanted


@pytest.mark.parametrize("count", [3, 5, 6])
def test_a_padded_compare_and_set_batch_sets_the_rows_named(executions,
                                                           count):
    # wf-1 is no longer RUNNING: its compare-and-set loses.
    def lose_one(session):
        st.run(session, _WF.update().where(_WF.c.id == "wf-1").values(
            state="PAUSED"))
    db_session.unit_of_work(lose_one)
    named = executions[:count]
    won = db_session.unit_of_work(lambda s: cas.cas_update_many(
        s, _WF, ("state",),
        {wf_id: ("RUNNING", {"state": "SUCCESS"}) for wf_id in named}))
    assert won == set(named) - {"wf-1"}

    def states(session):
        return dict(session.execute(sa.select(_WF.c.id, _WF.c.state)).all())
    after = db_session.reader(states)
    assert {i for i, s in after.items() if s == "SUCCESS"} == won
    assert after["wf-1"] == "PAUSED"
    assert all(after[i] == "RUNNING" for i in executions[count:])
