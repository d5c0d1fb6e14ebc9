"""``/v2/listeners``: validation, secrets shown once, masked headers, the
delivery log; and the ``notify`` parameter of ``POST /v2/executions``."""
import datetime
import json
import uuid

import pytest

from tests.unit.api import base
from wfengine import conf
from wfengine.db import models

PUBLIC = "http://93.184.216.34/hook"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
FIELDS = {"id", "workflow_name", "events", "url", "method", "headers",
          "description", "enabled", "project_id", "created_at",
          "updated_at"}


def _create(app, **body):
    body.setdefault("url", PUBLIC)
    return app.post_json("/v2/listeners", body, status=201).json


def test_create_returns_secret_once_and_reads_mask_headers(app):
    made = _create(app, workflow_name="deploy_app", events=["EXECUTION"],
                   headers={"X-Api-Key": "canary-key"}, secret=SECRET,
                   description="ops channel")
    assert set(made) == FIELDS | {"secret"}
    assert made["secret"] == SECRET
    assert made["headers"] == {"X-Api-Key": "***"}
    assert (made["method"], made["enabled"]) == ("POST", True)
    got = app.get("/v2/listeners/%s" % made["id"]).json
    assert set(got) == FIELDS and "canary" not in json.dumps(got)
    listed = app.get("/v2/listeners").json["listeners"]
    assert "canary" not in json.dumps(listed) and "secret" not in listed[0]


def test_server_makes_a_secret_when_none_is_given(app):
    made = _create(app)
    assert made["secret"].startswith("whsec_") and len(made["secret"]) > 40
    assert made["events"] == ["EXECUTION", "TASK"]


def test_list_filters_by_workflow_name(app):
    _create(app, workflow_name="a")
    _create(app, workflow_name="b")
    names = [x["workflow_name"] for x in
             app.get("/v2/listeners?workflow_name=b").json["listeners"]]
    assert names == ["b"]


def test_update_and_delete(app):
    made = _create(app)
    changed = app.put_json("/v2/listeners/%s" % made["id"],
                           {"enabled": False, "method": "put",
                            "events": ["TASK_FAILED"]}).json
    assert (changed["enabled"], changed["method"], changed["events"]) == (
        False, "PUT", ["TASK_FAILED"])
    app.delete("/v2/listeners/%s" % made["id"], status=204)
    app.get("/v2/listeners/%s" % made["id"], status=404)


@pytest.mark.parametrize("body, words", [
    ({"events": ["WORKFLOW_EXPLODED"]}, ["Invalid event name(s) in 'events'",
                                         "allowed", "TASK_SKIPPED"]),
    ({"events": []}, ["'events'"]),
    ({"url": "ftp://x.example/"}, ["http or https"]),
    ({"url": "http://127.0.0.1:8080/"}, ["127.0.0.1", "allowed_networks"]),
    ({"url": "http://[::ffff:127.0.0.1]/"}, ["non-public"]),
    ({"url": "http://0.0.0.0/"}, ["0.0.0.0"]),
    ({"url": "http://169.254.169.254/"}, ["169.254.169.254"]),
    ({"method": "GET"}, ["Invalid method", "POST, PUT"]),
    ({"headers": {"webhook-id": "x"}}, ["webhook-id", "reserved"]),
    ({"headers": {"X-A": 5}}, ["X-A"]),
    ({"secret": "plain"}, ["whsec_"]),
    ({"colour": "red"}, ["colour", "allowed"]),
    ({"enabled": "yes"}, ["enabled"]),
])
def test_bad_listeners_are_400_naming_the_problem(app, body, words):
    body.setdefault("url", PUBLIC)
    fault = app.post_json("/v2/listeners", body, status=400).json
    for word in words:
        assert word in fault["faultstring"]
    # A field and what it allows are named, never a value sent.
    for sent in ("WORKFLOW_EXPLODED", "GET", "red", "plain"):
        assert sent not in fault["faultstring"]


def test_missing_url_is_400(app):
    fault = app.post_json("/v2/listeners", {}, status=400).json
    assert "'url'" in fault["faultstring"]


def test_update_refuses_fields_that_cannot_change(app):
    made = _create(app)
    fault = app.put_json("/v2/listeners/%s" % made["id"],
                         {"secret": SECRET}, status=400).json
    assert "secret" in fault["faultstring"]


def test_loopback_allowed_when_configured(app):
    conf.CONF.set_override("allowed_networks", ["127.0.0.1/32"],
                           group="notifier")
    try:
        _create(app, url="http://127.0.0.1:9999/x")
        app.post_json("/v2/listeners", {"url": "http://127.0.0.2/"},
                      status=400)
    finally:
        conf.CONF.clear_override("allowed_networks", group="notifier")


def _delivery(listener_id, n, state="PENDING"):
    created = datetime.datetime(2026, 1, 1) + datetime.timedelta(seconds=n)
    return models.Delivery(
        id=str(uuid.uuid4()), event_id=n, event="TASK_LAUNCHED",
        workflow_execution_id="ex", task_execution_id="t%d" % n,
        target="listener:%s" % listener_id, publisher="webhook",
        listener_id=listener_id, state=state, attempts=n,
        last_status_code=500, last_error="HTTP 500", next_attempt_at=created,
        created_at=created)


def test_deliveries_newest_first_with_paging(app):
    made = _create(app)
    base.add_rows(*[_delivery(made["id"], n) for n in range(1, 6)])
    url = "/v2/listeners/%s/deliveries" % made["id"]
    page = app.get(url + "?limit=2").json
    assert [d["attempts"] for d in page["deliveries"]] == [5, 4]
    assert set(page["deliveries"][0]) == {
        "id", "event", "workflow_execution_id", "task_execution_id",
        "state", "attempts", "last_status_code", "last_error",
        "created_at", "delivered_at", "next_attempt_at"}
    assert page["deliveries"][0]["created_at"] == "2026-01-01 00:00:05"
    assert page["deliveries"][0]["next_attempt_at"] == "2026-01-01 00:00:05"
    marker = page["deliveries"][-1]["id"]
    rest = app.get(url + "?limit=2&marker=%s" % marker).json
    assert [d["attempts"] for d in rest["deliveries"]] == [3, 2]
    assert "next" in page
    app.get("/v2/listeners/%s/deliveries" % uuid.uuid4(), status=404)
    app.get(url + "?limit=0", status=400)
    app.get(url + "?state=x", status=400)


@pytest.fixture
def wf(app):
    return base.create_workflow(app)[0]


def test_execution_accepts_mistral_notify(app, wf, engine_client):
    notify = [{"type": "webhook", "url": PUBLIC,
               "headers": {"X-Token": "t"},
               "event_types": ["WORKFLOW_SUCCEEDED", "TASK_FAILED"]}]
    base.start(app, params={"notify": notify})
    sent = engine_client.calls[0][4]["notify"][0]
    assert sent["url"] == PUBLIC and sent["event_types"] == [
        "WORKFLOW_SUCCEEDED", "TASK_FAILED"]


@pytest.mark.parametrize("notify, words", [
    ({"type": "webhook"}, ["'notify'", "list"]),
    ([{"type": "carrier-pigeon"}], ["notify[0].type", "webhook"]),
    ([{"type": "webhook", "url": "http://10.0.0.1/"}], ["10.0.0.1"]),
    ([{"type": "webhook", "url": PUBLIC, "event_types": ["NOPE"]}],
     ["Invalid event name(s) in 'notify[0].event_types'", "TASK_FAILED"]),
    ([{"type": "webhook", "url": PUBLIC, "colour": 1}], ["colour"]),
])
def test_bad_notify_is_400(app, wf, notify, words):
    resp = app.post_json("/v2/executions", {
        "workflow_name": "wf1", "input": {"name": "x"},
        "params": {"notify": notify}}, status=400)
    for word in words:
        assert word in resp.json["faultstring"]
    assert "NOPE" not in resp.json["faultstring"]
    assert "carrier-pigeon" not in resp.json["faultstring"]
