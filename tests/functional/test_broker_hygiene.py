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
    """Executors, then engines, are stopped and started again, twice
    each: every kind keeps one server queue for the host, the queue a
    process's host-and-pid name would have made never exists, and work
    still runs through the restarted processes."""
    deployment = broker_deployment
    with harness.running(deployment, ["api", "engine", "executor"]):
        gone = []
        for kind in ("executor", "engine"):
            gone += restart_twice(deployment, kind)
        for kind, pid in gone:
            topic = deployment.topics()[kind]
            assert queue_consumers("%s.%s-%d" % (
                topic, socket.gethostname(), pid)) is None
        for kind in ("executor", "engine"):
            stable = "%s.%s" % (deployment.topics()[kind],
                                socket.gethostname())
            assert queue_consumers(stable) == 1, stable
        # The restarted processes still run work (through the same queues).
        harness.run_many(deployment, WORKFLOW, "hygiene", 3, 60)


def restart_twice(deployment, kind):
    """Stop the one ``kind`` process and start another, twice; the
    ``(kind, pid)`` of the stopped ones."""
    topic = deployment.topics()[kind]
    stable = "%s.%s" % (topic, socket.gethostname())
    stopped = []
    for _ in range(2):
        [proc] = [p for p in deployment.processes
                  if p.services == [kind] and p.alive()]
        per_pid = "%s.%s-%d" % (topic, socket.gethostname(), proc.pid)
        harness.wait_until(lambda: queue_consumers(stable) == 1, 30,
                           "a consumer on %s" % stable)
        assert queue_consumers(per_pid) is None
        proc.stop()
        stopped.append((kind, proc.pid))
        harness.wait_until(lambda: queue_consumers(stable) == 0, 30,
                           "no consumer on %s" % stable)
        deployment.start(kind)
        deployment.wait_for_consumers()
    return stopped


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
