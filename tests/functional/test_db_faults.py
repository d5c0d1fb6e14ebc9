"""The database drops every connection while executions run: each unit of
work that lost its connection is retried whole, and every execution still
ends SUCCESS with each task and action exactly once."""
import pytest

from tests.functional import harness

EXECUTIONS = 20
LENGTH = 10
FINISH_WITHIN = 120
CUTS = 5


def _cut_connections(db):
    """Terminate every server process of the test database but ours."""
    db.query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
             " WHERE datname = current_database()"
             " AND pid <> pg_backend_pid()")


@pytest.mark.timeout(FINISH_WITHIN + 120)
def test_connections_cut_mid_run(production):
    definition, names = harness.sequential_workflow("seq_dbcut", LENGTH)
    ids = harness.start_many(production, definition, "seq_dbcut",
                             EXECUTIONS)
    harness.assert_some_unfinished(production, ids, "before the first cut")
    _cut_connections(production.db)
    executions = harness.wait_all_while(
        production, ids, FINISH_WITHIN,
        lambda: _cut_connections(production.db), CUTS - 1, 0.4)
    harness.assert_exactly_once(production, executions, names)
    assert all(p.alive() for p in production.processes), (
        "a process died when its database connections were cut")
