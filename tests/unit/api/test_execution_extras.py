"""``DELETE /v2/executions/<id>`` and ``GET /v2/executions/<id>/report``."""
import datetime

import pytest

from tests.unit.api import base
from wfengine.api.controllers.v2 import execution_report
from wfengine.db import models
from wfengine.db import queries
from wfengine.db import session

ROOT = "11111111-1111-1111-1111-111111111111"
SUB = "22222222-2222-2222-2222-222222222222"


def _wf_ex(wf_ex_id, state, **values):
    return models.WorkflowExecution(id=wf_ex_id, name=values.pop(
        "name", "wf1"), state=state, spec={}, input={}, params={},
        context={}, output={}, **values)


def _task(task_id, name, wf_ex_id, state, **values):
    return models.TaskExecution(
        id=task_id, name=name, workflow_execution_id=wf_ex_id,
        workflow_name="wf1", state=state, published={},
        runtime_context=values.pop("runtime_context", {}), **values)


def _action(action_id, task_id, wf_ex_id, state):
    return models.ActionExecution(
        id=action_id, name="std.echo", task_execution_id=task_id,
        workflow_execution_id=wf_ex_id, task_name="t", state=state,
        accepted=True, input={}, output={}, params={})


@pytest.fixture
def tree(db):
    """root: t1 SUCCESS (one action), t2 ERROR (sub-workflow with t3)."""
    base.add_rows(
        _wf_ex(ROOT, "ERROR", root_execution_id=None),
        _task("t1", "t1", ROOT, "SUCCESS"),
        _action("a1", "t1", ROOT, "SUCCESS"),
        _task("t2", "t2", ROOT, "ERROR", state_info="boom",
              runtime_context={"retry_no": 2}),
        _wf_ex(SUB, "ERROR", name="sub", task_execution_id="t2",
               root_execution_id=ROOT),
        _task("t3", "t3", SUB, "ERROR"),
        _action("a3", "t3", SUB, "ERROR"))


def _count(model):
    import sqlalchemy as sa
    return session.reader(lambda s: s.execute(
        sa.select(sa.func.count()).select_from(model)).scalar())


def test_report_shape(app, tree):
    report = app.get("/v2/executions/%s/report" % ROOT).json
    assert report["statistics"] == {
        "total_tasks_count": 3, "success_tasks_count": 1,
        "error_tasks_count": 2, "running_tasks_count": 0,
        "idle_tasks_count": 0, "paused_tasks_count": 0,
        "estimated_time": 0}
    root = report["root_workflow_execution"]
    assert (root["id"], root["name"], root["state"]) == (ROOT, "wf1",
                                                         "ERROR")
    t1, t2 = root["task_executions"]
    assert [a["id"] for a in t1["action_executions"]] == ["a1"]
    assert t1["workflow_executions"] == []
    assert t2["retry_count"] == 2
    assert t2["state_info"] == "boom"
    sub, = t2["workflow_executions"]
    assert sub["id"] == SUB
    assert sub["task_executions"][0]["action_executions"][0]["state"] == \
        "ERROR"


def test_report_options(app, tree):
    url = "/v2/executions/%s/report" % ROOT
    root = app.get(url + "?errors_only=true").json["root_workflow_execution"]
    assert [t["name"] for t in root["task_executions"]] == ["t2"]
    root = app.get(url + "?max_depth=0").json["root_workflow_execution"]
    sub = root["task_executions"][1]["workflow_executions"][0]
    assert "task_executions" not in sub
    body = app.get(url + "?statistics_only=true").json
    assert set(body) == {"statistics"}
    app.get(url + "?max_depth=x", status=400)
    app.get("/v2/executions/nope/report", status=404)


def test_estimated_time_of_a_running_execution(app, db):
    now = datetime.datetime(2030, 1, 1, 12, 0, 0)
    running = _wf_ex(ROOT, "RUNNING", workflow_id="w",
                     created_at=now - datetime.timedelta(seconds=10))
    base.add_rows(running)
    stats = "/v2/executions/%s/report?statistics_only=true" % ROOT
    # Nothing to learn from yet.
    assert app.get(stats).json["statistics"]["estimated_time"] == -1
    for i, took in enumerate((30, 50)):
        start = now - datetime.timedelta(hours=1, minutes=i)
        base.add_rows(_wf_ex("done-%d" % i, "SUCCESS", workflow_id="w",
                             created_at=start, updated_at=start +
                             datetime.timedelta(seconds=took)))
    # Another workflow's executions do not count.
    base.add_rows(_wf_ex("other", "SUCCESS", workflow_id="x",
                         created_at=now, updated_at=now +
                         datetime.timedelta(hours=5)))

    def estimate(sess, at):
        row = queries.get_workflow_execution(sess, ROOT)
        return execution_report.estimated_time(sess, row, at)

    # Mean of 30 s and 50 s, less the 10 s it ran; past that: 1.
    assert session.reader(estimate, now) == 30
    late = now + datetime.timedelta(seconds=100)
    assert session.reader(estimate, late) == 1


def test_delete_cascades(app, tree):
    app.delete("/v2/executions/%s" % ROOT, status=204)
    app.get("/v2/executions/%s" % ROOT, status=404)
    assert _count(models.WorkflowExecution) == 0
    assert _count(models.TaskExecution) == 0
    assert _count(models.ActionExecution) == 0


def test_delete_running_is_refused_unless_forced(app, db):
    base.add_rows(_wf_ex(ROOT, "RUNNING"))
    resp = app.delete("/v2/executions/%s" % ROOT, status=409)
    assert "RUNNING" in resp.json["faultstring"]
    assert ROOT in resp.json["faultstring"]
    app.delete("/v2/executions/%s?force=true" % ROOT, status=204)
    app.delete("/v2/executions/%s" % ROOT, status=404)


def test_delete_of_a_collection_is_405(app):
    for path in ("/v2/executions", "/v2/environments", "/v2/actions",
                 "/v2/workbooks", "/v2/cron_triggers"):
        resp = app.delete(path, status=405)
        assert resp.json["faultstring"].startswith("Method not allowed")
