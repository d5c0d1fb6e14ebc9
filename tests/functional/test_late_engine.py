"""A start (``POST /v2/executions``) that reaches RabbitMQ before any
engine listens is dropped there: no queue takes it yet. The API sends it
again under the same execution id, so the client gets its execution once
an engine is up, within ``[api] engine_answer_timeout`` (long here: by
default a start no engine answers within 2 s is refused, see
``test_engineless_api.py``), and the execution runs once however many
copies were sent."""
import threading
import time

import pytest
import requests

from tests.functional import harness

RESEND_AFTER = 1.0
ENGINE_LATE_BY = 3.0
ANSWER_WITHIN = 60


@pytest.fixture
def api_first(tmp_path, postgres_db):
    """API and executor running on PostgreSQL + RabbitMQ; no engine."""
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    deployment = harness.Deployment(
        tmp_path, database=postgres_db, transport_url=harness.RABBIT_URL,
        config={"api": {"start_resend_after": RESEND_AFTER,
                        "engine_answer_timeout": ANSWER_WITHIN / 2}})
    deployment.db_manage()
    try:
        deployment.start("api")
        deployment.start("executor")
        deployment.wait_for_api()
        yield deployment
    finally:
        deployment.stop()


@pytest.mark.timeout(ANSWER_WITHIN + 90)
def test_a_start_sent_before_any_engine_listens_runs_once(api_first):
    definition, names = harness.sequential_workflow("seq_late", 3)
    api_first.api.create_workflow(definition)
    answer = {}

    def post():
        answer["response"] = requests.post(
            api_first.url + "/executions", json={"workflow_name": "seq_late"},
            timeout=ANSWER_WITHIN)

    poster = threading.Thread(target=post, daemon=True)
    poster.start()
    time.sleep(ENGINE_LATE_BY)
    assert poster.is_alive(), "the start was answered with no engine: %s" % (
        answer["response"].text,)
    api_first.start("engine")
    poster.join(ANSWER_WITHIN)
    assert "response" in answer, "no answer %ss after the engine started" % (
        ANSWER_WITHIN,)
    response = answer["response"]
    assert response.status_code == 201, response.text
    ex_id = response.json()["id"]
    executions = api_first.api.wait_all([ex_id], ANSWER_WITHIN)
    harness.assert_exactly_once(api_first, executions, names)
    assert api_first.db.query(
        "SELECT count(*) FROM workflow_executions") == [(1,)]
