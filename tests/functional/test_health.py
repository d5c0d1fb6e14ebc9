"""Health and readiness probes on real PostgreSQL and RabbitMQ.

/healthz says the process lives; /readyz says it can work: the database
answers, its schema is at head, the broker takes a login. Processes
without the API answer the same on ``[monitoring] status_port``.
"""
import contextlib

import pytest
import requests

from tests.functional import harness
from tests.functional import tcp_proxy

pytestmark = pytest.mark.timeout(180)


@contextlib.contextmanager
def stopping(deployment):
    try:
        yield deployment
    finally:
        deployment.stop()


def probe(port, path):
    resp = requests.get("http://%s:%d%s" % (harness.LOOPBACK, port, path),
                        timeout=10)
    return resp.status_code, resp.json()


def start_with_status(deployment, services, status_port):
    """Start ``wfengine-server --server services`` with its status
    endpoint on ``status_port``."""
    return deployment.start(
        services, args=["--monitoring-status_port", str(status_port)])


def wait_ready(port, proc, timeout=60):
    def ready():
        assert proc.alive(), "process exited:\n%s" % proc.tail()
        try:
            return probe(port, "/readyz")[0] == 200
        except requests.RequestException:
            return False
    harness.wait_until(ready, timeout, "/readyz on port %d" % port)


def test_api_and_engine_ready_on_postgres_and_rabbitmq(tmp_path,
                                                       postgres_db):
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    deployment = harness.Deployment(tmp_path, database=postgres_db,
                                    transport_url=harness.RABBIT_URL)
    deployment.db_manage()
    status_port = harness.free_port()
    with stopping(deployment):
        deployment.start("api")
        engine = start_with_status(deployment, "engine,executor",
                                   status_port)
        deployment.wait_for_api()
        assert probe(deployment.port, "/healthz")[0] == 200
        code, body = probe(deployment.port, "/readyz")
        assert (code, body["status"]) == (200, "ready"), body
        assert body["services"] == ["api"]
        wait_ready(status_port, engine)
        code, body = probe(status_port, "/readyz")
        assert body["services"] == ["engine", "executor"]
        code, body = probe(status_port, "/healthz")
        assert (code, body["status"]) == (200, "alive")
        assert body["pid"] == engine.pid


@pytest.fixture
def fresh_db():
    db = harness.PostgresDatabase()
    try:
        yield db
    finally:
        db.drop()


def test_schema_behind_head_is_unready_with_the_fix(tmp_path, fresh_db):
    from wfengine.db import migration

    migration.upgrade(fresh_db.url, "0007")
    deployment = harness.Deployment(tmp_path, database=fresh_db,
                                    transport_url=harness.RABBIT_URL)
    with stopping(deployment):
        deployment.start("api")
        deployment.wait_for_api()
        assert probe(deployment.port, "/healthz")[0] == 200
        code, body = probe(deployment.port, "/readyz")
    assert code == 503
    assert body["status"] == "unready"
    [reason] = body["reasons"]
    assert "0007" in reason and "wfengine-db-manage upgrade" in reason


def test_broker_gone_is_unready(tmp_path, postgres_db):
    """The broker goes away under a running API (a proxy the test owns
    stops listening and cuts its connections): /readyz names it."""
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    proxy = tcp_proxy.TcpProxy(harness.RABBIT_PORT)
    deployment = harness.Deployment(
        tmp_path, database=postgres_db,
        transport_url="rabbit://guest:guest@%s:%d/" % (harness.LOOPBACK,
                                                       proxy.port))
    deployment.db_manage()
    try:
        with stopping(deployment):
            deployment.start("api")
            deployment.wait_for_api()
            assert probe(deployment.port, "/readyz")[0] == 200
            proxy.close()
            harness.wait_until(
                lambda: probe(deployment.port, "/readyz")[0] == 503, 30,
                "/readyz to turn 503")
            code, body = probe(deployment.port, "/readyz")
    finally:
        proxy.close()
    [reason] = body["reasons"]
    assert reason.startswith("broker at 127.0.0.1:%d" % proxy.port), reason
    assert "guest" not in reason  # no credentials in the reason


def test_database_gone_is_unready(tmp_path, fresh_db):
    """A database that stops answering (here: dropped under the running
    API, as a lost server looks to it) makes /readyz fail, /healthz not."""
    deployment = harness.Deployment(tmp_path, database=fresh_db,
                                    transport_url=harness.RABBIT_URL)
    deployment.db_manage()
    with stopping(deployment):
        deployment.start("api")
        deployment.wait_for_api()
        assert probe(deployment.port, "/readyz")[0] == 200
        fresh_db.drop()
        harness.wait_until(
            lambda: probe(deployment.port, "/readyz")[0] == 503, 30,
            "/readyz to turn 503")
        code, body = probe(deployment.port, "/readyz")
        assert probe(deployment.port, "/healthz")[0] == 200
    assert any(r.startswith("database") for r in body["reasons"]), body


def test_probes_refuse_other_methods(embedded):
    base = "http://%s:%d" % (harness.LOOPBACK, embedded.port)
    resp = requests.post(base + "/readyz", timeout=10)
    assert resp.status_code == 405
    assert resp.json() == {"faultstring": "Method not allowed",
                           "debuginfo": None}
    code, body = probe(embedded.port, "/readyz")
    assert (code, body["status"]) == (200, "ready")
    assert body["services"] == ["api", "engine", "executor", "notifier"]
