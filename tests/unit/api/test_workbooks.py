"""``/v2/workbooks``: a text that makes workflows and ad-hoc actions."""
import re

DATETIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
FIELDS = {"id", "name", "namespace", "definition", "tags", "scope",
          "project_id", "created_at", "updated_at"}

WB = """---
version: '2.0'
name: wb1
tags: [t1]
workflows:
  main:
    input: [name]
    tasks:
      hello:
        action: greet name=<% $.name %>
        on-success: [sub]
      sub:
        workflow: helper
  helper:
    tasks:
      t:
        action: std.noop
actions:
  greet:
    base: std.echo
    base-input:
      output: "Hello, <% $.name %>"
    input: [name]
"""


def _create(app, text=WB, query=""):
    return app.post("/v2/workbooks" + query, text,
                    headers={"Content-Type": "text/plain"}, status=201).json


def test_create_returns_mistral_shape(app):
    wb = _create(app)
    assert set(wb) == FIELDS
    assert wb["name"] == "wb1"
    assert wb["namespace"] == ""
    assert wb["tags"] == ["t1"]
    assert wb["definition"] == WB
    assert DATETIME.match(wb["created_at"])
    assert app.get("/v2/workbooks/wb1").json == wb


def test_creates_workflows_and_actions_under_its_name(app):
    _create(app)
    names = [w["name"] for w in app.get("/v2/workflows").json["workflows"]]
    assert sorted(names) == ["wb1.helper", "wb1.main"]
    main = app.get("/v2/workflows/wb1.main").json
    assert main["input"] == "name"
    assert "hello:" in main["definition"]
    act = app.get("/v2/actions/wb1.greet").json
    assert act["input"] == "name"
    assert act["is_system"] is False


def test_local_references_point_at_full_names(app):
    from wfengine.db import definitions
    from wfengine.db import session
    _create(app)
    spec = session.reader(lambda s: definitions.get_workflow_definition(
        s, "wb1.main", fields=("spec",)).spec)
    tasks = {t["name"]: t for t in spec["tasks"]}
    assert spec["name"] == "wb1.main"
    assert tasks["hello"]["action"] == "wb1.greet"
    assert tasks["sub"]["workflow"] == "wb1.helper"


def test_update_replaces_definitions(app):
    _create(app)
    text = WB.replace("  helper:\n    tasks:\n      t:\n        action: "
                      "std.noop\n", "").replace("        on-success: [sub]\n"
                                                "      sub:\n        "
                                                "workflow: helper\n", "")
    wb = app.put("/v2/workbooks?scope=public", text).json
    assert wb["scope"] == "public"
    assert DATETIME.match(wb["updated_at"])
    names = [w["name"] for w in app.get("/v2/workflows").json["workflows"]]
    assert names == ["wb1.main"]
    assert app.get("/v2/workflows/wb1.main").json["scope"] == "public"


def test_delete_removes_its_definitions(app):
    _create(app)
    app.delete("/v2/workbooks/wb1", status=204)
    app.get("/v2/workbooks/wb1", status=404)
    assert app.get("/v2/workflows").json["workflows"] == []
    app.get("/v2/actions/wb1.greet", status=404)


def test_namespace(app):
    wb = _create(app, query="?namespace=ns1")
    assert wb["namespace"] == "ns1"
    app.get("/v2/workbooks/wb1", status=404)
    assert app.get("/v2/workbooks/wb1?namespace=ns1").json["id"] == wb["id"]
    assert app.get("/v2/workflows/wb1.main?namespace=ns1").json


def test_duplicate_is_409(app):
    _create(app)
    resp = app.post("/v2/workbooks", WB, status=409)
    assert "wb1" in resp.json["faultstring"]


def test_invalid_is_400_listing_problems(app):
    text = WB.replace("base: std.echo", "bass: std.echo").replace(
        "action: std.noop", "action: std.noop\n        on-success: [nowhere]")
    resp = app.post("/v2/workbooks", text, status=400)
    message = resp.json["faultstring"]
    assert "nowhere" in message
    assert "bass" in message


def test_validate(app):
    assert app.post("/v2/workbooks/validate", WB).json == {
        "valid": True, "error": None}
    body = app.post("/v2/workbooks/validate", "version: '2.0'\n").json
    assert body["valid"] is False
    assert "name" in body["error"]


def test_list(app):
    _create(app)
    listed = app.get("/v2/workbooks").json["workbooks"]
    assert [w["name"] for w in listed] == ["wb1"]
    assert "definition" not in listed[0]
