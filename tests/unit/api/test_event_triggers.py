"""``/v2/event_triggers``: Mistral's event triggers, stored per project."""
import json

import pytest

from tests.unit.api import base

FIELDS = {"id", "name", "workflow_id", "workflow_input", "workflow_params",
          "exchange", "topic", "event", "scope", "project_id", "created_at",
          "updated_at"}
EVENT = {"exchange": "openstack", "topic": "notifications",
         "event": "compute.instance.create.end"}


@pytest.fixture
def wf(app):
    return base.create_workflow(app)[0]


def _create(app, wf, status=201, **fields):
    body = dict(EVENT, name="et", workflow_id=wf["id"],
                workflow_input={"name": "ev"})
    body.update(fields)
    return app.post_json("/v2/event_triggers", body, status=status).json


def test_create_get_list_delete(app, wf):
    et = _create(app, wf, workflow_params='{"env": {"k": 1}}')
    assert set(et) == FIELDS
    assert (et["name"], et["workflow_id"], et["scope"]) == (
        "et", wf["id"], "private")
    assert json.loads(et["workflow_input"]) == {"name": "ev"}
    assert json.loads(et["workflow_params"]) == {"env": {"k": 1}}
    assert et["updated_at"] is None
    assert app.get("/v2/event_triggers/%s" % et["id"]).json == et
    listed = app.get("/v2/event_triggers").json["event_triggers"]
    assert [t["id"] for t in listed] == [et["id"]]
    assert app.get("/v2/event_triggers?event=other").json == {
        "event_triggers": []}
    app.delete("/v2/event_triggers/%s" % et["id"], status=204)
    app.get("/v2/event_triggers/%s" % et["id"], status=404)
    app.delete("/v2/event_triggers/%s" % et["id"], status=404)


def test_one_per_exchange_topic_event_and_workflow(app, wf):
    _create(app, wf)
    resp = _create(app, wf, status=409, name="again")
    assert "Event trigger" in resp["faultstring"]
    _create(app, wf, event="compute.instance.delete.end")


@pytest.mark.parametrize("fields, word", [
    ({"exchange": ""}, "exchange"),
    ({"event": None}, "event"),
    ({"workflow_id": "not-a-uuid"}, "workflow_id"),
    ({"workflow_input": "[1]"}, "workflow_input"),
    ({"workflow_input": {}}, "name"),            # a required input
    ({"workflow_input": {"name": 1, "nope": 2}}, "nope"),
    ({"topic": "t" * 81}, "topic"),
    ({"scope": "galaxy"}, "scope"),
    ({"colour": "red"}, "colour"),
])
def test_bad_bodies_are_400(app, wf, fields, word):
    resp = _create(app, wf, status=400, **fields)
    assert word in resp["faultstring"]


def test_an_unknown_workflow_is_404(app, wf):
    resp = _create(app, wf, status=404,
                   workflow_id="4f2f3c43-0b8e-4b8a-bb5e-1b6f3c1e2a11")
    assert "4f2f3c43-0b8e-4b8a-bb5e-1b6f3c1e2a11" in resp["faultstring"]


def test_update_keeps_what_a_notification_is_matched_on(app, wf):
    et = _create(app, wf)
    url = "/v2/event_triggers/%s" % et["id"]
    changed = app.put_json(url, {"name": "renamed",
                                 "workflow_input": {"name": "x"}}).json
    assert changed["name"] == "renamed"
    assert json.loads(changed["workflow_input"]) == {"name": "x"}
    assert changed["updated_at"] is not None
    resp = app.put_json(url, {"event": "other"}, status=400)
    assert "event" in resp.json["faultstring"]
    app.put_json(url, {"workflow_input": {}}, status=400)
    app.put_json("/v2/event_triggers/%s" % wf["id"], {"name": "x"},
                 status=404)


def test_a_workflow_with_triggers_can_not_be_deleted(app, wf):
    et = _create(app, wf)
    resp = app.delete("/v2/workflows/%s" % wf["id"], status=400)
    assert et["id"] in resp.json["faultstring"]
    app.delete("/v2/event_triggers/%s" % et["id"], status=204)
    app.delete("/v2/workflows/%s" % wf["id"], status=204)
