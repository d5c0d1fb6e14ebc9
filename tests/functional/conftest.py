"""Fixtures that start wfengine deployments for the functional tests.

Each test module gets deployments of its own (module scope): its own
work directory, port, database, control exchange and topics. When a
test fails, the end of every process log of the deployments it used is
added to its report.
"""
import pytest

from tests.functional import harness

# api + 2 engines + 2 executors, each a process of its own.
PRODUCTION_LAYOUT = ["api", "engine", "engine", "executor", "executor"]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "production: the test (or this parameter of it) runs on "
        "the PostgreSQL + RabbitMQ production layout")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    funcargs = getattr(item, "funcargs", {}) or {}
    for value in funcargs.values():
        if isinstance(value, harness.Deployment):
            for title, text in value.log_tails():
                report.sections.append((title, text))


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """``wfengine-server --server all`` on SQLite, in-process messaging."""
    deployment = harness.Deployment(tmp_path_factory.mktemp("embedded"))
    with harness.running(deployment, ["all"]):
        yield deployment


@pytest.fixture
def fresh_embedded(tmp_path):
    """Like ``embedded``, for one test only (e.g. one that stops it)."""
    deployment = harness.Deployment(tmp_path)
    with harness.running(deployment, ["all"]):
        yield deployment


@pytest.fixture(scope="module")
def postgres_db():
    db = harness.PostgresDatabase()
    try:
        yield db
    finally:
        db.drop()


@pytest.fixture(scope="module")
def production(tmp_path_factory, postgres_db):
    """PostgreSQL + RabbitMQ, api + 2 engines + 2 executors."""
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    deployment = harness.Deployment(
        tmp_path_factory.mktemp("production"),
        database=postgres_db, transport_url=harness.RABBIT_URL)
    deployment.db_manage()
    with harness.running(deployment, PRODUCTION_LAYOUT):
        yield deployment


@pytest.fixture(scope="module")
def embedded_http(tmp_path_factory):
    """``embedded`` whose std.http may reach 127.0.0.1 (a test server)."""
    deployment = harness.Deployment(
        tmp_path_factory.mktemp("embedded-http"),
        config=harness.std_http_loopback_config())
    with harness.running(deployment, ["all"]):
        yield deployment


@pytest.fixture(scope="module")
def production_http(tmp_path_factory, postgres_db):
    """``production`` whose std.http may reach 127.0.0.1."""
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    deployment = harness.Deployment(
        tmp_path_factory.mktemp("production-http"),
        database=postgres_db, transport_url=harness.RABBIT_URL,
        config=harness.std_http_loopback_config())
    deployment.db_manage()
    with harness.running(deployment, PRODUCTION_LAYOUT):
        yield deployment
