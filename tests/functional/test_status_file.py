"""The status file of a process that runs no API (``[monitoring]
status_file``), with real processes on PostgreSQL and RabbitMQ.

An engine+executor process and a notifier process each write their own
file; each file is always whole JSON, says ``ready`` with the process's
pid and services, and is rewritten every interval. The exec probe the
operator guide gives (a fresh modification time, and ``ready``) passes;
it fails for a process that is stopped (SIGSTOP: stuck, so its file goes
stale) and passes again once it runs; after SIGTERM the last write says
``stopping``.
"""
import json
import os
import signal
import subprocess
import time

import pytest

from tests.functional import harness

pytestmark = pytest.mark.timeout(180)

INTERVAL = 0.5
# The probe of doc/source/operations.rst, with a short age for the test.
PROBE = ('f=%s; [ $(( $(date +%%s) - $(stat -c %%Y "$f") )) -lt %d ] '
         '&& grep -q \'"status": "ready"\' "$f"')


def start_with_file(deployment, services, path):
    return deployment.start(services, args=[
        "--monitoring-status_file", path,
        "--monitoring-status_file_interval", str(INTERVAL)])


def read(path):
    with open(path) as f:
        return json.load(f)


def probe(path, max_age):
    return subprocess.run(["sh", "-c", PROBE % (path, max_age)],
                          timeout=30).returncode


def wait_ready(path, proc):
    def ready():
        assert proc.alive(), "process exited:\n%s" % proc.tail()
        return os.path.exists(path) and read(path)["status"] == "ready"
    harness.wait_until(ready, 60, "%s to say ready" % path)


@pytest.fixture
def deployment(tmp_path, postgres_db):
    """PostgreSQL and RabbitMQ, migrated; its processes stopped after."""
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    deployment = harness.Deployment(tmp_path, database=postgres_db,
                                    transport_url=harness.RABBIT_URL)
    deployment.db_manage()
    try:
        yield deployment
    finally:
        deployment.stop()


def test_status_files_of_engine_and_notifier(tmp_path, deployment):
    engine_file = str(tmp_path / "engine.status")
    notifier_file = str(tmp_path / "notifier.status")
    engine = start_with_file(deployment, "engine,executor", engine_file)
    notifier = start_with_file(deployment, "notifier", notifier_file)
    wait_ready(engine_file, engine)
    wait_ready(notifier_file, notifier)
    status = read(engine_file)
    assert status["pid"] == engine.pid
    assert status["services"] == ["engine", "executor"]
    assert status["reasons"] == [] and status["interval"] == INTERVAL
    assert read(notifier_file)["services"] == ["notifier"]

    # Rewritten every interval, and always whole (atomic renames).
    first = os.stat(engine_file).st_mtime_ns
    seen = set()
    deadline = time.monotonic() + 10
    while len(seen) < 3 and time.monotonic() < deadline:
        seen.add(read(engine_file)["written_at"])
        time.sleep(0.05)
    assert len(seen) >= 2, seen
    assert os.stat(engine_file).st_mtime_ns > first

    assert probe(engine_file, 3) == 0
    # A stuck process: its file goes stale and the probe fails.
    engine.signal(signal.SIGSTOP)
    try:
        harness.wait_until(lambda: probe(engine_file, 3) != 0, 30,
                           "the probe to fail on a stale file")
    finally:
        engine.signal(signal.SIGCONT)
    harness.wait_until(lambda: probe(engine_file, 3) == 0, 30,
                       "the probe to pass again")

    engine.signal(signal.SIGTERM)
    engine.popen.wait(60)
    assert read(engine_file)["status"] == "stopping"
    assert probe(engine_file, 3) != 0
    assert not [n for n in os.listdir(tmp_path) if n.startswith(
        ".engine.status.")], "temporary files left behind"
    assert read(notifier_file)["status"] == "ready"


def test_an_unwritable_path_stops_the_start_in_one_line(tmp_path,
                                                        deployment):
    proc = start_with_file(deployment, "notifier",
                           str(tmp_path / "missing" / "n.status"))
    assert proc.popen.wait(60) != 0
    log = proc.tail()
    assert "cannot write the status file" in log, log
    assert "[monitoring] status_file" in log
    assert "Traceback" not in log, log
