"""What a broker shared for a year looks like: no queue left behind per
restart, and deployments that share it do not see each other's work."""
import socket
import time

import kombu
import pytest

from tests.functional import harness

pytestmark = pytest.mark.timeout(240)

WORKFLOW = """
version: '2.0'
hygiene:
  tasks:
    one:
      action: std.echo output=1
"""


def queue_consumers(name):
    """Consumers of queue ``name``; None if it does not exist."""
    with kombu.Connection(harness.AMQP_URL, connect_timeout=5) as conn:
        channel = conn.channel()
        try:
            return channel.queue_declare(name, passive=True)[2]
        except conn.channel_errors:
            return None
        finally:
            try:
                channel.close()
            except Exception:
                pass


@pytest.fixture
def broker_deployment(tmp_path, postgres_db):
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    deployment = harness.Deployment(tmp_path, database=postgres_db,
                                    transport_url=harness.RABBIT_URL)
    deployment.db_manage()
    return deployment


def test_restarts_reuse_one_server_queue_per_host(broker_deployment):
    deployment = broker_deployment
    topic = deployment.topics()["executor"]
    stable = "%s.%s" % (topic, socket.gethostname())
    with harness.running(deployment, ["api", "engine", "executor"]):
        for _ in range(2):
            [executor] = [p for p in deployment.processes
                          if p.services == ["executor"] and p.alive()]
            per_pid = "%s.%s-%d" % (topic, socket.gethostname(),
                                    executor.pid)
            harness.wait_until(lambda: queue_consumers(stable) == 1, 30,
                               "a consumer on %s" % stable)
            assert queue_consumers(per_pid) is None
            executor.stop()
            harness.wait_until(lambda: queue_consumers(stable) == 0, 30,
                               "no consumer on %s" % stable)
            deployment.start("executor")
            deployment.wait_for_consumers()
        # The restarted executors still run work (through the same queue).
        harness.run_many(deployment, WORKFLOW, "hygiene", 3, 60)


def test_deployments_sharing_a_broker_stay_apart(tmp_path):
    """A and B share the broker and vhost, each with its own control
    exchange and topics: B has no executor, and A's executors must not
    take B's actions."""
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    own_db, other_db = harness.PostgresDatabase(), harness.PostgresDatabase()
    a = harness.Deployment(tmp_path / "a", database=own_db,
                           transport_url=harness.RABBIT_URL)
    b = harness.Deployment(tmp_path / "b", database=other_db,
                           transport_url=harness.RABBIT_URL)
    try:
        a.db_manage()
        b.db_manage()
        with harness.running(a, ["api", "engine", "executor"]), \
                harness.running(b, ["api", "engine"]):
            b.api.create_workflow(WORKFLOW)
            b_ids = [b.api.start("hygiene")["id"] for _ in range(3)]
            done = harness.run_many(a, WORKFLOW, "hygiene", 3, 60)
            assert {ex["state"] for ex in done.values()} == {"SUCCESS"}
            time.sleep(2)  # B's sweeper re-sends meanwhile: still nobody
            states = b.api.execution_states()
            assert {states[i] for i in b_ids} == {"RUNNING"}
            claimed = other_db.query(
                "SELECT count(*) FROM action_executions"
                " WHERE claimed_by IS NOT NULL")
            assert claimed == [(0,)]
            # B's work waits for B's executor, and then runs.
            b.start("executor")
            b.wait_for_consumers()
            b.api.wait_all(b_ids, 60)
    finally:
        own_db.drop()
        other_db.drop()
