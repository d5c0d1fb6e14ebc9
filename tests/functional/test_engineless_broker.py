"""A start or a completion while the broker passes nothing (issue 17):
answered within ``[api] engine_answer_timeout`` plus a margin, although
the messaging layer holds the call itself (it retries the publish until
the broker answers): the start refused, the completion kept. Once the
broker heals, the completion is taken and the refused start never
runs."""
import time
import uuid

import pytest
import requests

from tests.functional import faultkit
from tests.functional import harness

pytestmark = [pytest.mark.production, pytest.mark.timeout(240)]

ANSWER_TIMEOUT = 2.0
ANSWER_WITHIN = ANSWER_TIMEOUT + 3
CONFIG = {"api": {"engine_answer_timeout": str(ANSWER_TIMEOUT)}}


@pytest.fixture
def deployment(tmp_path, postgres_db):
    with faultkit.running_proxied(tmp_path, postgres_db, CONFIG,
                                  ["api", "engine", "executor"]) as dep:
        yield dep


ASYNC_WF = """
version: '2.0'
blackholed_async:
  tasks:
    wait:
      action: std.async_noop
"""


def _timed(fn, *args, **kwargs):
    started = time.monotonic()
    resp = fn(*args, **kwargs)
    return resp, time.monotonic() - started


def test_a_start_and_a_completion_during_a_broker_blackhole(deployment):
    definition, _ = harness.sequential_workflow("blackholed", 1)
    deployment.api.create_workflow(definition)
    deployment.api.create_workflow(ASYNC_WF)
    waiting, action_id = harness.waiting_async_action(deployment,
                                                      "blackholed_async")
    ex_id = str(uuid.uuid4())
    with deployment.broker_proxy.cut("blackhole"):
        start, start_took = _timed(
            requests.post, deployment.url + "/executions", timeout=120,
            json={"id": ex_id, "workflow_name": "blackholed"})
        done, done_took = _timed(
            requests.put, "%s/action_executions/%s" % (deployment.url,
                                                       action_id),
            json={"state": "SUCCESS", "output": "{}"}, timeout=120)
    assert start_took < ANSWER_WITHIN, "start answered after %.1fs: %s" % (
        start_took, start.text)
    assert start.status_code == 503, start.text
    assert start.headers.get("Retry-After", "").isdigit()
    assert done_took < ANSWER_WITHIN, "completion answered after %.1fs" % (
        done_took,)
    assert done.status_code == 200, done.text
    # The broker passes traffic again: the completion is taken, and the
    # refused start, whose message got through late if at all, never ran.
    ex = deployment.api.wait_all([waiting], 90)[waiting]
    assert ex["state"] == "SUCCESS", ex
    deployment.api.request("GET", "/executions/%s" % ex_id, expect=(404,))
