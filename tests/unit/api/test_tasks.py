"""``/v2/tasks`` and ``/v2/action_executions``: shapes, results, lists."""
import json

import pytest

from tests.unit.api import base
from wfengine.db import models

WF_EX = "11111111-1111-1111-1111-111111111111"
TASK_FIELDS = {
    "id", "name", "type", "workflow_name", "workflow_namespace",
    "workflow_id", "workflow_execution_id", "tags", "state", "state_info",
    "project_id", "runtime_context", "result", "published", "processed",
    "created_at", "updated_at", "started_at", "finished_at"}
ACTION_FIELDS = {
    "id", "workflow_name", "workflow_namespace", "workflow_execution_id",
    "task_name", "task_execution_id", "state", "state_info", "tags", "name",
    "description", "project_id", "accepted", "input", "output",
    "created_at", "updated_at", "params"}


def _task(task_id, name, **values):
    return models.TaskExecution(
        id=task_id, name=name, workflow_execution_id=WF_EX,
        workflow_name="wf1", state=values.pop("state", "SUCCESS"),
        published=values.pop("published", {"x": 1}),
        runtime_context=values.pop("runtime_context", {}), **values)


def _action(action_id, task_id, result, accepted=True, params=None,
            **values):
    return models.ActionExecution(
        id=action_id, name="std.echo", task_execution_id=task_id,
        workflow_execution_id=WF_EX, task_name="t", workflow_name="wf1",
        state="SUCCESS", accepted=accepted, input={"output": result},
        output={"result": result}, params=params or {}, **values)


@pytest.fixture
def rows(db):
    base.add_rows(
        models.WorkflowExecution(id=WF_EX, name="wf1", state="RUNNING"),
        _task("t1", "one"),
        _task("t2", "many", runtime_context={"with_items": {"count": 2}},
              state="RUNNING"),
        _task("t3", "waiting", state="WAITING", published=None),
        _action("a1", "t1", "hello"),
        # Items as the engine writes them: index and dispatch generation.
        _action("a2", "t2", 1, params={"index": 0, "gen": 1}),
        _action("a3", "t2", 2, params={"index": 1, "gen": 1}),
        _action("a4", "t2", 3, accepted=False,
                params={"index": 2, "gen": 1}))


def test_get_task_shape_and_result(app, rows):
    task = app.get("/v2/tasks/t1").json
    assert set(task) == TASK_FIELDS
    assert task["result"] == '"hello"'
    assert task["published"] == '{"x": 1}'
    assert task["runtime_context"] == "{}"
    assert task["processed"] is False
    assert task["started_at"] is None
    assert task["workflow_execution_id"] == WF_EX


def test_with_items_result_is_a_list(app, rows):
    assert json.loads(app.get("/v2/tasks/t2").json["result"]) == [1, 2]


def test_a_retried_task_shows_its_last_result(app, rows):
    base.add_rows(_task("t4", "retried"),
                  _action("a5", "t4", "first try failed"),
                  _action("a6", "t4", "second try"))
    assert json.loads(app.get("/v2/tasks/t4").json["result"]) == \
        "second try"


def test_with_items_shows_the_latest_run_of_each_item(app, rows):
    base.add_rows(
        _task("t5", "rerun", runtime_context={"with_items": {"count": 2}}),
        _action("a7", "t5", "old 0", params={"index": 0, "gen": 1}),
        _action("a8", "t5", "new 1", params={"index": 1, "gen": 2}),
        _action("a9", "t5", "new 0", params={"index": 0, "gen": 2}),
        _action("b1", "t5", "again 1", params={"index": 1, "gen": 2}))
    assert json.loads(app.get("/v2/tasks/t5").json["result"]) == [
        "new 0", "again 1"]


def test_task_without_action_has_empty_list_result(app, rows):
    """Mistral shows ``[]`` for a task that has no result (yet)."""
    task = app.get("/v2/tasks/t3").json
    assert task["result"] == "[]"
    assert task["published"] is None


def test_unknown_task_is_404(app, rows):
    resp = app.get("/v2/tasks/nope", status=404)
    assert "nope" in resp.json["faultstring"]


def test_a_rerun_of_an_unknown_task_is_404_whatever_the_body(app, rows):
    # Mistral looks the task up first: a body it would refuse (no
    # ``reset``) does not turn the 404 into a 400.
    missing = "00000000-0000-4000-8000-000000000000"
    resp = app.put_json("/v2/tasks/" + missing, {"state": "RUNNING"},
                        status=404)
    assert resp.json["faultstring"].startswith("Task execution not found")
    assert set(resp.json) == {"faultcode", "faultstring", "debuginfo"}


def test_list_tasks_of_execution(app, rows):
    body = app.get("/v2/tasks?workflow_execution_id=%s" % WF_EX).json
    assert [t["name"] for t in body["tasks"]] == ["one", "many", "waiting"]
    assert set(body["tasks"][0]) == TASK_FIELDS - {"runtime_context"}
    assert [t["result"] for t in body["tasks"]] == ['"hello"', "[1, 2]",
                                                   "[]"]
    nested = app.get("/v2/executions/%s/tasks" % WF_EX).json
    assert nested == body
    assert app.get("/v2/executions/%s/tasks" % "other").json == {"tasks": []}


def test_list_tasks_filters_and_result_field(app, rows):
    body = app.get("/v2/tasks?state=RUNNING&fields=name,result").json
    assert body == {"tasks": [{"id": "t2", "name": "many",
                               "result": "[1, 2]"}]}
    body = app.get("/v2/tasks?name=one&workflow_name=wf1").json
    assert [t["id"] for t in body["tasks"]] == ["t1"]


def test_tags_are_a_list_in_every_answer(app, rows):
    """As Mistral 23.0.0: the task's own tags, ``[]`` without (never
    null), in its GET and in both lists, in Mistral's place (after
    ``workflow_execution_id``); ``fields=tags`` asks for them alone."""
    base.add_rows(_task("t8", "tagged", tags=["a", "b"]))
    tagged = app.get("/v2/tasks/t8").json
    assert tagged["tags"] == ["a", "b"]
    assert list(tagged).index("tags") == list(tagged).index(
        "workflow_execution_id") + 1
    assert app.get("/v2/tasks/t1").json["tags"] == []   # NULL in the row
    for url in ("/v2/tasks?workflow_execution_id=%s" % WF_EX,
                "/v2/executions/%s/tasks" % WF_EX):
        listed = {t["name"]: t["tags"] for t in app.get(url).json["tasks"]}
        assert listed == {"one": [], "many": [], "waiting": [],
                          "tagged": ["a", "b"]}
    body = app.get("/v2/tasks?name=tagged&fields=tags").json
    assert body == {"tasks": [{"id": "t8", "tags": ["a", "b"]}]}


def test_nested_task_list_pages_to_plain_task_list(app, rows):
    body = app.get("/v2/executions/%s/tasks?limit=1" % WF_EX).json
    assert body["next"].startswith("http://localhost/v2/tasks?")
    assert "workflow_execution_id=%s" % WF_EX in body["next"]


def test_get_action_execution(app, rows):
    action = app.get("/v2/action_executions/a1").json
    assert set(action) == ACTION_FIELDS
    assert action["output"] == '{"result": "hello"}'
    assert action["input"] == '{"output": "hello"}'
    assert action["params"] == "{}"
    assert action["accepted"] is True
    app.get("/v2/action_executions/nope", status=404)


def test_list_action_executions(app, rows):
    body = app.get("/v2/action_executions?task_execution_id=t2").json
    assert [a["id"] for a in body["action_executions"]] == ["a2", "a3", "a4"]
    assert "output" not in body["action_executions"][0]
    nested = app.get("/v2/tasks/t2/action_executions").json
    assert nested == body
    body = app.get("/v2/tasks/t2/action_executions?include_output=1"
                   "&accepted=false").json
    assert [a["output"] for a in body["action_executions"]] == [
        '{"result": 3}']


def test_sub_workflow_task_result_and_executions(app, rows):
    base.add_rows(
        _task("t9", "sub", type="WORKFLOW"),
        models.WorkflowExecution(id="sub1", name="child", state="SUCCESS",
                                 task_execution_id="t9",
                                 output={"answer": 42}))
    assert json.loads(app.get("/v2/tasks/t9").json["result"]) == {
        "answer": 42}
    body = app.get("/v2/tasks/t9/workflow_executions").json
    assert [e["id"] for e in body["executions"]] == ["sub1"]


def test_action_execution_deletion_is_off_by_default(app, rows):
    resp = app.delete("/v2/action_executions/a1", status=403)
    assert "allow_action_execution_deletion" in resp.json["faultstring"]
