"""Prometheus metrics move when workflows run.

Scrape ``/metrics`` before and after executions, and check that the
counters and histograms moved by what ran: executions started and
finished (by workflow and final state), task and action durations, units
of work, webhook deliveries, API requests; and that the database gauges
(outbox, executor heartbeats) are there. Once in the embedded server
(SQLite), once on PostgreSQL + RabbitMQ with the engine scraped on its
status endpoint.
"""
import requests
from prometheus_client import parser

import pytest

from tests.functional import harness
from tests.functional import test_health

pytestmark = pytest.mark.timeout(240)

WORKFLOW = """
version: '2.0'
metered:
  tasks:
    one:
      action: std.echo output=1
      on-success: [two]
    two:
      action: std.echo output=2
      on-success: [three]
    three:
      action: std.noop
"""
FAILING = """
version: '2.0'
metered_fail:
  tasks:
    boom:
      action: std.fail
"""
CONFIG = {
    "monitoring": {"database_gauges_interval": "0"},
    "notifier": {"allowed_networks": "127.0.0.1/32", "poll_interval": "0.05",
                 "backoff_base": "0.1", "backoff_max": "0.5"},
}


def scrape(port):
    """``{(name, frozenset(labels.items())): value}`` of every sample."""
    text = requests.get("http://%s:%d/metrics" % (harness.LOOPBACK, port),
                        timeout=10).text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in parser.text_string_to_metric_families(text)
            for s in family.samples}


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before, after, name, **labels):
    return value(after, name, **labels) - value(before, name, **labels)


def names(samples):
    return {name for name, _ in samples}


@pytest.fixture(scope="module")
def metered(tmp_path_factory):
    deployment = harness.Deployment(tmp_path_factory.mktemp("metrics"),
                                    config=CONFIG)
    with harness.running(deployment, ["all"]):
        deployment.api.create_workflow(WORKFLOW)
        deployment.api.create_workflow(FAILING)
        yield deployment


def test_a_run_moves_the_counters(metered):
    api = metered.api
    with harness.StubHttpServer(default=lambda r: (200, {})) as receiver:
        listener = api.request("POST", "/listeners", expect=(201,), json={
            "url": receiver.url + "/hook", "workflow_name": "metered"}).json()
        before = scrape(metered.port)
        ids = [api.start("metered")["id"] for _ in range(3)]
        failed = api.start("metered_fail")["id"]
        api.wait_all(ids + [failed], 60)
        # 3 executions x (launched + 3 x (task launched, succeeded) +
        # succeeded) events.
        harness.wait_until(
            lambda: len(receiver.received("/hook")) >= 3 * 8, 60,
            "the webhook deliveries")
        harness.wait_until(
            lambda: moved(before, scrape(metered.port),
                          "wfengine_webhook_deliveries_total",
                          publisher="webhook", outcome="succeed") >= 24,
            30, "the deliveries to be counted")
        after = scrape(metered.port)
    api.request("DELETE", "/listeners/%s" % listener["id"], expect=(204,))

    assert moved(before, after, "wfengine_executions_started_total",
                 workflow="metered") == 3
    assert moved(before, after, "wfengine_executions_finished_total",
                 workflow="metered", state="SUCCESS") == 3
    assert moved(before, after, "wfengine_executions_finished_total",
                 workflow="metered_fail", state="ERROR") == 1
    assert moved(before, after, "wfengine_task_duration_seconds_count",
                 workflow="metered", state="SUCCESS") == 9
    assert moved(before, after, "wfengine_action_duration_seconds_count",
                 action="std.echo", state="SUCCESS") == 6
    assert moved(before, after, "wfengine_action_duration_seconds_count",
                 action="std.fail", state="ERROR") == 1
    assert moved(before, after, "wfengine_api_requests_total",
                 method="POST", route="/v2/executions", status="201") == 4
    assert moved(before, after, "wfengine_webhook_deliveries_total",
                 publisher="webhook", outcome="succeed") == 24
    assert moved(before, after, "wfengine_webhook_delivery_lag_seconds_count",
                 publisher="webhook") == 24
    assert moved(before, after, "wfengine_unit_of_work_seconds_count",
                 operation="start") >= 4
    assert value(after, "wfengine_executor_actions_running") == 0


def test_database_gauges_are_exposed(metered):
    samples = scrape(metered.port)
    assert value(samples, "wfengine_database_gauges_up") == 1
    assert value(samples, "wfengine_executions_running") == 0
    ages = [v for (name, _), v in samples.items()
            if name == "wfengine_executor_heartbeat_age_seconds"]
    assert len(ages) == 1 and 0 <= ages[0] < 60
    assert {"wfengine_events_undispatched",
            "wfengine_events_oldest_undispatched_age_seconds"} <= names(
        samples)


def test_api_routes_are_bounded(metered):
    before = scrape(metered.port)
    for _ in range(2):
        metered.api.request("GET", "/executions/%s" % harness.random_hex(),
                            expect=(404,))
    after = scrape(metered.port)
    assert moved(before, after, "wfengine_api_requests_total", method="GET",
                 route="/v2/executions/{id}", status="404") == 2


def test_engine_process_metrics_on_postgres(tmp_path, postgres_db):
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    deployment = harness.Deployment(tmp_path, database=postgres_db,
                                    transport_url=harness.RABBIT_URL,
                                    config=CONFIG)
    deployment.db_manage()
    status_port = harness.free_port()
    with test_health.stopping(deployment):
        deployment.start("api")
        engine = test_health.start_with_status(
            deployment, "engine,executor,notifier", status_port)
        deployment.wait_for_api()
        deployment.wait_for_consumers()
        test_health.wait_ready(status_port, engine)
        before = scrape(status_port)
        harness.run_many(deployment, WORKFLOW, "metered", 2, 60)
        after = scrape(status_port)
        api_side = scrape(deployment.port)
    assert moved(before, after, "wfengine_executions_finished_total",
                 workflow="metered", state="SUCCESS") == 2
    assert moved(before, after, "wfengine_action_duration_seconds_count",
                 action="std.echo", state="SUCCESS") == 4
    # The API process runs no engine: it counts requests, not executions.
    assert value(api_side, "wfengine_executions_started_total",
                 workflow="metered") == 0
    assert value(api_side, "wfengine_api_requests_total", method="POST",
                 route="/v2/executions", status="201") == 2
    assert value(api_side, "wfengine_database_gauges_up") == 1


def test_multiprocess_mode(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR the values live in files there and
    the exposition sums the processes that wrote them."""
    prom_dir = tmp_path / "prometheus"
    prom_dir.mkdir()
    deployment = harness.Deployment(tmp_path / "deployment", config=CONFIG)
    deployment.env["PROMETHEUS_MULTIPROC_DIR"] = str(prom_dir)
    with harness.running(deployment, ["all"]):
        harness.run_many(deployment, WORKFLOW, "metered", 2, 60)
        samples = scrape(deployment.port)
        assert any(prom_dir.iterdir()), "no metric files written"
    assert value(samples, "wfengine_executions_finished_total",
                 workflow="metered", state="SUCCESS") == 2
    assert value(samples, "wfengine_database_gauges_up") == 1
