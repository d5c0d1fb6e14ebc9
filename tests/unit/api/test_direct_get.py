"""The GET of one execution, task or action execution answers the dict its
controller builds (the direct path, as lists do): byte for byte what
WSME's rendering of the declared type gives, for rows of every shape."""
import datetime

import pytest
from wsme.rest import json as wsme_json

from tests.unit.api import base
from wfengine.api.controllers.v2 import action_executions
from wfengine.api.controllers.v2 import executions
from wfengine.api.controllers.v2 import tasks
from wfengine.api import expose
from wfengine.api import wstypes
from wfengine.db import models

T0 = datetime.datetime(2026, 12, 6, 13, 5, 9, 123456)

EXECUTIONS = {
    "full": dict(
        name="wf_\u00e9", workflow_id="wf-1", workflow_namespace="ns",
        description="r\u00e9sum\u00e9 \"quoted\" \\ <b>", state="SUCCESS",
        state_info="done\nwell", tags=["a", "\u00fc"],
        spec={"vars": {"v": 1}},
        input={"n": 1, "nested": {"l": [1, 2.5, None, True]}},
        output={"out": "\u2603", "empty": {}},
        params={"namespace": "ns", "env": {"password": "s3cret"},
                "notify": [{"type": "webhook", "url": "http://x",
                            "headers": {"Authorization": "t"}}]},
        context={"n": 1, "v": 1, "g": {"published": [1]}, "h": None},
        task_execution_id="t-parent", root_execution_id="r-root"),
    "nulls": dict(
        name="wf", workflow_id=None, state="RUNNING", state_info=None,
        tags=None, spec=None, input=None, output=None, params=None,
        context=None, task_execution_id=None, root_execution_id=None),
    "empty_json": dict(
        name="wf", state="ERROR", state_info="", tags=[], spec={},
        input={}, output={}, params={}, context={}),
    "changed_input": dict(
        name="wf", state="SUCCESS", input={"a": 1, "b": 2},
        context={"a": 1, "b": 3, "c": [None]}, spec={"vars": {"c": 0}},
        params={"env": "not an object"}),
    # Another project's execution, read by the (noauth) admin: masked.
    "other_project": dict(
        name="wf", state="PAUSED", params={"env": {"k": "v"}},
        input={"x": "y"}, context={"x": "y", "z": 1},
        project_id="another-project"),
}


def _add_executions():
    rows = []
    for key, columns in EXECUTIONS.items():
        rows.append(models.WorkflowExecution(
            id="ex-" + key, created_at=T0,
            updated_at=None if key == "nulls" else T0, **columns))
    base.add_rows(*rows)


def _add_tasks_and_actions():
    base.add_rows(
        models.TaskExecution(
            id="task-full", name="t\u00e9", type="ACTION",
            workflow_name="wf", workflow_namespace="ns", workflow_id="wf-1",
            workflow_execution_id="ex-full", state="RUNNING_DELAYED",
            state_info="waiting", tags=["a", "\u00fc"],
            published={"p": [1, {"q": None}]},
            runtime_context={"retry_no": 2, "with_items_count": 2},
            processed=True, created_at=T0, updated_at=T0, started_at=T0,
            finished_at=T0),
        models.TaskExecution(
            id="task-nulls", name="t", type="WORKFLOW",
            workflow_execution_id="ex-full", state="ERROR",
            state_info=None, published=None, runtime_context=None,
            processed=False, created_at=T0),
        models.ActionExecution(
            id="action-full", name="std.echo", description="d\u00e9",
            workflow_name="wf", workflow_namespace="ns",
            workflow_execution_id="ex-full", task_name="t\u00e9",
            task_execution_id="task-full", state="SUCCESS",
            state_info="ok", tags=["x"], accepted=True,
            input={"output": "\u2603"}, output={"result": [1, None]},
            params={"index": 1, "gen": 0}, created_at=T0, updated_at=T0),
        models.ActionExecution(
            id="action-nulls", name="std.noop", task_execution_id=None,
            workflow_execution_id=None, state="RUNNING", accepted=False,
            tags=None, input=None, output=None, params=None,
            created_at=T0),
        models.ActionExecution(
            id="action-second", name="std.echo",
            workflow_execution_id="ex-full", task_name="t\u00e9",
            task_execution_id="task-full", state="ERROR", accepted=True,
            input={}, output={"result": "second"},
            params={"index": 0, "gen": 0}, created_at=T0, updated_at=T0))


def _wsme_render(return_type, result, direct):
    """Every answer rendered by WSME from its declared type."""
    if return_type is None:
        return ""
    return wsme_json.tojson(return_type, expose.typed(return_type, result))


URLS = (["/v2/executions/ex-" + key for key in EXECUTIONS]
        + ["/v2/tasks/task-full", "/v2/tasks/task-nulls",
           "/v2/action_executions/action-full",
           "/v2/action_executions/action-nulls",
           "/v2/action_executions/action-second"])


@pytest.mark.parametrize("url", URLS)
def test_direct_answer_is_wsme_rendering_byte_for_byte(app, monkeypatch,
                                                       url):
    _add_executions()
    _add_tasks_and_actions()
    direct = app.get(url)
    monkeypatch.setattr(expose, "_render", _wsme_render)
    # Through Pecan and WSME (a query string keeps api.fast_reads out).
    rendered = app.get(url + "?through=wsme")
    assert direct.body == rendered.body
    assert direct.headers["Content-Type"] == rendered.headers["Content-Type"]
    assert direct.headers.get("ETag") == rendered.headers.get("ETag")


def test_the_rows_are_shown_as_mistral_shows_them(app):
    # What the comparison above covers: every field, nulls, JSON text,
    # published_global, masked secrets.
    _add_executions()
    _add_tasks_and_actions()
    full = app.get("/v2/executions/ex-full").json
    assert full["tags"] == ["a", "\u00fc"]
    assert full["created_at"] == "2026-12-06 13:05:09"
    assert full["published_global"] == '{"g": {"published": [1]}, "h": null}'
    assert full["input"] == (
        '{"n": 1, "nested": {"l": [1, 2.5, null, true]}}')
    nulls = app.get("/v2/executions/ex-nulls").json
    # Tags are a list, also where a row has none (Mistral's are never
    # null).
    assert nulls["tags"] == [] and nulls["output"] is None
    assert nulls["updated_at"] is None
    assert nulls["published_global"] == "{}"
    other = app.get("/v2/executions/ex-other_project").json
    assert other["params"] == '{"env": {"k": "***"}}'
    assert other["published_global"] == '{"z": 1}'
    task = app.get("/v2/tasks/task-full").json
    assert task["state"] == "DELAYED" and task["processed"] is True
    # A with-items task: its items' results by index.
    assert task["result"] == '["second", [1, null]]'
    assert task["tags"] == ["a", "\u00fc"]
    assert app.get("/v2/tasks/task-nulls").json["tags"] == []
    action = app.get("/v2/action_executions/action-nulls").json
    assert action["accepted"] is False and action["input"] is None


@pytest.mark.parametrize("handler", [
    executions.ExecutionsController.get_one,
    tasks.TasksController.get_one,
    action_executions.ActionExecutionsController.get_one])
def test_the_direct_gets_still_declare_their_types(handler):
    declared = handler._wsme_definition.return_type
    assert declared in (wstypes.Execution, wstypes.Task,
                        wstypes.ActionExecution)
