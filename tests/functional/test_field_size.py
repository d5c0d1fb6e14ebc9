"""The size limit of stored fields against a real embedded server.

``[engine] execution_field_size_limit_kb`` is 1 here. Each stored field
that goes over it (an action's result and input, a task's published
variables, a workflow's output, an asynchronous action's output sent to
``PUT /v2/action_executions/<id>``, the input of a start request) fails
its action and task (or its request with 400), with a message that starts
with Mistral's words ("Field size limit exceeded") and names the option;
the value is stored nowhere. The limit counts bytes of the stored JSON:
200 "é" are 200 characters but 1,202 bytes, over 1 KiB.
"""
import pytest

from tests.functional import harness

pytestmark = pytest.mark.timeout(180)

OPTION = "execution_field_size_limit_kb"

WORKFLOWS = """\
version: '2.0'
fs_result:
  tasks:
    big:
      action: std.test_dict size=200 key_prefix=key- val=accentué
fs_input:
  tasks:
    big:
      action: std.echo
      input:
        output: <%% 'x' %%>
        padding: %s
fs_publish:
  tasks:
    small:
      action: std.echo output=1
      publish:
        accents: %s
fs_publish_fits:
  tasks:
    small:
      action: std.echo output=1
      publish:
        text: %s
fs_output:
  output:
    accents: %s
  tasks:
    small:
      action: std.noop
fs_async:
  tasks:
    waiting:
      action: std.async_noop
""" % ("y" * 2000, "é" * 200, "x" * 1000, "é" * 200)


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    deployment = harness.Deployment(
        tmp_path_factory.mktemp("field-size"),
        config={"engine": {OPTION: "1"}})
    with harness.running(deployment, ["all"]):
        deployment.api.request(
            "POST", "/workflows", expect=(201,), data=WORKFLOWS.encode(),
            headers={"Content-Type": "text/plain"})
        yield deployment


def _failed(api, name):
    ex = harness.start_execution(api, name)
    return harness.wait_execution_state(api, ex["id"], "ERROR")


def _assert_names_the_limit(text):
    assert text.count("Field size limit exceeded") >= 1, text
    assert OPTION in text, text
    assert "xxxxxxxxxx" not in text and "éééééé" not in text


@pytest.mark.parametrize("name, field", [
    ("fs_result", "result of the action execution"),
    ("fs_input", "input of the action execution"),
    ("fs_publish", "published variables of the task"),
])
def test_a_task_whose_field_is_over_the_limit_fails(limited, name, field):
    api = limited.api
    ex = _failed(api, name)
    [task] = api.tasks(ex["id"])
    assert task["state"] == "ERROR"
    _assert_names_the_limit(task["state_info"])
    assert field in task["state_info"]
    assert harness.loads_field(task["published"]) in ({}, None)
    _assert_names_the_limit(ex["state_info"])


def test_a_value_within_the_limit_in_bytes_is_stored(limited):
    api = limited.api
    ex = harness.start_execution(api, "fs_publish_fits")
    harness.wait_execution_state(api, ex["id"], "SUCCESS")
    [task] = api.tasks(ex["id"])
    assert harness.loads_field(task["published"]) == {"text": "x" * 1000}


def test_a_workflow_output_over_the_limit_fails_the_execution(limited):
    ex = _failed(limited.api, "fs_output")
    _assert_names_the_limit(ex["state_info"])
    assert "output of the workflow execution" in ex["state_info"]
    assert "é" not in str(ex["output"])


def test_input_over_the_limit_is_a_400(limited):
    response = limited.api.request(
        "POST", "/executions", expect=(400,),
        json={"workflow_name": "fs_publish", "input": {"v": "é" * 200}})
    _assert_names_the_limit(response.json()["faultstring"])


def _complete_async(api, output):
    """Start fs_async, complete its action with ``output``: (execution,
    action execution, the PUT's answer)."""
    ex = harness.start_execution(api, "fs_async")
    task = harness.task_named(api, ex["id"], "waiting", timeout=30)
    [action] = harness.wait_until(
        lambda: api.action_executions(task["id"]), 30, "the action")
    answer = api.request(
        "PUT", "/action_executions/%s" % action["id"], expect=(200,),
        json={"state": "SUCCESS", "output": output})
    return ex, action, answer


def test_an_async_output_over_the_limit_fails_the_action_and_task(limited):
    api = limited.api
    ex, action, answer = _complete_async(api, {"big": "é" * 200})
    # Answered as Mistral does: 200 with the action execution, failed.
    assert answer.json()["state"] == "ERROR"
    _assert_names_the_limit(answer.json()["state_info"])
    ex = harness.wait_execution_state(api, ex["id"], "ERROR")
    [task] = api.tasks(ex["id"])
    assert task["state"] == "ERROR"
    _assert_names_the_limit(task["state_info"])
    action = api.get("/action_executions/%s" % action["id"])
    assert action["state"] == "ERROR"
    _assert_names_the_limit(str(action["output"]))
    # A second completion finds it finished: 409, as for any late result.
    api.request("PUT", "/action_executions/%s" % action["id"],
                expect=(409,), json={"state": "SUCCESS", "output": {}})


def test_an_async_completion_over_the_body_limit_fails_the_action(
        tmp_path):
    # A body over [api] max_request_body_size is not read: the action
    # fails all the same instead of staying RUNNING.
    deployment = harness.Deployment(
        tmp_path, config={"api": {"max_request_body_size": "4096"}})
    with harness.running(deployment, ["all"]):
        api = deployment.api
        api.request("POST", "/workflows", expect=(201,),
                    data=WORKFLOWS[WORKFLOWS.index("fs_async:"):].join(
                        ["version: '2.0'\n", ""]).encode(),
                    headers={"Content-Type": "text/plain"})
        ex, _action, answer = _complete_async(api, "x" * 10000)
        assert answer.json()["state"] == "ERROR"
        info = answer.json()["state_info"]
        assert info.startswith("Field size limit exceeded")
        assert "max_request_body_size" in info
        harness.wait_execution_state(api, ex["id"], "ERROR")
        # Any other request over the body limit is still a 413.
        api.request("POST", "/executions", expect=(413,),
                    json={"workflow_name": "fs_async",
                          "input": {"x": "x" * 10000}})
