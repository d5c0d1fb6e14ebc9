"""``/v2/actions``: built-in actions, ad-hoc actions as text."""
import json

from wfengine.api import builtin_actions

ADHOC = """---
version: '2.0'
greet:
  description: Says hello
  tags: [demo]
  base: std.echo
  base-input:
    output: "Hello, <% $.name %><% $.punctuation %>"
  input:
    - name
    - punctuation: "!"
"""

TWO = """---
version: '2.0'
a1:
  base: std.noop
a2:
  base: std.echo output=1
"""


def _create(app, text=ADHOC, query=""):
    resp = app.post("/v2/actions" + query, text,
                    headers={"Content-Type": "text/plain"}, status=201)
    return resp.json["actions"]


def test_builtin_actions_are_listed_with_input(app):
    actions = {a["name"]: a for a in app.get("/v2/actions").json["actions"]}
    assert {"std.echo", "std.noop", "std.fail"} <= set(actions)
    echo = actions["std.echo"]
    assert echo["is_system"] is True
    assert echo["input"] == "output, delay=0"    # as Mistral lists it
    assert echo["description"]
    assert "definition" not in echo
    shown = app.get("/v2/actions/std.echo").json
    assert shown["id"] == echo["id"]


def test_client_path_with_trailing_namespace(app):
    assert app.get("/v2/actions/std.noop/").json["name"] == "std.noop"


def test_create_adhoc(app):
    created = _create(app)
    assert len(created) == 1
    act = created[0]
    assert act["name"] == "greet"
    assert act["is_system"] is False
    assert act["input"] == "name, punctuation=!"
    assert act["description"] == "Says hello"
    assert act["tags"] == ["demo"]
    assert act["definition"] == ADHOC
    assert app.get("/v2/actions/greet").json == act


def test_create_several_cuts_definitions(app):
    first, second = _create(app, TWO)
    assert "a2" not in first["definition"]
    assert "output=1" in second["definition"]


def test_namespace(app):
    act = _create(app, query="?namespace=ns1")[0]
    assert act["namespace"] == "ns1"
    assert app.get("/v2/actions/greet/ns1").json["id"] == act["id"]
    assert app.get("/v2/actions/greet?namespace=ns1").json["id"] == act["id"]
    app.get("/v2/actions/greet", status=404)
    listed = app.get("/v2/actions?namespace=ns1").json["actions"]
    assert [a["name"] for a in listed] == ["greet"]


def test_duplicate_is_409(app):
    _create(app)
    app.post("/v2/actions", ADHOC, status=409)


def test_invalid_is_400_with_every_problem(app):
    resp = app.post("/v2/actions", "version: '2.0'\nx: {foo: 1}",
                    status=400)
    text = resp.json["faultstring"]
    assert "foo" in text and "base" in text


def test_update(app):
    _create(app)
    resp = app.put("/v2/actions?scope=public",
                   ADHOC.replace("Says hello", "Greets"))
    act = resp.json["actions"][0]
    assert act["description"] == "Greets"
    assert act["scope"] == "public"
    assert act["updated_at"]


def test_system_actions_cannot_change(app):
    # A delete is Mistral's 404: no ad-hoc action of that name exists.
    resp = app.delete("/v2/actions/std.echo", status=404)
    assert resp.json["faultstring"].startswith(
        "Action definition not found [action_name=std.echo]")
    assert "system action" in resp.json["faultstring"]
    assert resp.json["faultcode"] == "Client"
    text = "version: '2.0'\nstd.echo:\n  base: std.noop\n"
    app.put("/v2/actions", text, status=400)


def test_delete(app):
    _create(app)
    app.delete("/v2/actions/greet", status=204)
    app.get("/v2/actions/greet", status=404)
    app.delete("/v2/actions/greet/", status=404)


def test_validate(app):
    assert app.post("/v2/actions/validate", ADHOC).json == {
        "valid": True, "error": None}
    body = app.post("/v2/actions/validate", "version: '2.0'\nx: {}").json
    assert body["valid"] is False
    assert "base" in body["error"]


def test_filter_is_system(app):
    _create(app)
    adhoc = app.get("/v2/actions?is_system=false").json["actions"]
    assert [a["name"] for a in adhoc] == ["greet"]
    assert json.dumps(adhoc)


class _Sample:
    """Doc line.

    More.
    """

    def __init__(self, a, b=1, c="x", d=None, *rest, e=True, **kw):
        pass


def test_input_signature_is_mistral_style():
    assert builtin_actions.input_signature(_Sample) == (
        'a, b=1, c="x", d=null, *rest, e=true, **kw')
    assert builtin_actions.description(_Sample) == "Doc line."

    class Bare:
        pass
    assert builtin_actions.input_signature(Bare) == ""


def test_sync_survives_broken_plugins(app, monkeypatch):
    from wfengine.actions import loader
    from wfengine.api.controllers.v2 import actions
    app.get("/v2/actions")
    real = loader.get_action_class

    def flaky(name):
        if name == "std.fail":
            raise ImportError("missing dependency")
        return real(name)
    monkeypatch.setattr(loader, "get_action_class", flaky)
    monkeypatch.setattr(actions, "_synced", set())
    names = [a["name"] for a in app.get("/v2/actions").json["actions"]]
    assert "std.fail" not in names
    assert "std.echo" in names
