"""Malformed and oversized client input: a 400 in Mistral's shape, never
a 500 (DESIGN.md rule 9)."""
import json

import pytest

from wfengine import conf
from wfengine.conf import limits as conf_limits
from wfengine.db import models
from tests.unit.api import base


def _fault(response, code):
    assert response.status_int == code, response.text
    body = response.json
    assert body["debuginfo"] is None
    assert body["faultstring"]
    return body["faultstring"]


def test_deeply_nested_json_body_is_a_400(app):
    body = '{"workflow_name": "wf", "input": %s}' % (
        "[" * 100000 + "]" * 100000)
    response = app.post("/v2/executions", body,
                        content_type="application/json", expect_errors=True)
    assert "nests deeper than 64 levels" in _fault(response, 400)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_in_input_are_a_400(app, constant):
    body = '{"workflow_name": "wf", "input": {"x": %s}}' % constant
    response = app.post("/v2/executions", body,
                        content_type="application/json", expect_errors=True)
    assert "not a JSON number" in _fault(response, 400)


def test_non_finite_numbers_in_string_input_are_a_400(app):
    body = json.dumps({"workflow_name": "wf", "input": '{"x": NaN}'})
    response = app.post("/v2/executions", body,
                        content_type="application/json", expect_errors=True)
    assert "not a JSON number" in _fault(response, 400)


def test_a_limit_of_thirty_digits_is_lowered_to_the_maximum(app):
    response = app.get("/v2/executions", {"limit": "9" * 30})
    assert response.status_int == 200


@pytest.mark.parametrize("limit", ["abc", "-1", "0", "1e3", "١٢", "1.5"])
def test_a_malformed_limit_is_a_400(app, limit):
    response = app.get("/v2/executions", {"limit": limit},
                       expect_errors=True)
    fault = _fault(response, 400)
    assert "Invalid limit: must be a positive integer" in fault
    assert "'%s'" % limit not in fault and limit + ":" not in fault


@pytest.mark.parametrize("path", ["/v2/executions/%ff%fe",
                                  "/v2/workflows/%ff",
                                  "/v2/%ff%fe/x"])
def test_a_path_that_is_not_utf8_is_a_400(app, path):
    response = app.get(path, expect_errors=True)
    assert "UTF-8" in _fault(response, 400)


@pytest.mark.parametrize("query", ["token=%C3%A9t%C3%A9", "token=a&token=b"])
def test_a_callback_token_not_ascii_or_given_twice_is_a_403(app, query):
    """Refused as a credential (issue 18: a malformed token is a 403),
    never a 500."""
    response = app.put("/v2/action_executions/some-id?" + query,
                       json.dumps({"state": "SUCCESS", "output": 1}),
                       content_type="application/json", expect_errors=True)
    assert "Malformed callback token" in _fault(response, 403)


def test_a_list_without_limit_has_a_default_page_and_a_next_link(app):
    for index in range(3):
        app.post("/v2/environments", json.dumps(
            {"name": "env-%d" % index, "variables": {}}),
            content_type="application/json")
    first = app.get("/v2/environments", {"limit": 2}).json
    assert len(first["environments"]) == 2
    assert "limit=2" in first["next"] and "marker=" in first["next"]
    rest = app.get("/v2/environments" + first["next"].split(
        "/v2/environments", 1)[1]).json
    assert [e["name"] for e in rest["environments"]] == ["env-2"]
    assert "next" not in rest


@pytest.fixture
def field_limit_kb():
    conf.CONF.set_override("execution_field_size_limit_kb", 1,
                           group="engine")
    conf_limits.apply(conf.CONF)
    yield
    conf.CONF.clear_override("execution_field_size_limit_kb", group="engine")
    conf_limits.apply(conf.CONF)


@pytest.mark.parametrize("field", ["input", "params"])
def test_input_or_params_over_the_field_limit_are_a_400(app, field_limit_kb,
                                                        field):
    body = {"workflow_name": "wf", field: {"big": "x" * 2000}}
    response = app.post("/v2/executions", json.dumps(body),
                        content_type="application/json", expect_errors=True)
    message = _fault(response, 400)
    assert message.startswith("Field size limit exceeded: field %r" % field)
    assert "execution_field_size_limit_kb" in message


def test_an_async_result_over_the_field_limit_fails_the_action(
        app, engine_client, field_limit_kb):
    # As the executor fails a result over the limit, and as Mistral: the
    # completion becomes a failure naming the limit (the engine then
    # fails the task); the output itself goes nowhere.
    base.add_rows(models.ActionExecution(
        id="act-big", name="std.async_noop", state="RUNNING", input={},
        params={}))
    completions = []
    engine_client.complete_action = \
        lambda action_ex_id, **kw: completions.append((action_ex_id, kw))
    response = app.put("/v2/action_executions/act-big",
                       json.dumps({"state": "SUCCESS", "output": "x" * 2000}),
                       content_type="application/json")
    assert response.status_int == 200
    [(action_ex_id, completion)] = completions
    assert action_ex_id == "act-big"
    assert completion["state"] == "ERROR"
    assert completion["output"] == completion["state_info"]
    assert completion["state_info"].startswith("Field size limit exceeded")
    assert "execution_field_size_limit_kb" in completion["state_info"]
