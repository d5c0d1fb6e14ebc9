"""Production shape: PostgreSQL + RabbitMQ, api + 2 engines + 2 executors
as five processes. Many executions at once; every task and every action
exactly once."""
import pytest

from tests.functional import harness

pytestmark = pytest.mark.timeout(300)

SEQ_LENGTH = 10
SEQ_EXECUTIONS = 50
PAR_WIDTH = 50
STOP_WITHIN = 20


def test_fifty_sequential_executions(production):
    definition, names = harness.sequential_workflow("seq10", SEQ_LENGTH)
    executions = harness.run_many(production, definition, "seq10",
                                  SEQ_EXECUTIONS, timeout=180)
    harness.assert_exactly_once(production, executions, names)
    listed = production.api.list_executions(workflow_name="seq10",
                                            fields="id,state")
    assert sorted(ex["id"] for ex in listed) == sorted(executions)


def test_fifty_parallel_tasks_joined(production):
    definition, names = harness.parallel_join_workflow("par50", PAR_WIDTH)
    executions = harness.run_many(production, definition, "par50", 1,
                                  timeout=120)
    harness.assert_exactly_once(production, executions, names)

    # The join's action started only after every branch had finished.
    (ex_id,) = executions
    [(join_action_at, last_branch_done)] = production.db.query(
        "SELECT (SELECT min(a.created_at) FROM action_executions a"
        "        JOIN task_executions t ON a.task_execution_id = t.id"
        "        WHERE t.workflow_execution_id = %(ex)s"
        "          AND t.name = 'joined'),"
        "       (SELECT max(finished_at) FROM task_executions"
        "        WHERE workflow_execution_id = %(ex)s"
        "          AND name <> 'joined')", {"ex": ex_id})
    assert last_branch_done is not None, "branches have no finished_at"
    assert join_action_at >= last_branch_done


def test_all_five_survive_the_load_and_stop_cleanly(production):
    """Runs last in this module: nothing above crashed a process, and
    SIGTERM stops each of them with exit code 0."""
    assert [p.name.split("-")[0] for p in production.processes] == [
        "api", "engine", "engine", "executor", "executor"]
    assert len({p.pid for p in production.processes}) == 5
    assert all(p.alive() for p in production.processes)
    codes = production.stop(grace=STOP_WITHIN)
    assert codes == {p.name: 0 for p in production.processes}, (
        "exit codes after SIGTERM (-9: still running after %ds)"
        % STOP_WITHIN)
