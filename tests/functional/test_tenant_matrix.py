"""The tenant matrix with real processes: the embedded server in ``jwt``
mode (a JWKS on loopback), two projects and an admin.

Project A makes a private and a public workflow, a workbook, an
environment holding a canary secret, an execution waiting on an async
action, a listener and a cron trigger. Project B tries every per-id call
on A's ids (404), every list with A's ids as filters, by ``id`` and by
parent (``workflow_execution_id``, ``task_execution_id``,
``root_execution_id``): nothing of A; B's listener hears nothing of A; the
canary (also a ``notify`` header of A, shown in lists to nobody) is in no
answer to B and in no log line of the server. Shared definitions of A (a workflow, a workbook,
an ad-hoc action) are seen and used by B, who can not change them (403).
"""
import json
import pathlib

import pytest
import requests

from tests.functional import authn
from tests.functional import harness
from tests.unit.api import idp

pytestmark = pytest.mark.timeout(300)

CANARY = "canary-5d1e0c77b2"
NOTIFY_HEADER = "X-Hook-Token"
TEXTS = {
    "wf_async": "version: '2.0'\nwf_async:\n  tasks:\n    wait:\n"
                "      action: std.async_noop\n",
    "wf_shared": "version: '2.0'\nwf_shared:\n  tasks:\n    t:\n"
                 "      action: std.noop\n",
    "wb_a": "version: '2.0'\nname: wb_a\nworkflows:\n  inner:\n    tasks:\n"
            "      t:\n        action: std.noop\n",
    "wf_parent": "version: '2.0'\nwf_parent:\n  tasks:\n    call:\n"
                 "      workflow: wb_a.inner\n",
    # Shared by A (scope public): a workbook and an ad-hoc action.
    "wb_pub": "version: '2.0'\nname: wb_pub\nworkflows:\n  hello:\n"
              "    tasks:\n      t:\n        action: std.echo output=wb\n"
              "        publish:\n          said: <% task().result %>\n"
              "    output:\n      said: <% $.said %>\n",
    "pub_echo": "version: '2.0'\npub_echo:\n  base: std.echo\n"
                "  base-input:\n    output: from a\n",
    "uses_pub": "version: '2.0'\nuses_pub:\n  tasks:\n    t:\n"
                "      action: pub_echo\n      publish:\n"
                "        said: <% task().result %>\n"
                "  output:\n    said: <% $.said %>\n",
}


@pytest.fixture(scope="module")
def issuer():
    server = idp.Issuer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def dep(issuer, tmp_path_factory):
    d = authn.Deployment(
        tmp_path_factory.mktemp("tenants"), config=idp.deployment_config(
            issuer, DEFAULT={"debug": "true"},
            notifier={"allowed_networks": "127.0.0.1/32",
                      "poll_interval": "0.05", "backoff_base": "5"}))
    with harness.running(d, ["all"]):
        yield d


class Caller:
    """Requests of one project (or no credentials: ``token=None``)."""

    def __init__(self, dep, token):
        self.url = dep.url
        self.headers = {"Authorization": "Bearer " + token} if token else {}
        self.seen = []  # every answer's text, to look for the canary

    def call(self, method, path, body=None, text=None, params=None):
        headers = dict(self.headers)
        kwargs = {"params": params, "timeout": 30, "headers": headers}
        if text is not None:
            kwargs["data"] = text.encode()
            headers["Content-Type"] = "text/plain"
        elif body is not None:
            kwargs["json"] = body
        resp = requests.request(method, self.url + path, **kwargs)
        self.seen.append(resp.text)
        return resp

    def ok(self, method, path, status=200, **kwargs):
        resp = self.call(method, path, **kwargs)
        assert resp.status_code == status, (method, path, resp.text)
        return resp.json() if resp.content else None


@pytest.fixture(scope="module")
def who(dep, issuer):
    return {"a": Caller(dep, issuer.token(project="proj-a")),
            "b": Caller(dep, issuer.token(project="proj-b")),
            "admin": Caller(dep, issuer.token(project="ops",
                                              roles=["admin"]))}


def _closed_port_url():
    return "http://127.0.0.1:%d/hook" % harness.free_port()


@pytest.fixture(scope="module")
def a_objects(who):
    a = who["a"]
    o = {"wf": a.ok("POST", "/workflows", 201, text=TEXTS["wf_async"])[
        "workflows"][0]}
    o["public"] = a.ok("POST", "/workflows", 201, text=TEXTS["wf_shared"],
                       params={"scope": "public"})["workflows"][0]
    o["wb"] = a.ok("POST", "/workbooks", 201, text=TEXTS["wb_a"])
    o["env"] = a.ok("POST", "/environments", 201, body={
        "name": "env_a", "variables": {"password": CANARY}})
    o["listener"] = a.ok("POST", "/listeners", 201, body={
        "url": _closed_port_url()})
    o["cron"] = a.ok("POST", "/cron_triggers", 201, body={
        "name": "ct_a", "workflow_name": "wf_async",
        "pattern": "0 0 1 1 *", "workflow_params": {"env": "env_a"}})
    o["ex"] = a.ok("POST", "/executions", 201, body={
        "workflow_name": "wf_async", "params": {"env": "env_a"}})
    tasks = harness.wait_until(lambda: a.ok(
        "GET", "/executions/%s/tasks" % o["ex"]["id"])["tasks"], 60,
        "the task of A's execution")
    o["task"] = tasks[0]
    o["action"] = harness.wait_until(lambda: [
        x for x in a.ok("GET", "/tasks/%s/action_executions"
                        % o["task"]["id"])["action_executions"]
        if x["state"] == "RUNNING"], 60, "A's async action")[0]
    return o


def _per_id(o):
    ex, task = o["ex"]["id"], o["task"]["id"]
    act, lst = o["action"]["id"], o["listener"]["id"]
    calls = []
    for path in ("/workflows/%s" % o["wf"]["id"], "/workflows/wf_async",
                 "/workbooks/wb_a", "/environments/env_a",
                 "/cron_triggers/ct_a", "/listeners/%s" % lst,
                 "/executions/%s" % ex, "/action_executions/%s" % act):
        calls += [("GET", path, None), ("DELETE", path, None)]
    calls += [("GET", "/tasks/%s" % task, None),
              ("GET", "/executions/%s/report" % ex, None),
              ("GET", "/listeners/%s/deliveries" % lst, None),
              ("PUT", "/executions/%s" % ex, {"state": "PAUSED"}),
              ("PUT", "/executions/%s" % ex, {"state": "RUNNING"}),
              ("PUT", "/tasks/%s" % task, {"state": "IDLE"}),
              ("PUT", "/action_executions/%s" % act,
               {"state": "SUCCESS", "output": "by b"}),
              ("PUT", "/listeners/%s" % lst, {"enabled": False}),
              ("PUT", "/environments", {"name": "env_a",
                                        "variables": {"x": 1}})]
    return calls


def test_b_gets_404_on_every_per_id_call_and_nothing_in_lists(
        who, a_objects):
    b = who["b"]
    for method, path, body in _per_id(a_objects):
        resp = b.call(method, path, body=body)
        assert resp.status_code == 404, (method, path, resp.text)
        assert resp.json()["debuginfo"] is None
    ids = {v["id"] for k, v in a_objects.items() if k != "public"}
    for collection in ("workflows", "workbooks", "environments",
                       "executions", "tasks", "action_executions",
                       "cron_triggers", "listeners"):
        listed = b.ok("GET", "/" + collection)[collection]
        assert not ids & {x["id"] for x in listed}, collection
        for oid in ids:
            assert b.ok("GET", "/" + collection,
                        params={"id": oid})[collection] == []
    for path in ("/executions/%s/tasks" % a_objects["ex"]["id"],
                 "/tasks/%s/action_executions" % a_objects["task"]["id"]):
        assert list(b.ok("GET", path).values()) == [[]]



@pytest.fixture(scope="module")
def a_tree(who, a_objects):
    """A's finished run of a workflow calling a sub-workflow, started with
    a ``notify`` header holding the canary; the ids of its levels."""
    a = who["a"]
    a.ok("POST", "/workflows", 201, text=TEXTS["wf_parent"])
    parent = a.ok("POST", "/executions", 201, body={
        "workflow_name": "wf_parent", "params": {"notify": [{
            "type": "webhook", "url": _closed_port_url(),
            "headers": {NOTIFY_HEADER: CANARY}}]}})
    done = _wait_done(a, parent["id"], "A's run of wf_parent")
    assert done["state"] == "SUCCESS", done["state_info"]
    call = a.ok("GET", "/executions/%s/tasks" % parent["id"])["tasks"][0]
    sub = a.ok("GET", "/tasks/%s/executions" % call["id"])["executions"][0]
    leaf = a.ok("GET", "/executions/%s/tasks" % sub["id"])["tasks"][0]
    return {"parent": parent["id"], "call": call["id"], "sub": sub["id"],
            "leaf": leaf["id"]}


def test_b_finds_nothing_of_a_through_the_parent_filters(
        who, a_objects, a_tree):
    filters = [
        ("tasks", "workflow_execution_id", a_tree["parent"]),
        ("tasks", "workflow_execution_id", a_objects["ex"]["id"]),
        ("action_executions", "workflow_execution_id", a_tree["sub"]),
        ("action_executions", "workflow_execution_id",
         a_objects["ex"]["id"]),
        ("action_executions", "task_execution_id", a_tree["leaf"]),
        ("action_executions", "task_execution_id", a_objects["task"]["id"]),
        ("executions", "task_execution_id", a_tree["call"]),
        ("executions", "root_execution_id", a_tree["parent"])]
    for collection, name, value in filters:
        params = {name: value}
        # The filter finds A's rows for A: B's empty answer means a refusal.
        assert who["a"].ok("GET", "/" + collection, params=params)[
            collection], (collection, params)
        assert who["b"].ok("GET", "/" + collection, params=params)[
            collection] == [], (collection, params)


def _notify_headers(execution):
    return [entry.get("headers") for entry in
            json.loads(execution["params"]).get("notify", [])]


def test_notify_headers_are_masked_in_lists_shown_to_the_owner_by_id(
        who, a_tree):
    a, admin = who["a"], who["admin"]
    parent = a_tree["parent"]
    # One execution by id: its own project sees the value, another
    # project's admin the key only (security.rst, "What is masked where").
    assert _notify_headers(a.ok("GET", "/executions/%s" % parent)) == [
        {NOTIFY_HEADER: CANARY}]
    assert _notify_headers(admin.ok("GET", "/executions/%s" % parent)) == [
        {NOTIFY_HEADER: "***"}]
    # Lists: never the value, for any caller, the owner included.
    lists = [(a, "/executions", {}), (a, "/executions", {"id": parent}),
             (a, "/executions", {"fields": "id,params"}),
             (a, "/executions", {"task_execution_id": a_tree["call"]}),
             (a, "/executions/%s/executions" % parent, {}),
             (a, "/tasks/%s/executions" % a_tree["call"], {}),
             (a, "/tasks/%s/workflow_executions" % a_tree["call"], {}),
             (admin, "/executions", {"all_projects": "true"})]
    for caller, path, params in lists:
        resp = caller.call("GET", path, params=params)
        assert resp.status_code == 200, (path, params, resp.text)
        assert CANARY not in resp.text, (path, params)
        for item in resp.json()["executions"]:
            if item["id"] == parent:
                assert _notify_headers(item) == [{NOTIFY_HEADER: "***"}]
    listed = admin.ok("GET", "/executions", params={
        "all_projects": "true", "id": parent})["executions"]
    assert _notify_headers(listed[0]) == [{NOTIFY_HEADER: "***"}]


def test_all_projects_is_the_admins(who, a_objects):
    fault = who["b"].ok("GET", "/executions", 403,
                        params={"all_projects": "true"})
    assert "executions:list:all_projects" in fault["faultstring"]
    listed = who["admin"].ok("GET", "/executions",
                             params={"all_projects": "true"})["executions"]
    assert a_objects["ex"]["id"] in {e["id"] for e in listed}


@pytest.fixture(scope="module")
def a_shared(who):
    """A public workbook and a public ad-hoc action of A."""
    a = who["a"]
    return {"wb": a.ok("POST", "/workbooks", 201, text=TEXTS["wb_pub"],
                       params={"scope": "public"}),
            "action": a.ok("POST", "/actions", 201, text=TEXTS["pub_echo"],
                           params={"scope": "public"})["actions"][0]}


def _wait_done(caller, ex_id, what):
    return harness.wait_until(lambda: (lambda ex: ex["state"] in (
        "SUCCESS", "ERROR") and ex)(caller.ok("GET", "/executions/%s"
                                              % ex_id)), 60, what)


def test_a_public_workbook_is_seen_and_run_not_changed_by_others(
        who, a_shared):
    b = who["b"]
    seen = b.ok("GET", "/workbooks/wb_pub")
    assert (seen["scope"], seen["project_id"]) == ("public", "proj-a")
    assert "wb_pub" in {w["name"] for w in b.ok("GET", "/workbooks")[
        "workbooks"]}
    inner = b.ok("GET", "/workflows/wb_pub.hello")
    assert inner["scope"] == "public"
    ex = b.ok("POST", "/executions", 201,
              body={"workflow_name": "wb_pub.hello"})
    assert ex["project_id"] == "proj-b"
    done = _wait_done(b, ex["id"], "B's run of A's shared workbook")
    assert done["state"] == "SUCCESS", done["state_info"]
    assert json.loads(done["output"]) == {"said": "wb"}
    who["a"].ok("GET", "/executions/%s" % ex["id"], 404)
    # Visible, so the refusal hides nothing: 403, not 404 (Mistral's).
    for method, path, text in (
            ("PUT", "/workbooks", TEXTS["wb_pub"].replace("=wb", "=b")),
            ("DELETE", "/workbooks/wb_pub", None),
            ("PUT", "/workflows/%s" % inner["id"], TEXTS["wf_shared"]),
            ("DELETE", "/workflows/wb_pub.hello", None)):
        resp = b.call(method, path, text=text)
        assert resp.status_code == 403, (method, path, resp.text)
        assert "another project" in resp.json()["faultstring"], path
    kept = who["a"].ok("GET", "/workbooks/wb_pub")
    assert kept["definition"] == TEXTS["wb_pub"]
    assert who["a"].ok("GET", "/workflows/wb_pub.hello")["id"]


def test_a_public_action_is_seen_and_used_not_changed_by_others(
        who, a_shared):
    b = who["b"]
    action = a_shared["action"]
    seen = b.ok("GET", "/actions/pub_echo")
    assert (seen["id"], seen["scope"]) == (action["id"], "public")
    assert b.ok("GET", "/actions", params={"name": "pub_echo"})[
        "actions"][0]["id"] == action["id"]
    # B runs it on its own, and from a workflow of its own.
    run = b.ok("POST", "/action_executions", 201, body={"name": "pub_echo"})
    assert (run["state"], json.loads(run["output"])) == (
        "SUCCESS", {"result": "from a"}), run
    assert run["project_id"] == "proj-b"
    b.ok("POST", "/workflows", 201, text=TEXTS["uses_pub"])
    ex = b.ok("POST", "/executions", 201, body={"workflow_name": "uses_pub"})
    done = _wait_done(b, ex["id"], "B's workflow using A's shared action")
    assert done["state"] == "SUCCESS", done["state_info"]
    assert json.loads(done["output"]) == {"said": "from a"}
    changed = TEXTS["pub_echo"].replace("from a", "from b")
    for method, path, text in (("PUT", "/actions", changed),
                               ("PUT", "/actions/pub_echo", changed),
                               ("DELETE", "/actions/pub_echo", None)):
        resp = b.call(method, path, text=text)
        assert resp.status_code == 403, (method, path, resp.text)
        assert "another project" in resp.json()["faultstring"], path
    assert who["a"].ok("GET", "/actions/pub_echo")["definition"] == \
        TEXTS["pub_echo"]


def test_a_public_workflow_runs_in_the_starters_project(who, a_objects):
    b = who["b"]
    ex = b.ok("POST", "/executions", 201,
              body={"workflow_id": a_objects["public"]["id"]})
    assert ex["project_id"] == "proj-b"
    done = harness.wait_until(lambda: b.ok(
        "GET", "/executions/%s" % ex["id"])["state"] in ("SUCCESS",
                                                          "ERROR"), 60,
        "B's run of the shared workflow")
    assert done
    assert b.ok("GET", "/executions/%s" % ex["id"])["state"] == "SUCCESS"
    tasks = b.ok("GET", "/executions/%s/tasks" % ex["id"])["tasks"]
    assert {t["project_id"] for t in tasks} == {"proj-b"}
    who["a"].ok("GET", "/executions/%s" % ex["id"], 404)


def test_b_cannot_use_as_env_the_environment_of_a(who, a_objects):
    fault = who["b"].ok("POST", "/executions", 400, body={
        "workflow_id": a_objects["public"]["id"],
        "params": {"env": "env_a"}})
    assert "env_a" in fault["faultstring"]


def test_listeners_hear_their_own_project_only(who, a_objects):
    b = who["b"]
    mine = b.ok("POST", "/listeners", 201, body={"url": _closed_port_url()})
    a_ex = who["a"].ok("POST", "/executions", 201, body={
        "workflow_id": a_objects["public"]["id"]})
    b_ex = b.ok("POST", "/executions", 201, body={
        "workflow_id": a_objects["public"]["id"]})

    def heard():
        return {d["workflow_execution_id"] for d in b.ok(
            "GET", "/listeners/%s/deliveries" % mine["id"])["deliveries"]}
    harness.wait_until(lambda: b_ex["id"] in heard(), 60,
                       "deliveries of B's own execution to B's listener")
    harness.wait_until(lambda: who["a"].ok(
        "GET", "/executions/%s" % a_ex["id"])["state"] == "SUCCESS", 60,
        "A's execution")
    harness.wait_until(lambda: b.ok(
        "GET", "/executions/%s" % b_ex["id"])["state"] == "SUCCESS", 60,
        "B's execution")
    executions = heard()
    assert a_ex["id"] not in executions
    # B's earlier executions (an earlier test's) may be heard too, their
    # events fanned out after the listener was made: all are B's own.
    for ex_id in executions:
        b.ok("GET", "/executions/%s" % ex_id, 200)


def test_the_owner_completes_its_async_action(who, a_objects):
    a = who["a"]
    a.ok("PUT", "/action_executions/%s" % a_objects["action"]["id"],
         body={"state": "SUCCESS", "output": "done"})
    harness.wait_until(lambda: a.ok(
        "GET", "/executions/%s" % a_objects["ex"]["id"])["state"]
        == "SUCCESS", 60, "A's execution after its completion")


def test_no_credentials_is_401_everywhere_but_the_root(dep, a_objects):
    anon = Caller(dep, None)
    for method, path, body in _per_id(a_objects) + [
            ("GET", "/workflows", None), ("POST", "/executions", {}),
            ("GET", "", None)]:
        resp = anon.call(method, path, body=body)
        assert resp.status_code == 401, (method, path)
        assert set(resp.json()) == {"faultcode", "faultstring", "debuginfo"}
    assert requests.get(dep.root, timeout=30).status_code == 200


def test_the_canary_reaches_no_answer_to_b_and_no_log(dep, who, a_objects):
    assert CANARY in json.dumps(who["a"].ok("GET", "/environments/env_a"))
    assert not [t for t in who["b"].seen if CANARY in t]
    logs = [p.read_text(errors="replace")
            for p in pathlib.Path(dep.workdir).glob("**/*.log")]
    assert any(" DEBUG " in text for text in logs)  # all of it is logged
    assert not [text for text in logs if CANARY in text]


def test_a_workflow_cannot_call_another_projects_private_action(who):
    who["b"].ok("POST", "/actions", 201, text=(
        "version: '2.0'\nb_only:\n  base: std.echo\n  base-input:\n"
        "    output: from b\n"))
    a = who["a"]
    a.ok("POST", "/workflows", 201, text=(
        "version: '2.0'\nwf_uses_b:\n  tasks:\n    t:\n"
        "      action: b_only\n"))
    ex = a.ok("POST", "/executions", 201,
              body={"workflow_name": "wf_uses_b"})
    state = harness.wait_until(lambda: a.ok(
        "GET", "/executions/%s" % ex["id"])["state"] in ("SUCCESS", "ERROR")
        and a.ok("GET", "/executions/%s" % ex["id"]), 60, "A's execution")
    assert state["state"] == "ERROR"
    assert "b_only" in state["state_info"]
