"""``/v2/workflows``: text in, Mistral's Workflow resources out."""
import re

from tests.unit.api import base as conftest

DATETIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
WORKFLOW_FIELDS = {"id", "name", "namespace", "input", "interface",
                   "definition", "tags", "scope", "project_id", "created_at",
                   "updated_at"}


def test_create_returns_mistral_shape(app):
    wfs = conftest.create_workflow(app)
    assert len(wfs) == 1
    wf = wfs[0]
    assert set(wf) == WORKFLOW_FIELDS
    assert wf["name"] == "wf1"
    assert wf["namespace"] == ""
    assert wf["input"] == 'name, greeting="hello"'
    assert wf["tags"] == ["a", "b"]
    assert wf["scope"] == "private"
    assert wf["definition"] == conftest.WF_TEXT
    assert DATETIME.match(wf["created_at"])
    assert wf["updated_at"] is None
    assert wf["interface"] == ('{"input": ["name", {"greeting": "hello"}], '
                               '"output": ["out"]}')


def test_create_several_cuts_each_definition(app):
    first, second = conftest.create_workflow(app, conftest.TWO_WFS)
    assert first["definition"].startswith("version: '2.0'")
    assert "first:" in first["definition"]
    assert "second:" not in first["definition"]
    assert "std.echo" in second["definition"]


def test_duplicate_name_is_409(app):
    conftest.create_workflow(app)
    resp = app.post("/v2/workflows", conftest.WF_TEXT,
                    headers={"Content-Type": "text/plain"}, status=409)
    assert "wf1" in resp.json["faultstring"]
    # Mistral answers a definition upload's refusal with the faultstring
    # alone (no faultcode, no debuginfo).
    assert sorted(resp.json) == ["faultstring"]


def test_same_name_in_other_namespace_is_fine(app):
    conftest.create_workflow(app)
    wf = conftest.create_workflow(app, namespace="ns1")[0]
    assert wf["namespace"] == "ns1"
    assert app.get("/v2/workflows/wf1?namespace=ns1").json["id"] == wf["id"]


def test_invalid_text_is_400_with_parser_message(app):
    resp = app.post("/v2/workflows", "version: '2.0'\nwf: {tasks: [",
                    headers={"Content-Type": "text/plain"}, status=400)
    assert resp.json["faultstring"].startswith("Invalid YAML")
    resp = app.post("/v2/workflows", "", status=400)
    assert "empty" in resp.json["faultstring"]


def test_invalid_scope_is_400(app):
    resp = app.post("/v2/workflows?scope=galaxy", conftest.WF_TEXT,
                    status=400)
    # The field and its allowed values, not the value sent.
    assert resp.json["faultstring"] == \
        "Invalid scope (allowed: private, public)"


def test_get_by_name_and_id(app):
    wf = conftest.create_workflow(app)[0]
    assert app.get("/v2/workflows/wf1").json == wf
    assert app.get("/v2/workflows/%s" % wf["id"]).json == wf


def test_get_unknown_is_404(app):
    resp = app.get("/v2/workflows/nope", status=404)
    assert "nope" in resp.json["faultstring"]


def test_dotted_names_are_not_file_extensions(app):
    text = conftest.WF_TEXT.replace("wf1:", "my.wf.json:")
    conftest.create_workflow(app, text)
    assert app.get("/v2/workflows/my.wf.json").json["name"] == "my.wf.json"


def test_list_hides_definition(app):
    conftest.create_workflow(app, conftest.TWO_WFS)
    wfs = app.get("/v2/workflows").json["workflows"]
    assert [w["name"] for w in wfs] == ["first", "second"]
    assert "definition" not in wfs[0]
    assert "next" not in app.get("/v2/workflows").json


def test_list_fields_and_filters(app):
    conftest.create_workflow(app, conftest.TWO_WFS)
    body = app.get("/v2/workflows?fields=name,definition&name=second").json
    assert len(body["workflows"]) == 1
    assert set(body["workflows"][0]) == {"id", "name", "definition"}


def test_delete(app):
    wf = conftest.create_workflow(app)[0]
    app.delete("/v2/workflows/%s" % wf["id"], status=204)
    app.get("/v2/workflows/wf1", status=404)
    app.delete("/v2/workflows/wf1", status=404)


def test_update_by_text(app):
    conftest.create_workflow(app)
    new_text = conftest.WF_TEXT.replace("std.noop", "std.echo")
    resp = app.put("/v2/workflows?scope=public", new_text,
                   headers={"Content-Type": "text/plain"})
    wf = resp.json["workflows"][0]
    assert wf["scope"] == "public"
    assert "std.echo" in wf["definition"]
    assert DATETIME.match(wf["updated_at"])


def test_an_update_with_the_same_text_changes_nothing(app):
    """As on Mistral: ``updated_at`` stays as it was (here: empty)."""
    conftest.create_workflow(app)
    for _ in range(2):
        wf = app.put("/v2/workflows", conftest.WF_TEXT, headers={
            "Content-Type": "text/plain"}).json["workflows"][0]
        assert wf["updated_at"] is None
    assert app.get("/v2/workflows/wf1").json["updated_at"] is None


def test_update_by_id_returns_one_workflow(app):
    wf = conftest.create_workflow(app)[0]
    resp = app.put("/v2/workflows/%s" % wf["id"], conftest.WF_TEXT)
    assert resp.json["id"] == wf["id"]


def test_update_unknown_is_404(app):
    app.put("/v2/workflows", conftest.WF_TEXT, status=404)


def test_validate(app):
    assert app.post("/v2/workflows/validate", conftest.WF_TEXT).json == {
        "valid": True, "error": None}
    body = app.post("/v2/workflows/validate", "version: '2.0'\nx: {}").json
    assert body["valid"] is False
    assert "tasks" in body["error"]


def test_body_too_large_is_413(db, engine_client, monkeypatch):
    import webtest
    from wfengine.api import app as api_app
    app = webtest.TestApp(api_app.setup_app(engine_client,
                                            max_request_body_size=1024))
    resp = app.post("/v2/workflows", "x" * 2000, status=413)
    assert "1024" in resp.json["faultstring"]


def test_interface_from_stored_spec_form():
    from wfengine.api import resources
    spec = {"input": [{"name": "a", "default": None, "has_default": False},
                      {"name": "b", "default": 1, "has_default": True}],
            "output": {"x": "<% $.x %>"}}
    assert resources.workflow_interface(spec) == (
        '{"input": ["a", {"b": 1}], "output": ["x"]}')
    assert resources.workflow_interface(None) == (
        '{"input": [], "output": []}')


def test_with_the_real_parser(db, engine_client):
    import pytest
    import webtest
    pytest.importorskip("wfengine.core.lang.parser")
    from wfengine.api import app as api_app
    app = webtest.TestApp(api_app.setup_app(engine_client))
    wf = conftest.create_workflow(app)[0]
    assert wf["input"] == 'name, greeting="hello"'
    assert wf["tags"] == ["a", "b"]
    resp = app.post("/v2/workflows", "version: '2.0'\nwf: [", status=400)
    assert resp.json["faultstring"]


def test_lists_show_tags_as_the_list_a_single_get_shows(app):
    # Mistral types ``tags`` as a list of strings in every answer; the
    # lists read JSON columns as text, which must not leak into tags.
    conftest.create_workflow(app)
    listed = app.get("/v2/workflows").json["workflows"][0]
    assert listed["tags"] == ["a", "b"]
    assert app.get("/v2/workflows?fields=tags").json["workflows"][0][
        "tags"] == ["a", "b"]
    assert app.get("/v2/workflows/wf1").json["tags"] == listed["tags"]


def test_tags_are_not_a_sort_key(app):
    # A JSON column has no order on PostgreSQL: a 400, never a 500.
    resp = app.get("/v2/workflows?sort_keys=tags", status=400)
    fault = resp.json["faultstring"]
    assert fault.startswith("Invalid sort key for workflows (allowed: ")
    assert "tags" not in fault
