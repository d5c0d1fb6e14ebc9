"""A frozen (SIGSTOPped) executor holds at most its own slots (issue 17).

RabbitMQ hands an executor at most as many unacknowledged messages as it
has workers, so while one of two executors is frozen its channels never
hold more than that many messages, the outbox's resends
go to the other executor, and every execution finishes; the frozen one
ran nothing meanwhile, and once thawed it runs nothing twice.
"""
import json
import signal
import socket
import subprocess
import threading

import pytest

from tests.functional import harness

pytestmark = [pytest.mark.production, pytest.mark.timeout(300)]

WORKERS = 2
EXECUTIONS = 12
TASKS = 2
CONFIG = {"executor": {"workers": str(WORKERS)}}


@pytest.fixture
def deployment(tmp_path, postgres_db):
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    dep = harness.Deployment(tmp_path, database=postgres_db,
                             transport_url=harness.RABBIT_URL, config=CONFIG)
    dep.db_manage()
    with harness.running(dep, ["api", "engine", "executor", "executor"]):
        yield dep


def _rabbitmqctl(*args):
    out = subprocess.run(
        ["rabbitmqctl", "-q", *args, "--formatter", "json"],
        capture_output=True, text=True, timeout=30, check=True).stdout
    return json.loads(out or "[]")


def _unacknowledged(queue):
    """Messages of ``queue`` out to its consumers, not yet acknowledged."""
    for row in _rabbitmqctl("list_queues", "name",
                            "messages_unacknowledged"):
        if row["name"] == queue:
            return row["messages_unacknowledged"]
    return 0


def _held_by(pid):
    """Messages not yet acknowledged on the channels of process ``pid``.

    The queue's own count takes in the live executor's too, which holds
    a delivery for the moment between the broker's push and its ack; the
    frozen one is known by the connection name oslo.messaging gives every
    connection (``program:pid:id``), and a channel by its connection's.
    """
    mine = set()
    for row in _rabbitmqctl("list_connections", "name", "client_properties"):
        props = {key: value for key, _type, value in row["client_properties"]}
        if ":%d:" % pid in props.get("connection_name", ""):
            mine.add(row["name"])
    assert mine, "no connection of process %d in the broker" % pid
    return sum(row["messages_unacknowledged"]
               for row in _rabbitmqctl("list_channels", "name",
                                       "messages_unacknowledged")
               if row["name"].rsplit(" (", 1)[0] in mine)


def test_frozen_executor_holds_only_its_slots(deployment):
    frozen, _alive = deployment.by_name("executor")
    frozen_name = "%s-%d" % (socket.gethostname(), frozen.pid)
    queue = deployment.topics()["executor"]
    definition, names = harness.sequential_workflow(
        "stuck", TASKS, action="std.echo output=1 delay=0.2")
    held, errors = [], []
    done = threading.Event()

    def watch():
        while not done.wait(0.5):
            try:
                held.append(_held_by(frozen.pid))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
                return

    frozen.signal(signal.SIGSTOP)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        ids = harness.start_many(deployment, definition, "stuck", EXECUTIONS)
        executions = deployment.api.wait_all(ids, 150)
    finally:
        done.set()
        watcher.join(30)
        frozen.signal(signal.SIGCONT)

    assert not errors, "could not count what the frozen executor held: %r" \
        % errors
    assert held and max(held) <= WORKERS, (
        "the frozen executor held %s messages (workers: %d)"
        % (max(held or [0]), WORKERS))
    [(ran_frozen,)] = deployment.db.query(
        "SELECT count(*) FROM action_executions WHERE executor = %s",
        (frozen_name,))
    assert ran_frozen == 0
    harness.assert_exactly_once(deployment, executions, names)
    # Thawed, it finds its old doorbells taken and runs nothing twice.
    harness.wait_until(lambda: _unacknowledged(queue) == 0, 60,
                       "the thawed executor to take its messages")
    assert frozen.alive()
    harness.assert_tasks_once_in_db(deployment.db, ids, TASKS)
