"""With no engine answering, the API still answers reads (issue 17).

The engines are stopped and 20 starts arrive at once. Engine-bound calls
pass a gate of ``[api] max_engine_calls``: those beyond it are refused at
once with 503, Retry-After and Mistral's error shape, and a plain GET sent
while the others wait still answers, within a bound far below the
engine-call timeout. Once a call found no engine, further starts and
asynchronous completions are refused at once. Once an engine is back, a
start succeeds.
"""
import concurrent.futures
import signal
import time
import uuid

import pytest
import requests

from tests.functional import harness

pytestmark = [pytest.mark.production, pytest.mark.timeout(300)]

STARTS = 20
MAX_ENGINE_CALLS = 4
ENGINE_CALL_TIMEOUT = 20
# Far below ENGINE_CALL_TIMEOUT: an answer within it came from a thread
# the waiting starts did not hold.
ANSWER_WITHIN = 8
CONFIG = {
    "DEFAULT": {"rpc_response_timeout": str(ENGINE_CALL_TIMEOUT)},
    "api": {"max_engine_calls": str(MAX_ENGINE_CALLS),
            "engine_call_wait": "0.5", "start_resend_after": "5"},
}


@pytest.fixture
def deployment(tmp_path, postgres_db):
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    dep = harness.Deployment(tmp_path, database=postgres_db,
                             transport_url=harness.RABBIT_URL, config=CONFIG)
    dep.db_manage()
    with harness.running(dep, ["api", "engine", "executor"]):
        yield dep


def _timed(fn, *args, **kwargs):
    started = time.monotonic()
    resp = fn(*args, **kwargs)
    return resp, time.monotonic() - started


ASYNC_WF = """
version: '2.0'
engineless_async:
  tasks:
    wait:
      action: std.async_noop
"""


def _waiting_action(api):
    """The id of an asynchronous action execution waiting for its
    completion (an unknown id would be a 404 before any engine call)."""
    ex = harness.start_execution(api, "engineless_async")
    return harness.wait_until(
        lambda: next((a["id"] for task in api.tasks(ex["id"])
                      for a in api.action_executions(task["id"])
                      if a["state"] == "RUNNING"), None),
        60, "the asynchronous action of %s" % ex["id"])


def test_reads_answer_and_starts_are_refused_at_once(deployment):
    definition, _ = harness.sequential_workflow("engineless", 1)
    deployment.api.create_workflow(definition)
    deployment.api.create_workflow(ASYNC_WF)
    waiting = _waiting_action(deployment.api)
    [engine] = deployment.by_name("engine")
    assert deployment.kill(engine, signal.SIGTERM, timeout=60) == 0

    url = deployment.url + "/executions"
    with concurrent.futures.ThreadPoolExecutor(STARTS) as pool:
        starts = [pool.submit(_timed, requests.post, url, timeout=120,
                              json={"workflow_name": "engineless"})
                  for _ in range(STARTS)]
        time.sleep(2)  # the gate is full, the refused ones answered
        read, read_took = _timed(requests.get, url, timeout=60,
                                 params={"limit": 5})
        answers = [f.result() for f in starts]

    assert read.status_code == 200, read.text
    assert read_took < ANSWER_WITHIN, (
        "GET took %.1fs while starts waited for an engine" % read_took)
    codes = sorted(r.status_code for r, _ in answers)
    assert codes == [503] * STARTS, codes
    for resp, _took in answers:
        assert resp.headers.get("Retry-After", "").isdigit(), resp.headers
        body = resp.json()
        assert body["faultcode"] == "Server" and body["debuginfo"] is None
    refused_at_once = [took for _r, took in answers if took < ANSWER_WITHIN]
    assert len(refused_at_once) >= STARTS - MAX_ENGINE_CALLS, sorted(
        took for _r, took in answers)

    # No engine answered: the next engine-bound requests are refused at
    # once, a start and an asynchronous action's completion alike.
    for method, path, body in (
            ("POST", "/executions", {"workflow_name": "engineless"}),
            ("PUT", "/action_executions/%s" % waiting,
             {"state": "SUCCESS", "output": "{}"})):
        resp, took = _timed(requests.request, method,
                            deployment.url + path, json=body, timeout=60)
        assert resp.status_code == 503, resp.text
        assert resp.headers.get("Retry-After", "").isdigit()
        assert took < ANSWER_WITHIN, "%s %s took %.1fs" % (method, path,
                                                          took)

    deployment.start("engine")
    deployment.wait_for_consumers(60)
    # As a client following Retry-After: the gate lets a start through
    # again once it has seen an engine answer.
    ex_id = str(uuid.uuid4())

    def started():
        resp = deployment.api.request(
            "POST", "/executions", expect=(201, 503), timeout=60,
            json={"id": ex_id, "workflow_name": "engineless"})
        return resp.status_code == 201

    harness.wait_until(started, 90, "a start to be accepted", interval=1)
    ex = deployment.api.wait_all([ex_id], 60)[ex_id]
    assert ex["state"] == "SUCCESS"
