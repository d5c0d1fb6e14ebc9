"""A task's ``started_at``, as Mistral 23.0.0 sets it.

Observed on the real Mistral 23.0.0 (``../shared/peers/mistral``,
all-in-one) before these tests were written: a join task is created
``WAITING`` with ``started_at`` null and gets it when it is satisfied and
runs (created 09:20:10, started 09:20:15 for a branch sleeping 3 s); a
task re-run through ``PUT /v2/tasks/<id>`` gets a new ``started_at`` (and
``finished_at``), its ``created_at`` stays. The API shows whole seconds,
so the tests wait over a second where a difference must show.
"""
import datetime
import json
import time

import pytest

from tests.functional import harness

pytestmark = pytest.mark.timeout(120)

DEFINITION = """
version: '2.0'
tt_join:
  tasks:
    a:
      action: std.noop
      on-success: [j]
    b:
      action: std.sleep seconds=2.5
      on-success: [j]
    j:
      join: all
      action: std.noop
tt_rerun:
  tasks:
    t:
      action: std.echo output=<% env().k.toUpper() %>
"""


def _time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def _by_name(api, ex_id):
    return {t["name"]: t for t in api.tasks(ex_id)}


@pytest.fixture(scope="module")
def api(embedded):
    embedded.api.create_workflow(DEFINITION)
    return embedded.api


def test_a_join_starts_when_it_is_satisfied(api):
    ex = api.start("tt_join")
    waiting = harness.wait_until(
        lambda: _by_name(api, ex["id"]).get("j"), 20, "the join task")
    assert waiting["state"] == "WAITING"
    assert waiting["started_at"] is None
    api.wait_all([ex["id"]], 60)
    tasks = _by_name(api, ex["id"])
    join, slow = tasks["j"], tasks["b"]
    assert join["state"] == "SUCCESS"
    assert _time(join["started_at"]) >= _time(slow["finished_at"])
    assert _time(join["started_at"]) > _time(join["created_at"])


def test_a_rerun_refreshes_started_at(api):
    ex = api.start("tt_rerun")
    api.wait_all([ex["id"]], 60)
    (failed,) = api.tasks(ex["id"])
    assert failed["state"] == "ERROR"
    time.sleep(1.5)
    api.request("PUT", "/tasks/%s" % failed["id"], json={
        "state": "RUNNING", "reset": True, "env": json.dumps({"k": "v"})})
    harness.wait_until(
        lambda: api.execution(ex["id"])["state"] == "SUCCESS", 60,
        "the re-run to succeed")
    rerun = api.task(failed["id"])
    assert rerun["created_at"] == failed["created_at"]
    assert _time(rerun["started_at"]) > _time(failed["started_at"])
    assert _time(rerun["finished_at"]) >= _time(rerun["started_at"])
