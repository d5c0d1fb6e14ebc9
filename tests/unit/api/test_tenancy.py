"""Projects: nobody reads or drives another project's objects.

The API runs in ``jwt`` mode against a JWKS on loopback. Project A makes
one object of every kind; project B tries every per-id call on each (404,
never 403) and every list with A's ids as filters (nothing of A); only an
admin lists every project; a canary secret of A reaches no answer to B.
"""
import json
import logging

import pytest
import webtest

from tests.unit.api import base
from tests.unit.api import idp
from wfengine.api import app as api_app
from wfengine.api import policy
from wfengine.api.controllers.v2 import workflows
from wfengine import conf
from wfengine.db import models
from wfengine.db import session

CANARY = "canary-7f3a9e51"
PUBLIC_WF = """---
version: '2.0'
shared_wf:
  tasks:
    t1:
      action: std.noop
"""
WB = """---
version: '2.0'
name: wb_a
workflows:
  inner:
    tasks:
      t:
        action: std.noop
"""
HOOK = "http://93.184.216.34/hook"


@pytest.fixture
def issuer():
    with idp.serving(conf.CONF) as server:
        yield server


@pytest.fixture
def api(db, engine_client, monkeypatch, issuer):
    monkeypatch.setattr(workflows, "_parse_workflows",
                        base.fake_parse_workflows)
    return webtest.TestApp(api_app.setup_app(engine_client=engine_client))


def _auth(issuer, project, roles=("member",)):
    return {"Authorization": "Bearer %s"
            % issuer.token(project=project, roles=roles)}


@pytest.fixture
def who(issuer):
    return {"a": _auth(issuer, "proj-a"), "b": _auth(issuer, "proj-b"),
            "admin": _auth(issuer, "proj-ops", ("admin",))}


def _text(app, url, text, headers, **params):
    query = "&".join("%s=%s" % kv for kv in params.items())
    return app.post(url + ("?" + query if query else ""), text,
                    headers=dict(headers, **{"Content-Type": "text/plain"}),
                    status=201).json


@pytest.fixture
def objects_of_a(api, who):
    """One object of every kind, made by project A; their ids."""
    a = who["a"]
    wf = _text(api, "/v2/workflows", base.WF_TEXT, a)["workflows"][0]
    public = _text(api, "/v2/workflows", PUBLIC_WF, a,
                   scope="public")["workflows"][0]
    wb = _text(api, "/v2/workbooks", WB, a)
    env = api.post_json("/v2/environments", {
        "name": "env_a", "variables": {"password": CANARY}},
        headers=a, status=201).json
    ex = api.post_json("/v2/executions", {
        "workflow_id": wf["id"], "input": {"name": "x"},
        "params": {"env": {"token": CANARY}}}, headers=a, status=201).json
    listener = api.post_json("/v2/listeners", {"url": HOOK},
                             headers=a, status=201).json
    cron = api.post_json("/v2/cron_triggers", {
        "name": "ct_a", "workflow_name": "wf1", "pattern": "*/5 * * * *",
        "workflow_input": json.dumps({"name": CANARY})},
        headers=a, status=201).json
    event = api.post_json("/v2/event_triggers", {
        "name": "et_a", "workflow_id": wf["id"], "exchange": "openstack",
        "topic": "notifications", "event": "compute.instance.create.end",
        "workflow_input": {"name": CANARY}}, headers=a, status=201).json
    session.unit_of_work(_rows_of_a, ex["id"])
    assert ex["project_id"] == "proj-a"
    return {"wf": wf, "public": public, "wb": wb, "env": env, "ex": ex,
            "listener": listener, "cron": cron, "event": event,
            "task": {"id": "task-a"}, "action": {"id": "action-a"}}


def _rows_of_a(sess, wf_ex_id):
    sess.add(models.TaskExecution(
        id="task-a", name="t1", workflow_execution_id=wf_ex_id,
        workflow_name="wf1", state="ERROR", project_id="proj-a",
        published={"secret": CANARY}, runtime_context={}))
    sess.flush()
    sess.add(models.ActionExecution(
        id="action-a", name="std.async_noop", task_execution_id="task-a",
        workflow_execution_id=wf_ex_id, task_name="t1",
        workflow_name="wf1", state="RUNNING", project_id="proj-a",
        input={"password": CANARY}, params={}))


def _per_id_calls(o):
    """Every per-id call of the API on A's objects: (method, url, body)."""
    ex, task, act = o["ex"]["id"], o["task"]["id"], o["action"]["id"]
    calls = []
    for path in ("/v2/workflows/%s" % o["wf"]["id"], "/v2/workflows/wf1",
                 "/v2/workbooks/wb_a", "/v2/environments/env_a",
                 "/v2/environments/%s" % o["env"]["id"],
                 "/v2/cron_triggers/ct_a",
                 "/v2/cron_triggers/%s" % o["cron"]["id"],
                 "/v2/listeners/%s" % o["listener"]["id"],
                 "/v2/event_triggers/%s" % o["event"]["id"],
                 "/v2/executions/%s" % ex,
                 "/v2/action_executions/%s" % act):
        calls += [("GET", path, None), ("DELETE", path, None)]
    calls.append(("GET", "/v2/tasks/%s" % task, None))  # no DELETE: 405
    calls += [
        ("GET", "/v2/executions/%s/report" % ex, None),
        ("GET", "/v2/executions/%s/executions" % ex, None),
        ("GET", "/v2/tasks/%s/executions" % task, None),
        ("GET", "/v2/executions/%s/tasks" % ex, "list"),
        ("GET", "/v2/tasks/%s/action_executions" % task, "list"),
        ("GET", "/v2/tasks/%s/workflow_executions" % task, "list"),
        ("GET", "/v2/listeners/%s/deliveries" % o["listener"]["id"], None),
        ("PUT", "/v2/executions/%s" % ex, {"state": "PAUSED"}),
        ("PUT", "/v2/executions/%s" % ex, {"state": "RUNNING"}),
        ("PUT", "/v2/tasks/%s" % task, {"state": "IDLE"}),
        ("PUT", "/v2/tasks/%s" % task, {"state": "RUNNING",
                                        "reset": True}),
        ("PUT", "/v2/action_executions/%s" % act,
         {"state": "SUCCESS", "output": "x"}),
        ("PUT", "/v2/listeners/%s" % o["listener"]["id"],
         {"enabled": False}),
        ("PUT", "/v2/event_triggers/%s" % o["event"]["id"],
         {"name": "mine"}),
        ("PUT", "/v2/environments", {"name": "env_a",
                                     "variables": {"x": 1}}),
    ]
    return calls


def _call(app, method, path, body, headers, status):
    if method == "GET":
        return app.get(path, headers=headers, status=status)
    if method == "DELETE":
        return app.delete(path, headers=headers, status=status)
    return app.put_json(path, body, headers=headers, status=status)


def test_another_projects_objects_are_404_on_every_per_id_call(
        api, who, objects_of_a, caplog):
    caplog.set_level(logging.DEBUG)
    for method, path, body in _per_id_calls(objects_of_a):
        if body == "list":  # a sub-collection: empty, not 404
            resp = api.get(path, headers=who["b"], status=200)
            assert list(resp.json.values()) == [[]], path
            continue
        resp = _call(api, method, path, body, who["b"], "*")
        assert resp.status_int == 404, (method, path, resp.text)
        assert resp.json["debuginfo"] is None
        assert CANARY not in resp.text
    # Private workflow texts of A are not replaced by B either.
    resp = api.put("/v2/workflows", base.WF_TEXT, headers=dict(
        who["b"], **{"Content-Type": "text/plain"}), status=404)
    assert "wf1" in resp.json["faultstring"]
    assert CANARY not in caplog.text


def test_another_projects_objects_are_in_none_of_its_lists(
        api, who, objects_of_a):
    ids = {o["id"] for o in objects_of_a.values() if "id" in o}
    ids.discard(objects_of_a["public"]["id"])
    for collection in ("workflows", "workbooks", "environments",
                       "executions", "tasks", "action_executions",
                       "cron_triggers", "listeners", "actions",
                       "event_triggers"):
        resp = api.get("/v2/" + collection, headers=who["b"])
        assert not ids & {i.get("id") for i in resp.json[collection]}
        assert CANARY not in resp.text
        for oid in ids:
            filtered = api.get("/v2/" + collection, {"id": oid},
                               headers=who["b"]).json[collection]
            assert filtered == [], (collection, oid)


def test_all_projects_and_project_id_are_for_admins_only(
        api, who, objects_of_a):
    for params in ({"all_projects": "true"}, {"project_id": "proj-a"}):
        fault = api.get("/v2/executions", params, headers=who["b"],
                        status=403).json
        assert "executions:list:all_projects" in fault["faultstring"]
    listed = api.get("/v2/executions", {"all_projects": "true"},
                     headers=who["admin"]).json["executions"]
    assert objects_of_a["ex"]["id"] in {e["id"] for e in listed}
    # Lists never carry secrets, not even an admin's.
    assert CANARY not in json.dumps(listed)
    own = api.get("/v2/executions", headers=who["admin"]).json
    assert own["executions"] == []
    # An admin reads another project's execution by id, its env masked.
    one = api.get("/v2/executions/%s" % objects_of_a["ex"]["id"],
                  headers=who["admin"]).json
    assert CANARY not in json.dumps(one)
    assert json.loads(one["params"])["env"] == {"token": "***"}


def test_the_owner_sees_its_secrets(api, who, objects_of_a):
    one = api.get("/v2/executions/%s" % objects_of_a["ex"]["id"],
                  headers=who["a"]).json
    assert json.loads(one["params"])["env"] == {"token": CANARY}
    env = api.get("/v2/environments/env_a", headers=who["a"]).json
    assert CANARY in env["variables"]


def test_a_public_workflow_is_seen_and_run_not_changed_by_others(
        api, who, objects_of_a, engine_client):
    public = objects_of_a["public"]
    seen = api.get("/v2/workflows/%s" % public["id"], headers=who["b"]).json
    assert seen["scope"] == "public"
    names = {w["name"] for w in api.get("/v2/workflows", headers=who["b"]
                                        ).json["workflows"]}
    assert names == {"shared_wf"}
    for method in ("DELETE", "PUT"):
        resp = _call(api, method, "/v2/workflows/%s" % public["id"],
                     None, who["b"], 403) if method == "DELETE" else \
            api.put("/v2/workflows/%s" % public["id"], PUBLIC_WF,
                    headers=dict(who["b"], **{"Content-Type": "text/plain"}),
                    status=403)
        assert "another project" in resp.json["faultstring"]
    ex = api.post_json("/v2/executions", {"workflow_id": public["id"]},
                       headers=who["b"], status=201).json
    assert ex["project_id"] == "proj-b"
    assert engine_client.projects[-1] == "proj-b"
    assert api.get("/v2/executions/%s" % ex["id"], headers=who["a"],
                   status=404)


def test_names_are_per_project(api, who, objects_of_a):
    mine = _text(api, "/v2/workflows", base.WF_TEXT, who["b"])
    assert mine["workflows"][0]["project_id"] == "proj-b"
    assert api.get("/v2/workflows/wf1", headers=who["b"]).json["id"] == \
        mine["workflows"][0]["id"]
    assert api.get("/v2/workflows/wf1", headers=who["a"]).json["id"] == \
        objects_of_a["wf"]["id"]


def test_builtin_actions_are_visible_to_every_project(api, who):
    resp = api.get("/v2/actions/std.noop", headers=who["b"]).json
    assert resp["name"] == "std.noop"


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer not-a-jwt"},
    {"Authorization": "Basic dXNlcjpwdw=="},
    {"X-Auth-Token": "garbage"},
])
def test_unauthenticated_requests_are_401_except_the_version_root(
        api, headers):
    for method, path in (("GET", "/v2"), ("GET", "/v2/workflows"),
                         ("POST", "/v2/executions"),
                         ("GET", "/v2/executions/x"),
                         ("PUT", "/v2/action_executions/x"),
                         ("DELETE", "/v2/environments/e"),
                         ("GET", "/v2/listeners"),
                         ("GET", "/v2/openapi.json")):
        resp = api.request(path, method=method, headers=headers,
                           expect_errors=True)
        assert resp.status_int == 401, (method, path)
        assert set(resp.json) == {"faultcode", "faultstring", "debuginfo"}
        assert resp.json["faultstring"].startswith("Authentication failed")
    assert api.get("/", headers=headers).json["versions"]


def test_an_expired_or_foreign_token_is_401(api, issuer):
    for token in (issuer.token(lifetime=-120),
                  issuer.token(aud="other"), issuer.token(iss="x"),
                  idp.unsigned_token(),
                  issuer.token(key=idp.Key(kid=issuer.keys[0].kid))):
        api.get("/v2/workflows", headers={
            "Authorization": "Bearer " + token}, status=401)


def test_a_token_without_a_project_is_401(api, issuer):
    token = issuer.token(project_id=None)
    fault = api.get("/v2/workflows", headers={
        "Authorization": "Bearer " + token}, status=401).json
    assert "project" in fault["faultstring"]


def test_an_override_file_changes_a_rule(api, who, tmp_path):
    rules = tmp_path / "policy.yaml"
    rules.write_text('"workflows:create": "role:author"\n')
    conf.CONF.set_override("policy_file", str(rules), group="oslo_policy")
    policy.reset()
    try:
        fault = api.post("/v2/workflows", base.WF_TEXT, headers=dict(
            who["a"], **{"Content-Type": "text/plain"}), status=403).json
        assert "workflows:create" in fault["faultstring"]
        api.get("/v2/workflows", headers=who["a"], status=200)
    finally:
        conf.CONF.clear_override("policy_file", group="oslo_policy")
        policy.reset()


def test_a_public_environment_is_not_shared(api, who):
    api.post_json("/v2/environments", {
        "name": "env_pub", "scope": "public",
        "variables": {"password": CANARY}}, headers=who["a"], status=201)
    api.get("/v2/environments/env_pub", headers=who["b"], status=404)
    listed = api.get("/v2/environments", headers=who["b"]).json
    assert listed["environments"] == []


@pytest.mark.parametrize("path, body, rule", [
    ("/v2/tasks/task-a", {"state": "IDLE"}, "tasks:mark"),
    ("/v2/executions/{ex}", {"state": "RUNNING"}, "executions:resume"),
    ("/v2/listeners/{listener}/deliveries", None, "listeners:deliveries"),
])
def test_the_extensions_have_their_own_rules(api, who, objects_of_a,
                                             tmp_path, path, body, rule):
    rules = tmp_path / "policy.yaml"
    rules.write_text('"%s": "role:operator"\n' % rule)
    conf.CONF.set_override("policy_file", str(rules), group="oslo_policy")
    policy.reset()
    path = path.format(ex=objects_of_a["ex"]["id"],
                       listener=objects_of_a["listener"]["id"])
    try:
        if body is None:
            resp = api.get(path, headers=who["a"], status=403)
        else:
            resp = api.put_json(path, body, headers=who["a"], status=403)
        assert rule in resp.json["faultstring"]
    finally:
        conf.CONF.clear_override("policy_file", group="oslo_policy")
        policy.reset()


def test_a_public_event_trigger_is_an_admins(api, who, objects_of_a):
    body = {"name": "et_pub", "workflow_id": objects_of_a["public"]["id"],
            "exchange": "openstack", "topic": "notifications",
            "event": "compute.instance.create.end", "scope": "public"}
    fault = api.post_json("/v2/event_triggers", body, headers=who["b"],
                          status=403).json
    assert "event_triggers:publicize" in fault["faultstring"]
    made = api.post_json("/v2/event_triggers", body, headers=who["admin"],
                         status=201).json
    assert (made["scope"], made["project_id"]) == ("public", "proj-ops")
    # Public: it fires for every project's notifications, but is shown
    # to its own project only.
    api.get("/v2/event_triggers/%s" % made["id"], headers=who["b"],
            status=404)
