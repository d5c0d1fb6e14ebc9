"""Processes killed (SIGKILL) at named crash points (issue 17).

``WFENGINE_CRASH_POINTS`` arms a point in one process, which then kills
itself there: an engine just before and just after a commit, an executor
after an action ran and before its result was reported, a notifier after
a delivery was sent and before its outcome was recorded. After each,
executions end as the design rules say: SUCCESS with each side effect
once when another engine takes over; ERROR naming the lost executor for
an action whose executor died with its result (safe-rerun off: at most
once), or a second run with ``safe-rerun: true``; and a delivery sent
again under the same ``webhook-id``, nothing lost. The outbox drains.
"""
import signal

import pytest

from tests.functional import faultkit
from tests.functional import harness

pytestmark = [pytest.mark.production, pytest.mark.timeout(240)]

CONFIG = dict(
    faultkit.FAST_LIVENESS,
    api={"start_resend_after": "2"},
    notifier=dict(faultkit.FAST_NOTIFIER, claim_timeout="5"))
EVENTS_OF_ONE_TASK_EXECUTION = 4


@pytest.fixture(scope="module")
def crashy(tmp_path_factory, postgres_db):
    """api + 2 engines; each test starts the executors and notifiers it
    needs."""
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    config = dict(CONFIG, **harness.std_http_loopback_config())
    deployment = harness.Deployment(
        tmp_path_factory.mktemp("crash"), database=postgres_db,
        transport_url=harness.RABBIT_URL, config=config)
    deployment.db_manage()
    with harness.running(deployment, ["api", "engine", "engine"]):
        yield deployment


@pytest.fixture
def started(crashy):
    """Start processes with ``started(services, crash=None)``; those still
    running are stopped after the test."""
    procs = []

    def start(services, crash=None):
        env = {"WFENGINE_CRASH_POINTS": crash} if crash else None
        proc = crashy.start(services, env=env)
        procs.append(proc)
        crashy.wait_for_consumers(60)
        return proc

    yield start
    for proc in procs:
        proc.stop()


def _wait_killed(proc, timeout=60):
    harness.wait_until(lambda: not proc.alive(), timeout,
                       "%s to reach its crash point" % proc.name)
    assert proc.popen.returncode == -signal.SIGKILL, proc.tail()
    assert "Crash point" in proc.tail(200)


@pytest.mark.parametrize("point", ["engine-before-commit:4",
                                   "engine-after-commit:4"])
def test_engine_killed_at_a_commit(crashy, started, point):
    name = "crash_" + point.split(":")[0].replace("-", "_")
    started("executor")
    victim = started("engine", crash=point)
    with faultkit.Ledger() as ledger:
        definition, names = faultkit.http_workflow(name, 3, ledger,
                                                   delay=0.2)
        ids = harness.start_many(crashy, definition, name, 10)
        _wait_killed(victim)
        executions = crashy.api.wait_all(ids, 150)
        faultkit.assert_effects_once(ledger, executions, names)
    harness.assert_tasks_once_in_db(crashy.db, ids, len(names))
    faultkit.assert_outbox_drained(crashy)


@pytest.mark.parametrize("safe_rerun", [False, True])
def test_executor_killed_after_run_before_report(crashy, started,
                                                 safe_rerun):
    name = "crash_exec_%s" % str(safe_rerun).lower()
    victim = started("executor", crash="executor-after-run")
    with faultkit.Ledger() as ledger:
        definition, names = faultkit.http_workflow(
            name, 1, ledger, safe_rerun=safe_rerun)
        [ex_id] = harness.start_many(crashy, definition, name, 1)
        _wait_killed(victim)
        started("executor")
        ex = crashy.api.wait_all([ex_id], 120)[ex_id]
        effects = ledger.effects().get("%s-%s" % (ex_id, names[0]), 0)
    [task] = crashy.api.tasks(ex_id)
    [action] = crashy.api.action_executions(task["id"])
    if safe_rerun:
        # At least once: it ran again elsewhere.
        assert ex["state"] == "SUCCESS", ex.get("state_info")
        assert effects == 2
    else:
        # At most once: not run again, and the reason names the executor.
        assert ex["state"] == "ERROR"
        assert action["state"] == "ERROR"
        assert "stopped sending heartbeats" in action["state_info"]
        assert "-%d " % victim.pid in action["state_info"]
        assert effects == 1
    faultkit.assert_outbox_drained(crashy)


def test_notifier_killed_after_send_before_mark(crashy, started):
    started("executor")
    victim = started("notifier", crash="notifier-after-send:3")
    with faultkit.Ledger() as ledger:
        ledger.route("/events", lambda _record: (200, {}))
        definition, _names = harness.sequential_workflow("crash_notify", 1)
        crashy.api.create_workflow(definition)
        listener = crashy.api.request(
            "POST", "/listeners", expect=(201,), json={
                "url": ledger.url + "/events",
                "workflow_name": "crash_notify"}).json()
        ids = [crashy.api.start("crash_notify")["id"] for _ in range(3)]
        _wait_killed(victim)
        started("notifier")
        crashy.api.wait_all(ids, 60)
        want = EVENTS_OF_ONE_TASK_EXECUTION * len(ids)

        def delivered():
            found = crashy.api.get("/listeners/%s/deliveries"
                                   % listener["id"])["deliveries"]
            return len(found) == want and all(
                d["state"] == "DELIVERED" for d in found)

        harness.wait_until(delivered, 90, "%d deliveries" % want,
                           interval=0.2)
        received = [r["headers"]["webhook-id"]
                    for r in ledger.received("/events")]
    assert len(set(received)) == want
    # The delivery sent when the notifier died came again, same id.
    assert len(received) > want
    faultkit.assert_outbox_drained(crashy)
