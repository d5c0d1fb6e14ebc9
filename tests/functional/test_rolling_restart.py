"""A rolling restart under load (issue 17): the api, both engines, both
executors and the notifier get SIGTERM one after the other, each replaced
by a new process before the next goes, while executions run std.http
calls against a side-effect ledger and a listener takes their events.
Every execution ends SUCCESS with its output, each side effect happened
once, every event was delivered, and the outbox drained."""
import pytest

from tests.functional import faultkit
from tests.functional import harness

pytestmark = [pytest.mark.production, pytest.mark.timeout(420)]

LAYOUT = ["api", "engine", "engine", "executor", "executor", "notifier"]
TASKS = 3
FIRST_BATCH = 20
PER_STEP = 4
# Events of one execution: launched, each task launched and succeeded,
# succeeded.
EVENTS_PER_EXECUTION = 2 + 2 * TASKS
CONFIG = dict(faultkit.FAST_LIVENESS,
              DEFAULT={"graceful_stop_timeout": "30"},
              notifier=faultkit.FAST_NOTIFIER)


@pytest.fixture
def deployment(tmp_path, postgres_db):
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    config = dict(CONFIG, **harness.std_http_loopback_config())
    dep = harness.Deployment(tmp_path, database=postgres_db,
                             transport_url=harness.RABBIT_URL, config=config)
    dep.db_manage()
    with harness.running(dep, LAYOUT):
        yield dep


def _start(deployment, count):
    return [deployment.api.start("rolling")["id"] for _ in range(count)]


def test_rolling_restart_under_load(deployment):
    with faultkit.Ledger() as ledger:
        ledger.route("/events", lambda _record: (200, {}))
        definition, names = faultkit.http_workflow("rolling", TASKS, ledger,
                                                   delay=1)
        deployment.api.create_workflow(definition)
        listener = deployment.api.request(
            "POST", "/listeners", expect=(201,), json={
                "url": ledger.url + "/events",
                "workflow_name": "rolling"}).json()
        ids = _start(deployment, FIRST_BATCH)
        harness.wait_until(lambda: ledger.in_flight() >= 5, 60,
                           "calls in flight")
        for proc in list(deployment.processes):
            faultkit.assert_some_running(deployment, ids)
            faultkit.replace(deployment, proc)
            ids += _start(deployment, PER_STEP)

        executions = deployment.api.wait_all(ids, 240)
        faultkit.assert_effects_once(ledger, executions, names)
        faultkit.assert_no_error_actions(deployment, ids)
        _wait_delivered(deployment, listener["id"],
                        EVENTS_PER_EXECUTION * len(ids))
    faultkit.assert_outbox_drained(deployment)
    assert all(p.alive() for p in deployment.processes)


def _wait_delivered(deployment, listener_id, count):
    last = {}

    def done():
        found = deployment.api.get(
            "/listeners/%s/deliveries" % listener_id,
            limit=count + 100)["deliveries"]
        last["states"] = sorted({d["state"] for d in found})
        last["count"] = len(found)
        return len(found) == count and last["states"] == ["DELIVERED"]

    try:
        harness.wait_until(done, 120, "%d deliveries" % count, interval=0.5)
    except AssertionError as exc:
        raise AssertionError("%s; last: %s" % (exc, last)) from None
