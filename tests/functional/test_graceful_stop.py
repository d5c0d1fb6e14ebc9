"""SIGTERM is a graceful stop, not a death (issue 17, DESIGN.md rule 5).

An executor given SIGTERM with std.http calls in flight stops claiming,
keeps its heartbeat and reports the results of the calls as they finish
(within ``graceful_stop_timeout``), then exits: every execution SUCCESS
and each side effect once. An action that outlasts the grace period is
handed back: run again elsewhere with ``safe-rerun: true``, else failed
with a reason saying the executor was stopped (not that it died).

With no engine to report to for the whole grace period (the engines
stopped, or the broker cut), the executor keeps its finished results in
the database's result inbox; the engines take them once they can: every
execution SUCCESS, each side effect once.
"""
import signal

import pytest

from tests.functional import faultkit
from tests.functional import harness

pytestmark = [pytest.mark.production, pytest.mark.timeout(300)]

GRACE = 8
CONFIG = dict(faultkit.FAST_LIVENESS,
              DEFAULT={"graceful_stop_timeout": str(GRACE)})
LAYOUT = ["api", "engine", "engine", "executor", "executor"]


@pytest.fixture(scope="module")
def graceful(tmp_path_factory, postgres_db):
    """The deployment, reaching PostgreSQL and the broker through proxies
    of the test (which forward all but when a test cuts them)."""
    config = dict(CONFIG, **harness.std_http_loopback_config())
    with faultkit.running_proxied(tmp_path_factory.mktemp("graceful"),
                                  postgres_db, config, LAYOUT) as dep:
        yield dep


def _busy_executor(deployment, ids):
    """The live executor process running most of the actions now."""
    rows = deployment.db.query(
        "SELECT a.executor, count(*) FROM action_executions a"
        " JOIN task_executions t ON a.task_execution_id = t.id"
        " WHERE t.workflow_execution_id = ANY(%s) AND a.state = 'RUNNING'"
        " AND a.executor IS NOT NULL GROUP BY a.executor"
        " ORDER BY count(*) DESC", (list(ids),))
    for name, _count in rows:
        for proc in deployment.by_name("executor"):
            if proc.alive() and name.endswith("-%d" % proc.pid):
                return proc
    raise AssertionError("no live executor runs an action: %s" % rows)


def _calls_in_flight(deployment, ledger, name):
    """Ten executions of two 3 s calls, half of the calls under way;
    returns (execution ids, task names, the busiest executor)."""
    definition, names = faultkit.http_workflow(name, 2, ledger, delay=3)
    ids = harness.start_many(deployment, definition, name, 10)
    harness.wait_until(lambda: ledger.in_flight() >= 5, 60,
                       "calls in flight")
    return ids, names, _busy_executor(deployment, ids)


def test_sigterm_lets_calls_in_flight_finish_and_report(graceful):
    with faultkit.Ledger() as ledger:
        ids, names, victim = _calls_in_flight(graceful, ledger, "gstop")
        faultkit.replace(graceful, victim, GRACE + 30)
        executions = graceful.api.wait_all(ids, 120)
        faultkit.assert_effects_once(ledger, executions, names)
    faultkit.assert_no_error_actions(graceful, ids)
    faultkit.assert_outbox_drained(graceful)
    assert "handed back" not in victim.tail(400)


def _long_call_workflow(name, ledger, safe_rerun):
    return faultkit.http_workflow(name, 1, ledger, delay=GRACE + 12,
                                  safe_rerun=safe_rerun)


@pytest.mark.parametrize("safe_rerun", [True, False])
def test_an_action_outlasting_the_grace_is_handed_back(graceful, safe_rerun):
    name = "ghand_%s" % str(safe_rerun).lower()
    with faultkit.Ledger() as ledger:
        definition, names = _long_call_workflow(name, ledger, safe_rerun)
        [ex_id] = harness.start_many(graceful, definition, name, 1)
        harness.wait_until(lambda: ledger.in_flight() >= 1, 60,
                           "the call in flight")
        victim = _busy_executor(graceful, [ex_id])
        faultkit.replace(graceful, victim, GRACE + 30)
        assert "handed back 1 actions" in victim.tail(400)
        ex = graceful.api.wait_all([ex_id], 120)[ex_id]
    [task] = graceful.api.tasks(ex_id)
    actions = graceful.api.action_executions(task["id"])
    if safe_rerun:
        assert ex["state"] == "SUCCESS", ex.get("state_info")
        assert [a["state"] for a in actions] == ["SUCCESS"]
    else:
        assert ex["state"] == "ERROR"
        [action] = actions
        assert action["state"] == "ERROR"
        assert "was stopped and its grace period ended" in \
            action["state_info"], action["state_info"]
        assert "heartbeats" not in action["state_info"]
    faultkit.assert_outbox_drained(graceful)


def _retire(deployment, proc, signum):
    rc = deployment.kill(proc, signum, timeout=GRACE + 30)
    proc.stop()
    deployment.processes.remove(proc)
    deployment.retired.append(proc)
    return rc


def _inbox_rows(deployment):
    return deployment.db.query("SELECT count(*) FROM result_inbox")[0][0]


def _all_done_once(deployment, ledger, ids, names, executor_name):
    """Start an executor for the one stopped; then every execution
    SUCCESS, each side effect once, the outbox and the inbox empty."""
    deployment.start("executor", name=executor_name)
    deployment.wait_for_consumers(60)
    executions = deployment.api.wait_all(ids, 180)
    faultkit.assert_effects_once(ledger, executions, names)
    faultkit.assert_no_error_actions(deployment, ids)
    faultkit.assert_outbox_drained(deployment)
    assert _inbox_rows(deployment) == 0


def test_results_no_engine_took_in_the_grace_are_kept_and_taken_later(
        graceful):
    with faultkit.Ledger() as ledger:
        ids, names, victim = _calls_in_flight(graceful, ledger, "ginbox")
        engines = graceful.by_name("engine")
        for engine in engines:  # no engine for the whole grace period
            _retire(graceful, engine, signal.SIGKILL)
        assert _retire(graceful, victim, signal.SIGTERM) == 0, victim.tail()
        assert "kept them in the result inbox" in victim.tail(400)
        assert _inbox_rows(graceful) > 0
        faultkit.assert_some_running(graceful, ids)
        for i, _ in enumerate(engines):
            graceful.start("engine", name="engine-back-%d" % i)
        _all_done_once(graceful, ledger, ids, names, "executor-back-1")


def test_results_are_kept_while_the_broker_is_cut_for_the_whole_grace(
        graceful):
    dep = graceful
    with faultkit.Ledger() as ledger:
        ids, names, victim = _calls_in_flight(dep, ledger, "gcut")
        with dep.broker_proxy.cut():
            assert _retire(dep, victim, signal.SIGTERM) == 0, victim.tail()
            assert "kept them in the result inbox" in victim.tail(400)
            faultkit.assert_some_running(dep, ids)
        _all_done_once(dep, ledger, ids, names, "executor-back-2")
