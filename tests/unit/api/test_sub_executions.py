"""``GET /v2/executions/<id>/executions`` and ``/v2/tasks/<id>/executions``:
the sub-executions of an execution or a task, in Mistral's tree order."""
import datetime

import pytest

from tests.unit.api import base
from wfengine.api.controllers.v2 import sub_executions
from wfengine import conf
from wfengine.db import models

ROOT = "10000000-0000-4000-8000-000000000000"
A = "20000000-0000-4000-8000-00000000000a"    # of t1 (SUCCESS)
B = "20000000-0000-4000-8000-00000000000b"    # of t2 (ERROR)
B2 = "20000000-0000-4000-8000-0000000000b2"   # of t2, started later
C = "20000000-0000-4000-8000-00000000000c"    # of tb (ERROR), in B
T0 = datetime.datetime(2030, 1, 1, 12, 0, 0)


def _at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


def _wf_ex(wf_ex_id, state, at, **values):
    return models.WorkflowExecution(
        id=wf_ex_id, name=values.pop("name", "wf"), state=state, spec={},
        input={"i": 1}, params=values.pop("params", {}), context={},
        output={"o": wf_ex_id[-1]}, created_at=_at(at), **values)


def _task(task_id, wf_ex_id, state, at):
    return models.TaskExecution(
        id=task_id, name=task_id, workflow_execution_id=wf_ex_id,
        workflow_name="wf", state=state, published={}, runtime_context={},
        created_at=_at(at))


@pytest.fixture
def tree(db):
    """ROOT: t1 SUCCESS -> A; t2 ERROR -> B (tb ERROR -> C), B2.

    Rows are added out of order: the order shown is the tree's."""
    base.add_rows(
        _wf_ex(ROOT, "ERROR", 0, name="root",
               params={"env": {"secret": "s3cr3t"}}),
        _task("t2", ROOT, "ERROR", 2),
        _task("t1", ROOT, "SUCCESS", 1),
        _wf_ex(B2, "SUCCESS", 9, name="sub", task_execution_id="t2",
               root_execution_id=ROOT),
        _wf_ex(B, "ERROR", 3, name="sub", task_execution_id="t2",
               root_execution_id=ROOT),
        _wf_ex(A, "SUCCESS", 1, name="sub", task_execution_id="t1",
               root_execution_id=ROOT),
        _task("tb", B, "ERROR", 4),
        _wf_ex(C, "ERROR", 5, name="leaf", task_execution_id="tb",
               root_execution_id=ROOT,
               params={"env": {"secret": "s3cr3t"}}))


def _ids(app, url, status=200):
    return [e["id"] for e in app.get(url, status=status).json["executions"]]


def test_an_execution_then_its_tasks_sub_executions_depth_first(app, tree):
    assert _ids(app, "/v2/executions/%s/executions" % ROOT) == [
        ROOT, A, B, C, B2]
    assert _ids(app, "/v2/executions/%s/executions" % B) == [B, C]


def test_the_items_are_executions_as_lists_show_them(app, tree):
    body = app.get("/v2/executions/%s/executions" % ROOT).json
    assert set(body) == {"executions"}      # the whole tree: no next
    root, a = body["executions"][:2]
    listed = app.get("/v2/executions?id=%s" % ROOT).json["executions"][0]
    assert root == listed
    assert a["task_execution_id"] == "t1"
    assert a["root_execution_id"] == ROOT
    assert "output" not in a
    assert "s3cr3t" not in app.get(
        "/v2/executions/%s/executions" % ROOT).text


def test_include_output(app, tree):
    body = app.get("/v2/executions/%s/executions?include_output=true"
                   % A).json
    assert body["executions"][0]["output"] == '{"o": "a"}'


def test_errors_only_follows_tasks_in_error(app, tree):
    url = "/v2/executions/%s/executions?errors_only=true" % ROOT
    assert _ids(app, url) == [ROOT, B, C, B2]
    # The execution asked about is always there.
    assert _ids(app, "/v2/executions/%s/executions?errors_only=true"
                % A) == [A]


def test_empty_parameters_are_their_defaults(app, tree):
    """As python-mistralclient sends them."""
    assert _ids(app, "/v2/executions/%s/executions?max_depth=-1&"
                "errors_only=" % ROOT) == [ROOT, A, B, C, B2]
    assert _ids(app, "/v2/tasks/t2/executions?max_depth=0&"
                "errors_only=True") == [B, B2]


def test_max_depth(app, tree):
    url = "/v2/executions/%s/executions?max_depth=" % ROOT
    assert _ids(app, url + "0") == [ROOT]
    assert _ids(app, url + "1") == [ROOT, A, B, B2]
    assert _ids(app, url + "-1") == [ROOT, A, B, C, B2]


def test_of_a_task(app, tree):
    assert _ids(app, "/v2/tasks/t2/executions") == [B, C, B2]
    assert _ids(app, "/v2/tasks/t2/executions?max_depth=0") == [B, B2]
    assert _ids(app, "/v2/tasks/t1/executions") == [A]
    assert _ids(app, "/v2/tasks/t1/executions?errors_only=true") == []
    assert _ids(app, "/v2/tasks/tb/executions?errors_only=true") == [C]


def test_not_found_and_bad_parameters(app, tree):
    for url in ("/v2/executions/nope/executions", "/v2/tasks/nope/executions"):
        resp = app.get(url, status=404)
        assert "nope" in resp.json["faultstring"]
    url = "/v2/executions/%s/executions" % ROOT
    for query, word in (("max_depth=x", "max_depth"),
                        ("errors_only=maybe", "errors_only"),
                        ("limit=0x", "limit"), ("colour=red", "colour"),
                        ("marker=%s" % "nope", "marker")):
        resp = app.get(url + "?" + query, status=400)
        assert word in resp.json["faultstring"], query


def test_a_long_tree_is_paged(app, tree):
    url = "/v2/executions/%s/executions?errors_only=true&limit=2" % ROOT
    body = app.get(url).json
    assert [e["id"] for e in body["executions"]] == [ROOT, B]
    nxt = body["next"]
    assert "marker=%s" % B in nxt and "errors_only=true" in nxt
    body = app.get(nxt[nxt.index("/v2/"):]).json
    assert [e["id"] for e in body["executions"]] == [C, B2]
    assert "next" not in body


def test_at_most_max_limit(app, tree, monkeypatch):
    conf.CONF.set_override("max_limit", 3, "api")
    try:
        body = app.get("/v2/executions/%s/executions" % ROOT).json
    finally:
        conf.CONF.clear_override("max_limit", "api")
    assert [e["id"] for e in body["executions"]] == [ROOT, A, B]
    assert "next" in body


def test_tree_order_is_pure_and_safe():
    subs = [("x", "t"), ("y", "u")]
    tasks = [("t", "r", "SUCCESS"), ("u", "x", "ERROR"),
             ("loop", "y", "ERROR")]
    assert sub_executions.tree_order([("r", 0)], subs, tasks) == [
        "r", "x", "y"]
    # A corrupt cycle ends.
    subs.append(("x", "loop"))
    assert sub_executions.tree_order([("r", 0)], subs, tasks) == [
        "r", "x", "y"]
