"""``/v2/environments``: JSON in, Mistral's Environment resources out."""
import json
import re

from wfengine.db import definitions
from wfengine.db import session

DATETIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
FIELDS = {"id", "name", "description", "variables", "scope", "project_id",
          "created_at", "updated_at"}


def _create(app, name="env1", variables=None, **extra):
    body = dict({"name": name, "description": "d",
                 "variables": json.dumps(variables or {"k": "v"})}, **extra)
    return app.post_json("/v2/environments", body, status=201).json


def test_create_returns_mistral_shape(app):
    env = _create(app, variables={"k": 1, "nested": {"a": [1]}})
    # As Mistral's: no updated_at in the answer to a creation.
    assert set(env) == FIELDS - {"updated_at"}
    assert env["name"] == "env1"
    assert json.loads(env["variables"]) == {"k": 1, "nested": {"a": [1]}}
    assert env["scope"] == "private"
    assert DATETIME.match(env["created_at"])
    assert app.get("/v2/environments/env1").json["updated_at"] is None


def test_variables_as_object_too(app):
    env = app.post_json("/v2/environments",
                        {"name": "e", "variables": {"x": 1}},
                        status=201).json
    assert json.loads(env["variables"]) == {"x": 1}


def test_get_list_update_delete(app):
    env = _create(app)
    assert app.get("/v2/environments/env1").json == dict(env,
                                                         updated_at=None)
    listed = app.get("/v2/environments").json["environments"]
    assert [e["name"] for e in listed] == ["env1"]
    updated = app.put_json("/v2/environments", {
        "name": "env1", "variables": '{"k": "w"}', "scope": "public"}).json
    assert json.loads(updated["variables"]) == {"k": "w"}
    assert updated["scope"] == "public"
    assert updated["description"] == "d"
    assert DATETIME.match(updated["updated_at"])
    app.delete("/v2/environments/env1", status=204)
    resp = app.get("/v2/environments/env1", status=404)
    assert "env1" in resp.json["faultstring"]


def test_duplicate_is_409(app):
    _create(app)
    resp = app.post_json("/v2/environments",
                         {"name": "env1", "variables": "{}"}, status=409)
    assert "env1" in resp.json["faultstring"]


def test_bad_bodies_are_400_naming_the_field(app):
    resp = app.post_json("/v2/environments", {"variables": "{}"}, status=400)
    assert "'name'" in resp.json["faultstring"]
    resp = app.post_json("/v2/environments", {"name": "x"}, status=400)
    assert "variables" in resp.json["faultstring"]
    resp = app.post_json("/v2/environments",
                         {"name": "x", "variables": "[1]"}, status=400)
    assert "variables" in resp.json["faultstring"]
    resp = app.post_json("/v2/environments",
                         {"name": "x", "variables": "{}", "bogus": 1},
                         status=400)
    assert "bogus" in resp.json["faultstring"]
    resp = app.post_json("/v2/environments", {
        "name": "x", "variables": "{}", "scope": "galaxy"}, status=400)
    assert resp.json["faultstring"] == \
        "Invalid scope (allowed: private, public)"  # not the value sent


def test_update_unknown_is_404(app):
    app.put_json("/v2/environments", {"name": "nope", "variables": "{}"},
                 status=404)


def test_get_by_name_for_the_engine(app):
    _create(app, variables={"secret": "s3"})
    variables = session.reader(
        lambda sess: definitions.get_environment_by_name(sess, "env1")
        .variables)
    assert variables == {"secret": "s3"}


def test_list_filters_updated_at(app):
    _create(app, "a")
    _create(app, "b")
    app.put_json("/v2/environments", {"name": "b", "description": "x"})
    body = app.get("/v2/environments?updated_at=gt:2000-01-01").json
    assert [e["name"] for e in body["environments"]] == ["b"]
