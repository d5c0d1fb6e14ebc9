"""PostgreSQL refuses every connection of the deployment for 30 s, 60 s
and 120 s, or the broker swallows all traffic for longer than the heartbeat
window, while actions run (issue 17, DESIGN.md rules 3, 5 and 7).

The processes reach the database through a proxy of the test, which
refuses connections (and resets the open ones) like a stopped server. The
executors cannot write heartbeats meanwhile, and the engines cannot read
them: neither may make a live executor look dead. Short test clocks (an
executor counts as dead after 3 s of silence) make the old mistake
certain. After the outage every execution ends SUCCESS with its output,
no action execution is ERROR, each side effect happened once, and the
outbox drains.
"""
import time

import pytest

from tests.functional import faultkit
from tests.functional import harness

pytestmark = [pytest.mark.production]

EXECUTIONS = 20
# The first task is still running when the database goes away.
FIRST_TASK_SECONDS = 5
LAYOUT = ["api", "engine", "engine", "executor", "executor"]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, postgres_db):
    config = dict(faultkit.FAST_LIVENESS,
                  **harness.std_http_loopback_config())
    with faultkit.running_proxied(tmp_path_factory.mktemp("outage"),
                                  postgres_db, config, LAYOUT) as dep:
        yield dep


@pytest.mark.parametrize("outage", [
    pytest.param(30, marks=pytest.mark.timeout(300)),
    pytest.param(60, marks=pytest.mark.timeout(360)),
    # The longest: about 2.5 minutes of the suite's time.
    pytest.param(120, marks=pytest.mark.timeout(480)),
])
def test_database_refused_while_actions_run(deployment, outage):
    name = "dbout%d" % outage
    with faultkit.Ledger() as ledger:
        definition, names = faultkit.http_workflow(
            name, 2, ledger, delay=FIRST_TASK_SECONDS)
        ids = harness.start_many(deployment, definition, name, EXECUTIONS)
        harness.wait_until(lambda: ledger.in_flight() >= EXECUTIONS // 2,
                           60, "actions in flight")
        deployment.db_proxy.refuse()
        time.sleep(outage)
        faultkit.assert_some_running(deployment, ids)
        deployment.db_proxy.heal()

        executions = deployment.api.wait_all(ids, 180)
        faultkit.assert_effects_once(ledger, executions, names)
    faultkit.assert_no_error_actions(deployment, ids)
    faultkit.assert_outbox_drained(deployment)
    assert all(p.alive() for p in deployment.processes)


# Three times the executors' heartbeat timeout.
BROKER_OUTAGE = 10


@pytest.mark.timeout(240)
def test_broker_blackholed_longer_than_the_heartbeat_window(deployment):
    """Claims and results cannot travel; heartbeats (in the database) go
    on: nobody is declared dead, and everything finishes once the broker
    passes traffic again."""
    with faultkit.Ledger() as ledger:
        definition, names = faultkit.http_workflow(
            "brokerout", 2, ledger, delay=2)
        ids = harness.start_many(deployment, definition, "brokerout",
                                 EXECUTIONS)
        harness.wait_until(lambda: ledger.in_flight() >= EXECUTIONS // 2,
                           60, "actions in flight")
        with deployment.broker_proxy.cut("blackhole"):
            time.sleep(BROKER_OUTAGE)
            faultkit.assert_some_running(deployment, ids)
        executions = deployment.api.wait_all(ids, 180)
        faultkit.assert_effects_once(ledger, executions, names)
    faultkit.assert_no_error_actions(deployment, ids)
    faultkit.assert_outbox_drained(deployment)
    assert all(p.alive() for p in deployment.processes)
