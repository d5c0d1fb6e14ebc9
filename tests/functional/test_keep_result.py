"""keep-result: false on a with-items task, through the real service.

The task's publish reads its items' results (as in Mistral 23.0.0), and
once the task ended none of them is kept in its action executions.
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
