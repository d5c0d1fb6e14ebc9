"""With no engine answering, the API still answers, and never lies
(issue 17).

The engines are stopped and 20 starts arrive at once: each is answered
503 with Retry-After and Mistral's error shape within ``[api]
engine_answer_timeout`` plus a margin (refused on its start ticket at
the deadline, or by the engine gate at once), and a plain GET sent
meanwhile answers at once. An asynchronous action's completion is kept
in the result inbox and answered 200 within the same bound. Once an
engine is back, the action, its task and its execution end as the
completion said, a new start succeeds, and, past the lifetime of every
start message, none of the refused starts exists.

A start held by a frozen engine (SIGSTOP) past the deadline is refused
too, and the engine, once thawed, drops it: a slow engine never runs a
start the API refused.
"""
import concurrent.futures
import signal
import time
import uuid

import pytest
import requests

from tests.functional import harness
from wfengine.api import engine_gate

pytestmark = [pytest.mark.production, pytest.mark.timeout(300)]

STARTS = 20
MAX_ENGINE_CALLS = 4
ANSWER_TIMEOUT = 2.0
# The engine's deadline, the ticket's transaction, the gate's wait for a
# slot, a loaded test machine.
ANSWER_WITHIN = ANSWER_TIMEOUT + 3
READ_WITHIN = 3
CONFIG = {
    "DEFAULT": {"rpc_response_timeout": "20"},
    "api": {"max_engine_calls": str(MAX_ENGINE_CALLS),
            "engine_call_wait": "0.5", "start_resend_after": "1",
            "engine_answer_timeout": str(ANSWER_TIMEOUT)},
    "engine": {"liveness_check_interval": "1"},
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
      publish:
        said: <% task().result %>
  output:
    said: <% $.said %>
"""


def _assert_unavailable(resp):
    assert resp.status_code == 503, resp.text
    assert resp.headers.get("Retry-After", "").isdigit(), resp.headers
    body = resp.json()
    assert body["faultcode"] == "Server" and body["debuginfo"] is None


def _complete_with_no_engine(deployment, action_id):
    url = "%s/action_executions/%s" % (deployment.url, action_id)
    resp, took = _timed(requests.put, url, timeout=60, json={
        "state": "SUCCESS", "output": '{"answer": 42}'})
    assert resp.status_code == 200, resp.text
    assert took < ANSWER_WITHIN, "the completion took %.1fs" % took
    body = resp.json()
    assert body["state"] == "SUCCESS"
    assert harness.loads_field(body["output"]) == {
        "result": {"answer": 42}}
    # A second completion meanwhile loses to the kept one, as it would
    # to a completion an engine took.
    again = requests.put(url, timeout=60, json={"state": "ERROR",
                                                "output": "late"})
    assert again.status_code == 409, again.text


def _start_burst(deployment):
    """``STARTS`` starts at once and a GET among them: the ids of the
    starts, all refused."""
    url = deployment.url + "/executions"
    ids = [str(uuid.uuid4()) for _ in range(STARTS)]
    with concurrent.futures.ThreadPoolExecutor(STARTS) as pool:
        starts = [pool.submit(_timed, requests.post, url, timeout=120,
                              json={"id": ex_id,
                                    "workflow_name": "engineless"})
                  for ex_id in ids]
        time.sleep(ANSWER_TIMEOUT / 2)  # starts wait for an engine
        read, read_took = _timed(requests.get, url, timeout=60,
                                 params={"limit": 5})
        answers = [f.result() for f in starts]
    assert read.status_code == 200, read.text
    assert read_took < READ_WITHIN, (
        "GET took %.1fs while starts waited for an engine" % read_took)
    for resp, _took in answers:
        _assert_unavailable(resp)
    slowest = max(took for _r, took in answers)
    assert slowest < ANSWER_WITHIN, sorted(took for _r, took in answers)
    return ids


def test_no_engine_completions_are_kept_and_starts_refused_for_good(
        deployment):
    definition, _ = harness.sequential_workflow("engineless", 1)
    deployment.api.create_workflow(definition)
    deployment.api.create_workflow(ASYNC_WF)
    waiting_ex, action_id = harness.waiting_async_action(
        deployment, "engineless_async")
    [engine] = deployment.by_name("engine")
    assert deployment.kill(engine, signal.SIGTERM, timeout=60) == 0

    refused = _start_burst(deployment)
    # Past the gate's cooldown, the completion goes to the engine again
    # and waits for it, up to the deadline.
    time.sleep(engine_gate.COOLDOWN)
    _complete_with_no_engine(deployment, action_id)
    # Still no engine: the next start is refused at once, by the gate.
    resp, took = _timed(requests.post, deployment.url + "/executions",
                        json={"workflow_name": "engineless"}, timeout=60)
    _assert_unavailable(resp)
    assert took < ANSWER_WITHIN

    deployment.start("engine")
    deployment.wait_for_consumers(60)
    ex = deployment.api.wait_all([waiting_ex], 60)[waiting_ex]
    assert ex["state"] == "SUCCESS", ex
    assert harness.loads_field(ex["output"]) == {"said": {"answer": 42}}
    [task] = deployment.api.tasks(waiting_ex)
    assert task["state"] == "SUCCESS"
    assert deployment.api.get("/action_executions/%s" % action_id)[
        "state"] == "SUCCESS"

    # As a client following Retry-After: the gate lets a start through
    # again once it has seen an engine answer.
    ex_id = str(uuid.uuid4())

    def started():
        resp = deployment.api.request(
            "POST", "/executions", expect=(201, 503), timeout=60,
            json={"id": ex_id, "workflow_name": "engineless"})
        return resp.status_code == 201

    harness.wait_until(started, 90, "a start to be accepted", interval=1)
    assert deployment.api.wait_all([ex_id], 60)[ex_id]["state"] == "SUCCESS"
    # Every start message lived ANSWER_TIMEOUT at most, long gone: none of
    # the refused starts ran, or ever will.
    time.sleep(ANSWER_TIMEOUT)
    for ex_id in refused:
        resp = deployment.api.request("GET", "/executions/%s" % ex_id,
                                      expect=(404,))
        assert resp.status_code == 404
    assert deployment.db.query(
        "SELECT count(*) FROM start_tickets WHERE state = 'refused'")[0][
        0] >= 1


def test_a_start_a_frozen_engine_holds_past_the_deadline_never_runs(
        deployment):
    """The engine has the start message in hand (RabbitMQ handed it over,
    so no expiry applies to it any more) but is frozen: the API refuses
    the start at its deadline, and the engine, thawed, drops it."""
    name = "engineless_frozen"
    definition, _ = harness.sequential_workflow(name, 1)
    deployment.api.create_workflow(definition)
    [engine] = deployment.by_name("engine")
    engine.signal(signal.SIGSTOP)
    try:
        ex_id = str(uuid.uuid4())
        resp, took = _timed(requests.post, deployment.url + "/executions",
                            json={"id": ex_id, "workflow_name": name},
                            timeout=60)
        _assert_unavailable(resp)
        assert "will not run" in resp.json()["faultstring"]
        assert took < ANSWER_WITHIN, "the start took %.1fs" % took
    finally:
        engine.signal(signal.SIGCONT)
    harness.wait_until(
        lambda: "Start of workflow execution %s dropped" % ex_id
        in engine.tail(2000), 60, "the thawed engine to drop the start")
    deployment.api.request("GET", "/executions/%s" % ex_id, expect=(404,))
    # The engine answers again: a start under the same id now runs.
    harness.wait_until(lambda: deployment.api.request(
        "POST", "/executions", expect=(201, 503), timeout=60,
        json={"id": ex_id, "workflow_name": name}).status_code == 201,
        90, "a start to be accepted", interval=1)
    assert deployment.api.wait_all([ex_id], 60)[ex_id]["state"] == "SUCCESS"
