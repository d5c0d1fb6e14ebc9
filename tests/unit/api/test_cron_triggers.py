"""``/v2/cron_triggers``."""
import datetime
import json

from tests.unit.api import base as conftest


def _body(**extra):
    body = {"name": "ct1", "workflow_name": "wf1", "pattern": "*/5 * * * *",
            "workflow_input": json.dumps({"name": "x"}),
            "remaining_executions": 3, "first_execution_time": None}
    body.update(extra)
    return body


def test_create_get_list_delete(app):
    wf = conftest.create_workflow(app)[0]
    ct = app.post_json("/v2/cron_triggers", _body(), status=201).json
    assert ct["name"] == "ct1"
    assert ct["workflow_name"] == "wf1"
    assert ct["workflow_id"] == wf["id"]
    assert json.loads(ct["workflow_input"]) == {"name": "x"}
    assert json.loads(ct["workflow_params"]) == {}
    assert ct["remaining_executions"] == 3
    assert ct["pattern"] == "*/5 * * * *"
    nxt = datetime.datetime.strptime(ct["next_execution_time"],
                                     "%Y-%m-%d %H:%M:%S")
    assert nxt.minute % 5 == 0
    assert app.get("/v2/cron_triggers/ct1").json == ct
    fields = "name,workflow_name,workflow_params,pattern"
    listed = app.get("/v2/cron_triggers?fields=%s" % fields).json
    assert set(listed["cron_triggers"][0]) == {"id"} | set(fields.split(","))
    app.delete("/v2/cron_triggers/ct1", status=204)
    app.get("/v2/cron_triggers/ct1", status=404)


def test_first_time_without_pattern_fires_once(app):
    conftest.create_workflow(app)
    ct = app.post_json("/v2/cron_triggers", _body(
        pattern=None, remaining_executions=None,
        first_execution_time="2999-01-01 10:00"), status=201).json
    assert ct["next_execution_time"] == "2999-01-01 10:00:00"
    assert ct["first_execution_time"] == "2999-01-01 10:00:00"
    assert ct["remaining_executions"] == 1


def test_bad_requests(app):
    conftest.create_workflow(app)
    resp = app.post_json("/v2/cron_triggers", _body(pattern="nope"),
                         status=400)
    assert resp.json["faultstring"].startswith("Invalid cron pattern: must")
    assert "nope" not in resp.json["faultstring"]
    # An unknown workflow is Mistral's 404, naming the workflow.
    resp = app.post_json("/v2/cron_triggers", _body(workflow_name="zz"),
                         status=404)
    assert resp.json["faultstring"].startswith("Workflow not found")
    assert "zz" in resp.json["faultstring"]
    resp = app.post_json("/v2/cron_triggers", _body(
        pattern=None, first_execution_time=None), status=400)
    assert "pattern" in resp.json["faultstring"]
    resp = app.post_json("/v2/cron_triggers", _body(
        first_execution_time="2000-01-01 00:00"), status=400)
    assert "future" in resp.json["faultstring"]
    resp = app.post_json("/v2/cron_triggers", _body(remaining_executions=0),
                         status=400)
    assert "remaining_executions" in resp.json["faultstring"]


def test_duplicate_is_409(app):
    conftest.create_workflow(app)
    app.post_json("/v2/cron_triggers", _body(), status=201)
    app.post_json("/v2/cron_triggers", _body(), status=409)
