"""An engine dies (SIGKILL) while executions run: the other engine
finishes them all, and nothing runs twice."""
import signal

import pytest

from tests.functional import harness

EXECUTIONS = 20
LENGTH = 10
# Kill once this many tasks have succeeded, well before the 200 total.
KILL_AFTER_TASKS = 10
FINISH_WITHIN = 120


def succeeded_tasks(db, ex_ids):
    [(count,)] = db.query(
        "SELECT count(*) FROM task_executions"
        " WHERE workflow_execution_id = ANY(%s) AND state = 'SUCCESS'",
        (list(ex_ids),))
    return count


@pytest.mark.timeout(FINISH_WITHIN + 120)
def test_engine_killed_mid_run(production):
    definition, names = harness.sequential_workflow("seq_fault", LENGTH)
    victim, survivor = production.by_name("engine")

    ids = harness.start_many(production, definition, "seq_fault", EXECUTIONS)
    harness.wait_until(
        lambda: succeeded_tasks(production.db, ids) >= KILL_AFTER_TASKS,
        60, "%d tasks to succeed" % KILL_AFTER_TASKS)
    rc = production.kill(victim, signal.SIGKILL)

    states = production.api.execution_states()
    unfinished = [i for i in ids if states[i] not in harness.TERMINAL_STATES]
    assert rc == -signal.SIGKILL
    assert unfinished, ("all executions finished before the engine was "
                        "killed: the test proved nothing")

    executions = production.api.wait_all(ids, FINISH_WITHIN)
    harness.assert_exactly_once(production, executions, names)
    assert survivor.alive(), "the surviving engine died too"
    assert all(p.alive() for p in production.processes if p is not victim)
