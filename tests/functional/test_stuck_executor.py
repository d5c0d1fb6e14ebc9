"""A frozen (SIGSTOPped) executor holds at most its own slots (issue 17).

RabbitMQ hands an executor at most as many unacknowledged messages as it
has workers, so while one of two executors is frozen the shared queue
never has more than that many messages out to it, the outbox's resends
go to the other executor, and every execution finishes; the frozen one
ran nothing meanwhile, and once thawed it runs nothing twice.
"""
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


def _unacknowledged(queue):
    out = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "name",
         "messages_unacknowledged"],
        capture_output=True, text=True, timeout=30, check=True).stdout
    for line in out.splitlines():
        name, _, count = line.partition("\t")
        if name == queue:
            return int(count)
    return 0


def test_frozen_executor_holds_only_its_slots(deployment):
    frozen, _alive = deployment.by_name("executor")
    frozen_name = "%s-%d" % (socket.gethostname(), frozen.pid)
    queue = deployment.topics()["executor"]
    definition, names = harness.sequential_workflow(
        "stuck", TASKS, action="std.echo output=1 delay=0.2")
    held = []
    done = threading.Event()

    def watch():
        while not done.wait(0.5):
            held.append(_unacknowledged(queue))

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
