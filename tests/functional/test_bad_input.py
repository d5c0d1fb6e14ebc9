"""Bad requests over HTTP: a clear 4xx with a Mistral error body, and
nothing half-created afterwards."""
import json
import re

import pytest

pytestmark = pytest.mark.timeout(120)

WF = """\
version: '2.0'
needs_input:
  input:
    - required_arg
    - optional_arg: 1
  tasks:
    only:
      action: std.noop
"""


@pytest.fixture(scope="module")
def api(embedded):
    embedded.api.create_workflow(WF)
    return embedded.api


@pytest.fixture
def unchanged(api):
    """Assert after the test that no workflow or execution appeared."""
    before = (_workflow_names(api), _execution_ids(api))
    yield
    assert (_workflow_names(api), _execution_ids(api)) == before


def _workflow_names(api):
    return sorted(wf["name"] for wf in api.list_workflows())


def _execution_ids(api):
    return sorted(ex["id"] for ex in api.list_executions(fields="id"))


def assert_fault(resp, statuses, *patterns):
    """``resp`` is one of ``statuses`` with a Mistral error body whose
    faultstring matches every regex in ``patterns`` (case-insensitive)."""
    assert resp.status_code in statuses, (resp.status_code, resp.text)
    try:
        body = resp.json()
    except ValueError:
        pytest.fail("error body is not JSON: %r" % resp.text[:500])
    # Mistral's shapes: faultstring alone for a definition upload, with
    # faultcode and debuginfo (null) otherwise.
    assert "faultstring" in body and body.get("debuginfo") is None, body
    fault = body["faultstring"]
    assert isinstance(fault, str) and fault, body
    for pattern in patterns:
        assert re.search(pattern, fault, re.IGNORECASE), (pattern, fault)


def post_workflow(api, text):
    return api.request("POST", "/workflows", expect=None, data=text.encode(),
                       headers={"Content-Type": "text/plain"})


def post_execution(api, body):
    raw = body if isinstance(body, str) else json.dumps(body)
    return api.request("POST", "/executions", expect=None, data=raw,
                       headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("text, patterns", [
    pytest.param("version: '2.0'\nbroken: [unclosed\n",
                 [r"yaml|pars|definition"], id="invalid-yaml"),
    pytest.param("version: '2.0'\nno_tasks_here:\n  type: direct\n"
                 "  tasks: 12\n",
                 [r"tasks"], id="tasks-not-a-mapping"),
    pytest.param("version: '2.0'\nbad_target:\n  tasks:\n"
                 "    a:\n      action: std.noop\n"
                 "      on-success: [ghost]\n",
                 [r"ghost"], id="transition-to-unknown-task"),
    pytest.param("version: '2.0'\nbad_expr:\n  tasks:\n"
                 "    a:\n      action: std.echo output=<% $.( %>\n",
                 [r"expression|yaql|<%"], id="invalid-yaql"),
])
def test_invalid_workflow_definition(api, unchanged, text, patterns):
    assert_fault(post_workflow(api, text), (400,), *patterns)


@pytest.mark.parametrize("body, statuses, patterns", [
    pytest.param({"workflow_name": "no_such_workflow"}, (400, 404),
                 [r"no_such_workflow"], id="unknown-workflow"),
    pytest.param({"workflow_name": "needs_input",
                  "workflow_namespace": "elsewhere",
                  "input": {"required_arg": 1}}, (400, 404),
                 [r"needs_input", r"namespace=elsewhere"],
                 id="workflow-not-in-that-namespace"),
    pytest.param({"workflow_name": "needs_input", "input": "{not json"},
                 (400,), [r"json|input"], id="malformed-input-json"),
    pytest.param({"workflow_name": "needs_input", "input": "[1, 2]"},
                 (400,), [r"input"], id="input-not-an-object"),
    pytest.param({"workflow_name": "needs_input", "input": "{}"},
                 (400,), [r"required_arg"], id="missing-required-input"),
    pytest.param({"workflow_name": "needs_input",
                  "input": json.dumps({"required_arg": 1, "stray": 2})},
                 (400,), [r"stray"], id="unexpected-input"),
    pytest.param({"workflow_name": "needs_input",
                  "input": json.dumps({"required_arg": 1}),
                  "no_such_field": True},
                 (400,), [r"no_such_field"], id="unknown-body-field"),
    pytest.param("{\"workflow_name\": ", (400,), [r"."],
                 id="malformed-body-json"),
])
def test_invalid_execution_request(api, unchanged, body, statuses, patterns):
    assert_fault(post_execution(api, body), statuses, *patterns)


@pytest.mark.parametrize("path", [
    "/executions/00000000-0000-4000-8000-000000000000",
    "/executions/not-a-uuid",
    "/tasks/00000000-0000-4000-8000-000000000000",
    "/workflows/no_such_workflow",
])
def test_unknown_resource_is_404(api, path):
    resp = api.request("GET", path, expect=None)
    assert_fault(resp, (404,))


def test_valid_request_still_works_after_errors(api):
    """The error paths leave the server serving: a good request succeeds."""
    ex = api.start("needs_input", {"required_arg": "x"})
    done = api.wait_all([ex["id"]], timeout=30)[ex["id"]]
    assert done["state"] == "SUCCESS", done.get("state_info")
    assert json.loads(done["input"]) == {"required_arg": "x",
                                         "optional_arg": 1}
