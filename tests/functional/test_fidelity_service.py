"""Mistral 23.0.0 behaviours matched in the engine service (issue 16).

keep-result: false on a with-items task: the task's publish reads its
items' results, and once the task ended none of them is kept in its action
executions. Nested ad-hoc actions: every layer's output applies. A
reverse sub-workflow takes its target from task_name; a computed workflow
name is found within the caller's workbook.
"""
import pytest

from tests.functional import harness

pytestmark = pytest.mark.timeout(60)

WF = """\
version: '2.0'
kr_items_forgotten:
  output:
    r: <% $.r %>
  tasks:
    t:
      with-items: x in <% [1, 2, 3] %>
      action: std.echo output=<% "kept-" + str($.x) %>
      keep-result: false
      publish:
        r: <% task().result %>
"""


def test_items_publish_their_results_then_forget_them(embedded_http):
    api = embedded_http.api
    api.create_workflow(WF)
    ex = harness.start_execution(api, "kr_items_forgotten")
    ex = harness.wait_execution_state(api, ex["id"], "SUCCESS", 30)
    assert harness.loads_field(ex["output"]) == {
        "r": ["kept-1", "kept-2", "kept-3"]}
    task = harness.tasks_by_name(api, ex["id"])["t"][0]
    actions = api.action_executions(task["id"])
    assert len(actions) == 3
    assert all(a["state"] == "SUCCESS" for a in actions)
    outputs = [harness.loads_field(
        api.get("/action_executions/%s" % a["id"])["output"])
        for a in actions]
    assert outputs == [{"result": None}] * 3


ACTIONS = """\
version: '2.0'
fs_inner:
  base: std.echo
  base-input:
    output: <% $.v %>
  input: [v]
  output: <% $ * 2 %>
fs_middle:
  base: fs_inner
  base-input:
    v: <% $.w %>
  input: [w]
fs_outer:
  base: fs_middle
  base-input:
    w: <% $.u %>
  input: [u]
  output: <% $ + 1 %>
"""

NESTED_WF = """\
version: '2.0'
fs_nested_adhoc:
  output:
    r: <% $.r %>
  tasks:
    t:
      action: fs_outer u=5
      publish:
        r: <% task().result %>
"""


def test_every_layer_of_nested_adhoc_actions_applies_its_output(
        embedded_http):
    api = embedded_http.api
    api.request("POST", "/actions", expect=(201,), data=ACTIONS.encode(),
                headers={"Content-Type": "text/plain"})
    api.create_workflow(NESTED_WF)
    ex = harness.start_execution(api, "fs_nested_adhoc")
    ex = harness.wait_execution_state(api, ex["id"], "SUCCESS", 30)
    # std.echo gives 5; the inner layer doubles it, the middle one has no
    # output, the outer one adds 1.
    assert harness.loads_field(ex["output"]) == {"r": 11}


REVERSE_WF = """\
version: '2.0'
fs_rev_parent:
  output:
    r: <% $.r %>
  tasks:
    call:
      workflow: fs_rev_child
      input:
        task_name: second
      publish:
        r: <% task().result %>
fs_rev_child:
  type: reverse
  output:
    done: true
  tasks:
    first:
      action: std.noop
    second:
      action: std.noop
      requires: [first]
    unrelated:
      action: std.noop
"""


def test_a_reverse_subworkflow_takes_its_target_from_task_name(
        embedded_http):
    api = embedded_http.api
    api.create_workflow(REVERSE_WF)
    ex = harness.start_execution(api, "fs_rev_parent")
    ex = harness.wait_execution_state(api, ex["id"], "SUCCESS", 30)
    assert harness.loads_field(ex["output"]) == {"r": {"done": True}}
    call = harness.tasks_by_name(api, ex["id"])["call"][0]
    child = api.get("/executions", task_execution_id=call["id"])[
        "executions"][0]
    assert harness.loads_field(child["params"])["task_name"] == "second"
    assert harness.loads_field(child["input"]) == {}
    assert sorted(harness.tasks_by_name(api, child["id"])) == [
        "first", "second"]


WORKBOOK = """\
version: '2.0'
name: fs_wb_dyn
workflows:
  main:
    input:
      - which: helper
    output:
      r: <% $.r %>
    tasks:
      call:
        workflow: <% $.which %>
        publish:
          r: <% task().result.v %>
  helper:
    output:
      v: 42
    tasks:
      t:
        action: std.noop
"""


def test_a_computed_workflow_name_is_found_within_the_workbook(
        embedded_http):
    api = embedded_http.api
    api.request("POST", "/workbooks", expect=(201,),
                data=WORKBOOK.encode(),
                headers={"Content-Type": "text/plain"})
    ex = harness.start_execution(api, "fs_wb_dyn.main")
    ex = harness.wait_execution_state(api, ex["id"], "SUCCESS", 30)
    assert harness.loads_field(ex["output"]) == {"r": 42}

    missing = harness.start_execution(api, "fs_wb_dyn.main",
                                      wf_input={"which": "nowhere"})
    missing = harness.wait_execution_state(api, missing["id"], "ERROR", 30)
    call = harness.tasks_by_name(api, missing["id"])["call"][0]
    assert call["state_info"].startswith("Can not start sub-workflow")
    assert "nowhere" in call["state_info"]
