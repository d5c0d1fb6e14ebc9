"""WSME as the API's type layer: the declarations, the controllers exposed
through them, WSME's refusals as the API's 400s, and the document."""
import json

import pytest
from wsme import types as wtypes

from wfengine.api.controllers import root as api_root
from wfengine.api.controllers.v2 import root
from wfengine.api import listener_resources
from wfengine.api import openapi
from wfengine.api import resources
from wfengine.api import wstypes
from wfengine.db import definitions
from wfengine.db import session

TYPED = ((resources.WORKFLOW, wstypes.Workflow),
         (resources.EXECUTION, wstypes.Execution),
         (resources.TASK, wstypes.Task),
         (resources.ACTION_EXECUTION, wstypes.ActionExecution),
         (resources.ENVIRONMENT, wstypes.Environment),
         (resources.ACTION, wstypes.Action),
         (resources.WORKBOOK, wstypes.Workbook),
         (resources.CRON_TRIGGER, wstypes.CronTrigger),
         (resources.EVENT_TRIGGER, wstypes.EventTrigger),
         (listener_resources.LISTENER, wstypes.Listener))
HANDLERS = ("get_one", "get_all", "post", "put", "delete", "validate")


def _names(datatype):
    return [a.name for a in wtypes.list_attributes(datatype)]


@pytest.mark.parametrize("spec, datatype", TYPED,
                         ids=[t[1].__name__ for t in TYPED])
def test_each_type_declares_its_resource_fields_in_mistral_order(
        spec, datatype):
    extra = {wstypes.Listener: ["secret"],
             wstypes.Execution: ["published_global"]}.get(datatype, [])
    assert _names(datatype) == spec.names() + extra
    listed = getattr(wstypes, datatype.__name__ + "s")
    assert _names(listed) == [spec.collection, "next"]


def _controllers(node, seen):
    for name in dir(node):
        child = getattr(node, name, None)
        if name.startswith("_") or child is None or id(child) in seen:
            continue
        if type(child).__module__.startswith("wfengine.api.controllers"):
            seen.add(id(child))
            yield child
            yield from _controllers(child, seen)


def test_every_resource_method_is_exposed_through_wsme():
    exposed = 0
    for controller in _controllers(root.V2Controller(), set()):
        for name in HANDLERS:
            method = getattr(type(controller), name, None)
            if method is None:
                continue
            assert hasattr(method, "_wsme_definition"), (controller, name)
            exposed += 1
    assert exposed >= 35
    for index in (api_root.RootController.index, root.V2Controller.index,
                  root.OpenApiController.index):
        assert hasattr(index, "_wsme_definition"), index


@pytest.mark.parametrize("body, words", [
    ({"name": "e", "variables": "{}", "description": 5},
     ["'description'", "must be a string"]),
    ({"name": "e", "variables": "{}", "scope": ["private"]},
     ["'scope'", "must be a string"]),
    ({"name": "e", "variables": 7}, ["'variables'", "JSON object"]),
    ({"name": "e", "variables": "{}", "colour": "x", "size": 1},
     ["Unknown field(s) in environment: colour, size", "allowed:"]),
])
def test_wsme_refusals_are_400s_in_mistrals_shape(app, body, words):
    resp = app.post_json("/v2/environments", body, status=400)
    assert set(resp.json) == {"faultcode", "faultstring", "debuginfo"}
    assert resp.json["faultcode"] == "Client"
    assert resp.json["debuginfo"] is None
    for word in words:
        assert word in resp.json["faultstring"]


def test_a_refusal_names_the_field_not_the_value(app):
    resp = app.post_json("/v2/executions",
                         {"workflow_name": 12345},
                         status=400)
    assert "'workflow_name' must be a string" in resp.json["faultstring"]
    assert "12345" not in resp.json["faultstring"]


def test_boolean_fields_take_no_other_json_type(app):
    resp = app.post_json("/v2/listeners",
                         {"url": "https://example.com/h", "enabled": 1},
                         status=400)
    assert "'enabled' must be true or false" in resp.json["faultstring"]


def test_a_delete_answers_204_without_a_body(app):
    app.post_json("/v2/environments", {"name": "e", "variables": "{}"},
                  status=201)
    resp = app.delete("/v2/environments/e", status=204)
    assert resp.body == b""


def test_document_bodies_are_the_body_types():
    doc = openapi.document()
    for path, datatype in (("/v2/executions", wstypes.ExecutionCreate),
                           ("/v2/environments", wstypes.EnvironmentBody),
                           ("/v2/cron_triggers", wstypes.CronTriggerCreate)):
        schema = doc["paths"][path]["post"]["requestBody"]["content"][
            "application/json"]["schema"]
        assert list(schema["properties"]) == list(datatype._allowed)
        assert schema.get("required", []) == list(datatype._required)
    env = doc["paths"]["/v2/environments"]["post"]["requestBody"]
    scope = env["content"]["application/json"]["schema"]["properties"][
        "scope"]
    assert scope["enum"] == list(resources.SCOPES)


def test_document_answers_are_the_declared_return_types():
    doc = openapi.document()
    schemas = doc["components"]["schemas"]
    assert list(schemas["Execution"]["properties"]) == \
        resources.EXECUTION.names() + ["published_global"]
    assert schemas["Task"]["properties"]["processed"] == {
        "type": "boolean", "nullable": True}
    assert schemas["Executions"]["required"] == ["executions"]
    created = doc["paths"]["/v2/executions"]["post"]["responses"]
    assert created["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Execution"}
    json.dumps(doc)  # serialisable as served


def _environment_row(sess, name):
    return resources.ENVIRONMENT.to_dict(definitions.get_environment(
        sess, name))


def test_wsme_rendering_is_byte_for_byte_the_resource_dict(app):
    app.post_json("/v2/environments",
                  {"name": "e", "variables": {"b": 1, "a": [None]},
                   "description": "d\u00e9"}, status=201)
    resp = app.get("/v2/environments/e")
    expected = json.dumps(session.reader(_environment_row, "e"))
    assert resp.body == expected.encode("utf-8")
