"""An executor dies (SIGKILL) in the middle of an action (issue 5).

Production layout only (PostgreSQL + RabbitMQ): api + 2 engines as
processes of their own, executors started by each test so that it knows
which one runs the action. Short liveness settings: an executor counts as
dead 3 s after its last heartbeat (beats every 0.5 s, checked every
0.5 s).

* Without ``safe-rerun`` the action is not run again (at most once): it
  ends ERROR with a state_info naming the dead executor, the task fails
  and so does the workflow, although another executor is alive.
* With ``safe-rerun: true`` the action runs again on the other executor
  and the workflow succeeds.
"""
import signal
import socket
import time

import pytest

from tests.functional import harness

pytestmark = [pytest.mark.timeout(240), pytest.mark.production]

HEARTBEAT_TIMEOUT = 3.0
LIVENESS_CONFIG = {
    "engine": {"executor_heartbeat_timeout": str(HEARTBEAT_TIMEOUT),
               "liveness_check_interval": "0.5"},
    "executor": {"heartbeat_interval": "0.5"},
}
# From the kill until the engines act: the heartbeat timeout, a check
# interval, and slack for a loaded machine; far below the 30 s sleep.
DETECT_WITHIN = 20


@pytest.fixture(scope="module")
def failover(tmp_path_factory, postgres_db):
    """api + 2 engines; no executor yet."""
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    deployment = harness.Deployment(
        tmp_path_factory.mktemp("executor-failure"), database=postgres_db,
        transport_url=harness.RABBIT_URL, config=LIVENESS_CONFIG)
    deployment.db_manage()
    with harness.running(deployment, ["api", "engine", "engine"]):
        yield deployment


def executor_name(proc):
    """The name an executor gives itself by default: host name and pid."""
    return "%s-%d" % (socket.gethostname(), proc.pid)


def start_executor(deployment, label):
    proc = deployment.start("executor", name="executor-%s-%d" % (
        label, len(deployment.processes)))
    try:
        deployment.wait_for_consumers(60)
    except AssertionError as exc:
        raise AssertionError("%s\n%s" % (exc, proc.tail())) from None
    return proc


@pytest.fixture
def executors(failover):
    """Start executors with ``executors.start(label)``; all of them are
    stopped after the test."""
    started = []

    class Starter:
        @staticmethod
        def start(label):
            proc = start_executor(failover, label)
            started.append(proc)
            return proc

    yield Starter
    for proc in started:
        proc.stop()


def sleep_workflow(name, seconds, safe_rerun):
    lines = ["version: '2.0'", "%s:" % name, "  tasks:", "    nap:",
             "      action: std.sleep seconds=%d" % seconds]
    if safe_rerun:
        lines.append("      safe-rerun: true")
    lines += ["      on-success: [after]", "    after:",
              "      action: std.echo output=woke"]
    return "\n".join(lines) + "\n"


def start_and_wait_claim(deployment, name, definition):
    api = deployment.api
    api.create_workflow(definition)
    ex = harness.start_execution(api, name)
    nap = harness.task_named(api, ex["id"], "nap", timeout=30)
    [action] = harness.wait_until(lambda: api.action_executions(nap["id"]),
                                  30, "the action execution of nap")
    state, claimed_by, executor = harness.wait_until(
        lambda: (lambda row: row if row and row[1] and row[2] else None)(
            harness.action_claim(deployment, action["id"])),
        30, "an executor to claim the sleep")
    assert state == "RUNNING"
    return ex, nap, action, executor


def test_killed_executor_without_safe_rerun_fails_the_action(failover,
                                                             executors):
    api = failover.api
    first = executors.start("a")
    ex, nap, action, runner = start_and_wait_claim(
        failover, "ef_unsafe", sleep_workflow("ef_unsafe", 30, False))
    assert runner == executor_name(first)
    # Another executor is alive: still, the action must not run again.
    second = executors.start("b")
    time.sleep(1.0)  # the sleep is under way on the first one

    killed_at = time.monotonic()
    assert failover.kill(first, signal.SIGKILL) == -signal.SIGKILL
    ex = harness.wait_execution_state(api, ex["id"], "ERROR",
                                      DETECT_WITHIN)
    detected = time.monotonic() - killed_at
    assert detected >= HEARTBEAT_TIMEOUT - 1.0, detected

    action = api.get("/action_executions/%s" % action["id"])
    assert action["state"] == "ERROR"
    assert runner in action["state_info"], action["state_info"]
    assert "heartbeat" in action["state_info"].lower()
    nap = api.task(nap["id"])
    assert nap["state"] == "ERROR"
    assert runner in (nap["state_info"] or ""), nap["state_info"]
    assert runner in ex["state_info"]
    # Not run again: one action execution, still the dead executor's.
    assert [a["id"] for a in api.action_executions(nap["id"])] == [
        action["id"]]
    assert harness.action_claim(failover, action["id"])[2] == runner
    assert sorted(harness.tasks_by_name(api, ex["id"])) == ["nap"]
    assert second.alive()


# A safe re-run sleeps again from the start: a shorter sleep keeps the test
# short while the kill still lands well inside it.
SAFE_SLEEP = 12


def test_killed_executor_with_safe_rerun_runs_again_elsewhere(failover,
                                                              executors):
    api = failover.api
    first = executors.start("c")
    ex, nap, action, runner = start_and_wait_claim(
        failover, "ef_safe", sleep_workflow("ef_safe", SAFE_SLEEP, True))
    assert runner == executor_name(first)
    second = executors.start("d")
    time.sleep(1.0)

    killed_at = time.monotonic()
    assert failover.kill(first, signal.SIGKILL) == -signal.SIGKILL
    # Re-run on the second executor once the first counts as dead.
    harness.wait_until(
        lambda: harness.action_claim(failover, action["id"])[2]
        == executor_name(second), DETECT_WITHIN,
        "the second executor to take the action over")
    assert api.execution(ex["id"])["state"] == "RUNNING"
    ex = harness.wait_execution_state(api, ex["id"], "SUCCESS",
                                      SAFE_SLEEP + 30)
    # It slept again from the start on the second executor.
    assert time.monotonic() - killed_at >= SAFE_SLEEP

    [again] = api.action_executions(nap["id"])
    assert again["id"] == action["id"]
    assert again["state"] == "SUCCESS"
    assert harness.action_claim(failover, action["id"])[2] \
        == executor_name(second)
    by_name = harness.tasks_by_name(api, ex["id"])
    assert sorted(by_name) == ["after", "nap"]
    assert all(t[0]["state"] == "SUCCESS" for t in by_name.values())
    assert [a["state"] for a in api.action_executions(
        by_name["after"][0]["id"])] == ["SUCCESS"]
    harness.assert_tasks_once_in_db(failover.db, [ex["id"]], 2)
