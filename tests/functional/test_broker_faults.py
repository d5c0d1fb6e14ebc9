"""The broker drops every connection of the deployment while executions
run (as in a broker restart, but touching only this test's processes):
oslo.messaging reconnects, messages lost on the way are sent again from
the outbox or by the executors, and every execution ends SUCCESS with each
task and action exactly once."""
import subprocess

import pytest

from tests.functional import harness

EXECUTIONS = 20
LENGTH = 10
FINISH_WITHIN = 150
CUTS = 3


def _connections_of(pids):
    """RabbitMQ connection pids of these OS processes (oslo.messaging names
    its connections ``<program>:<os pid>:<uuid>``)."""
    out = subprocess.run(
        ["rabbitmqctl", "-q", "list_connections", "pid", "client_properties"],
        capture_output=True, text=True, timeout=30, check=True).stdout
    marks = [":%d:" % pid for pid in pids]
    return [line.split("\t", 1)[0] for line in out.splitlines()
            if any(mark in line for mark in marks)]


def _cut(deployment):
    pids = [p.pid for p in deployment.processes if p.alive()]
    closed = 0
    for conn in _connections_of(pids):
        done = subprocess.run(
            ["rabbitmqctl", "-q", "close_connection", conn, "test cut"],
            capture_output=True, text=True, timeout=30)
        closed += done.returncode == 0
    return closed


@pytest.mark.timeout(FINISH_WITHIN + 120)
def test_broker_connections_cut_mid_run(production):
    # Each task takes a quarter of a second, so the run outlasts the cuts.
    definition, names = harness.sequential_workflow(
        "seq_brokercut", LENGTH, action="std.echo output=1 delay=0.25")
    ids = harness.start_many(production, definition, "seq_brokercut",
                             EXECUTIONS)
    harness.assert_some_unfinished(production, ids, "before the cut")
    assert _cut(production) > 0, "found no connection of the deployment"
    executions = harness.wait_all_while(
        production, ids, FINISH_WITHIN, lambda: _cut(production), CUTS - 1,
        1.5)
    harness.assert_exactly_once(production, executions, names)
    assert all(p.alive() for p in production.processes)
