"""Operator lifecycle requests against real processes (issue 4).

Re-run, step reset (mark IDLE / SUCCESS, then resume), pause and resume
with a new env, skip, with-items re-run of the failed items only,
sub-workflow re-run, every refused transition, the python-mistralclient
commands, and a resume racing with an action result.

Workflows call a local HTTP server (:class:`harness.StubHttpServer` on
127.0.0.1) with ``std.http``: a path containing ``/ok`` answers 200 with
``{"path": <path>}``, one containing ``/fail`` answers 500; "the wrong
port" is a free port nobody listens on. The deployments allow std.http
to reach loopback (``[action_std_http] denied_cidrs``).

Every test runs on the embedded default (``--server all``, SQLite). The
tests parametrized with ``deployment`` also run on the PostgreSQL +
RabbitMQ production layout (api + 2 engines + 2 executors): their ids end
in ``[production]`` and they carry the ``production`` marker.
"""
import json
import os
import threading
import time
import uuid

import pytest

from tests.functional import harness
from tests.functional.test_mistral_cli import MISTRAL
from tests.functional.test_mistral_cli import MistralCli

pytestmark = pytest.mark.timeout(180)

FINISH = 60          # seconds for an execution to reach a state
QUIET = 1.0          # seconds in which nothing may happen after a refusal


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------

def _stub_default(record):
    if "/ok" in record["path"]:
        return 200, {"path": record["path"]}
    if "/fail" in record["path"]:
        return 500, {"error": "failing on purpose", "path": record["path"]}
    return 404, {"error": "no route"}


@pytest.fixture(scope="module")
def stub():
    with harness.StubHttpServer(default=_stub_default) as server:
        yield server


@pytest.fixture(params=["embedded", pytest.param(
    "production", marks=pytest.mark.production)])
def deployment(request):
    """The embedded deployment, then the production layout."""
    return request.getfixturevalue(request.param + "_http")


@pytest.fixture
def paths(stub):
    """URLs on the stub unique to this test: ``paths.ok("x")``."""
    return Paths(stub)


class Paths:
    def __init__(self, stub):
        self.stub = stub
        self.prefix = "/" + harness.random_hex()

    def ok(self, name):
        return "%s%s/ok/%s" % (self.stub.url, self.prefix, name)

    def fail(self, name):
        return "%s%s/fail/%s" % (self.stub.url, self.prefix, name)

    def path_of(self, url):
        return url[len(self.stub.url):]

    def hits(self, url):
        return self.stub.received(self.path_of(url))


def wrong_port_url():
    return "http://%s:%d/nobody-listens" % (harness.LOOPBACK,
                                            harness.free_port())


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def create(api, definition):
    """Create the workflow(s) of ``definition`` unless they exist (module
    deployments are shared by the parametrized runs of a test)."""
    try:
        return api.create_workflow(definition)
    except harness.ApiError as exc:
        if exc.response.status_code == 409:
            return None
        raise


def put_task(api, task_id, body, expect=(200,)):
    return api.request("PUT", "/tasks/%s" % task_id, expect=expect,
                       json=body)


def put_execution(api, ex_id, body, expect=(200,)):
    return api.request("PUT", "/executions/%s" % ex_id, expect=expect,
                       json=body)


def actions_of(api, task):
    return api.action_executions(task["id"])


def action_summary(api, task):
    """Sorted ``[(state, input)]`` of a task's action executions."""
    return sorted(((a["state"], harness.loads_field(a["input"]))
                   for a in actions_of(api, task)),
                  key=lambda pair: json.dumps(pair, sort_keys=True))


def wait_task_state(api, ex_id, name, state, timeout=FINISH):
    return harness.wait_until(
        lambda: (lambda t: t if t and t["state"] == state else None)(
            harness.tasks_by_name(api, ex_id).get(name, [None])[-1]),
        timeout, "task %s of %s to be %s" % (name, ex_id, state))


def action_counts(api, ex_id):
    return {t["name"]: len(actions_of(api, t)) for t in api.tasks(ex_id)}


def assert_quiet(api, ex_id, state, stub=None, seconds=QUIET):
    """For ``seconds``: the execution stays ``state``, no task and no action
    execution appears, and the stub receives nothing."""
    tasks_before = sorted((t["id"], t["state"]) for t in api.tasks(ex_id))
    actions_before = action_counts(api, ex_id)
    received_before = len(stub.received()) if stub else 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert api.execution(ex_id)["state"] == state
        time.sleep(0.1)
    assert sorted((t["id"], t["state"]) for t in api.tasks(ex_id)) \
        == tasks_before
    assert action_counts(api, ex_id) == actions_before
    if stub:
        assert len(stub.received()) == received_before


def fault(resp):
    body = resp.json()
    assert set(body) >= {"faultstring", "debuginfo"}, body
    return body["faultstring"]


def assert_one_success_action(api, ex_id, names):
    """The tasks ``names`` each ran exactly one action, which succeeded."""
    by_name = harness.tasks_by_name(api, ex_id)
    for name in names:
        assert len(by_name.get(name, [])) == 1, (name, by_name.get(name))
        states = [a["state"] for a in actions_of(api, by_name[name][0])]
        assert states == ["SUCCESS"], (name, states)


# --------------------------------------------------------------------------
# The seed scenario: fix the endpoint in env, re-run or step-reset
# --------------------------------------------------------------------------

SEED_WF = """\
version: '2.0'
lc_seed:
  output:
    got: <% $.got %>
  tasks:
    prepare:
      action: std.echo output=prepared
      on-success: [call]
    call:
      action: std.http url=<% env().endpoint %>
      publish:
        got: <% task().result.content.path %>
      on-success: [finish]
    finish:
      action: std.echo output=<% $.got %>
"""


def _seed_failed(api, endpoint):
    create(api, SEED_WF)
    ex = harness.start_execution(api, "lc_seed", env={"endpoint": endpoint})
    ex = harness.wait_execution_state(api, ex["id"], "ERROR", FINISH)
    by_name = harness.tasks_by_name(api, ex["id"])
    assert sorted(by_name) == ["call", "prepare"], sorted(by_name)
    assert by_name["call"][0]["state"] == "ERROR"
    assert "call" in ex["state_info"]
    return ex, by_name["call"][0]


def _seed_succeeded(api, ex_id, paths, bad_url, good_url):
    ex = harness.wait_execution_state(api, ex_id, "SUCCESS", FINISH)
    assert harness.loads_field(ex["output"]) == {
        "got": paths.path_of(good_url)}
    assert harness.loads_field(ex["params"])["env"] == {
        "endpoint": good_url}
    by_name = harness.tasks_by_name(api, ex_id)
    assert sorted(by_name) == ["call", "finish", "prepare"]
    assert all(len(v) == 1 for v in by_name.values()), by_name
    assert all(t[0]["state"] == "SUCCESS" for t in by_name.values())
    # The tasks that had succeeded ran once; the failed one twice.
    assert_one_success_action(api, ex_id, ["prepare", "finish"])
    assert action_summary(api, by_name["call"][0]) == [
        ("ERROR", {"url": bad_url}), ("SUCCESS", {"url": good_url})]
    assert len(paths.hits(good_url)) == 1


@pytest.mark.parametrize("broken", ["status500", "wrong_port"])
def test_seed_rerun_with_env(deployment, paths, broken):
    """(a) ``PUT /v2/tasks/<id>`` RUNNING, reset, env as a JSON string."""
    api = deployment.api
    bad = paths.fail("seed") if broken == "status500" else wrong_port_url()
    good = paths.ok("seed-a")
    ex, call = _seed_failed(api, bad)

    resp = put_task(api, call["id"], {
        "state": "RUNNING", "reset": True,
        "env": json.dumps({"endpoint": good})})
    assert resp.json()["id"] == call["id"]
    assert resp.json()["state"] in ("RUNNING", "SUCCESS")

    _seed_succeeded(api, ex["id"], paths, bad, good)
    if broken == "status500":
        assert len(paths.hits(bad)) == 1


@pytest.mark.parametrize("broken", ["status500", "wrong_port"])
def test_seed_step_reset_and_resume_with_env(deployment, paths, stub,
                                             broken):
    """(b) mark the failed task IDLE, then ``PUT /v2/executions/<id>``
    RUNNING with ``params.env``."""
    api = deployment.api
    bad = paths.fail("seed") if broken == "status500" else wrong_port_url()
    good = paths.ok("seed-b")
    ex, call = _seed_failed(api, bad)

    marked = put_task(api, call["id"], {"state": "IDLE"}).json()
    assert marked["id"] == call["id"]
    assert marked["state"] == "IDLE"
    # Marking starts nothing: the execution stays ERROR until resumed.
    assert_quiet(api, ex["id"], "ERROR", stub)

    resumed = put_execution(api, ex["id"], {
        "state": "RUNNING", "params": {"env": {"endpoint": good}}}).json()
    assert resumed["id"] == ex["id"]
    assert resumed["state"] in ("RUNNING", "SUCCESS")

    _seed_succeeded(api, ex["id"], paths, bad, good)


# --------------------------------------------------------------------------
# Pause, then resume with a fresh token
# --------------------------------------------------------------------------

TOKEN_WF = """\
version: '2.0'
lc_token:
  tasks:
    early:
      action: std.http
      input:
        url: <% env().base %>/ok/early
        headers:
          X-Token: <% env().token %>
      on-success: [later]
    later:
      wait-before: 2
      action: std.http
      input:
        url: <% env().base %>/ok/later
        headers:
          X-Token: <% env().token %>
      on-success: [last]
    last:
      action: std.echo
      input:
        output: <% env().token %>
"""


def test_pause_then_resume_with_fresh_token(deployment, paths, stub):
    api = deployment.api
    base = paths.ok("x")[:-len("/ok/x")]
    create(api, TOKEN_WF)
    ex = harness.start_execution(api, "lc_token", env={
        "base": base, "token": "old-token", "other": {"keep": 1}})
    # `later` waits 2 s before it runs: pause in that window.
    harness.task_named(api, ex["id"], "later", timeout=30)
    paused = put_execution(api, ex["id"], {"state": "PAUSED"}).json()
    assert paused["state"] == "PAUSED"
    # The wait ends while paused: still nothing runs.
    assert_quiet(api, ex["id"], "PAUSED", stub, seconds=2.5)
    assert paths.hits(base + "/ok/later") == []

    resumed = put_execution(api, ex["id"], {
        "state": "RUNNING",
        "params": {"env": {"token": "new-token"}}}).json()
    assert resumed["state"] in ("RUNNING", "SUCCESS")
    ex = harness.wait_execution_state(api, ex["id"], "SUCCESS", FINISH)

    # The env was overlaid, not replaced.
    assert harness.loads_field(ex["params"])["env"] == {
        "base": base, "token": "new-token", "other": {"keep": 1}}
    [early_hit] = paths.hits(base + "/ok/early")
    [later_hit] = paths.hits(base + "/ok/later")
    assert early_hit["headers"]["x-token"] == "old-token"
    assert later_hit["headers"]["x-token"] == "new-token"
    by_name = harness.tasks_by_name(api, ex["id"])
    [early_action] = actions_of(api, by_name["early"][0])
    [later_action] = actions_of(api, by_name["later"][0])
    # The recorded input of the task that completed before keeps the old.
    assert harness.loads_field(early_action["input"])["headers"] == {
        "X-Token": "old-token"}
    assert harness.loads_field(later_action["input"])["headers"] == {
        "X-Token": "new-token"}
    assert harness.loads_field(by_name["last"][0]["result"]) == "new-token"
    assert_one_success_action(api, ex["id"], ["early", "later", "last"])


# --------------------------------------------------------------------------
# with-items: re-run only the failed items
# --------------------------------------------------------------------------

ITEMS_WF = """\
version: '2.0'
lc_items:
  output:
    paths: <% $.paths %>
  tasks:
    fetch:
      with-items: key in <% list(a, b, c, d) %>
      action: std.http url=<% env().urls.get($.key) %>
      publish:
        paths: <% task().result.select($.content.path) %>
"""


def _items_failed(api, paths, workflow="lc_items", definition=ITEMS_WF):
    urls = {"a": paths.ok("a"), "b": paths.fail("b"), "c": paths.ok("c"),
            "d": wrong_port_url()}
    create(api, definition)
    ex = harness.start_execution(api, workflow, env={"urls": urls})
    harness.wait_execution_state(api, ex["id"], "ERROR", FINISH)
    fetch = harness.task_named(api, ex["id"], "fetch")
    assert fetch["state"] == "ERROR"
    assert sorted(a["state"] for a in actions_of(api, fetch)) == [
        "ERROR", "ERROR", "SUCCESS", "SUCCESS"]
    return ex, fetch, urls


def _items_fixed(api, paths, ex_id, fetch, urls):
    ex = harness.wait_execution_state(api, ex_id, "SUCCESS", FINISH)
    expected = [paths.path_of(paths.ok(k)) for k in "abcd"]
    assert harness.loads_field(ex["output"]) == {"paths": expected}
    # a and c ran once; b and d once failed and once succeeded.
    for key in "ac":
        assert len(paths.hits(urls[key])) == 1, key
    for key in "bd":
        assert len(paths.hits(paths.ok(key))) == 1, key
    assert len(paths.hits(urls["b"])) == 1
    summary = action_summary(api, fetch)
    assert sorted(s for s, _ in summary) == [
        "ERROR", "ERROR", "SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS"]
    succeeded = sorted(i["url"] for s, i in summary if s == "SUCCESS")
    assert succeeded == sorted(paths.ok(k) for k in "abcd")
    assert [t["name"] for t in api.tasks(ex_id)] == ["fetch"]


def test_with_items_rerun_failed_items_only(embedded_http, paths):
    api = embedded_http.api
    ex, fetch, urls = _items_failed(api, paths)
    put_task(api, fetch["id"], {
        "state": "RUNNING", "reset": False,
        "env": {"urls": {"b": paths.ok("b"), "d": paths.ok("d")}}})
    _items_fixed(api, paths, ex["id"], fetch, urls)


# --------------------------------------------------------------------------
# Sub-workflows: re-run from the child, the parent chain follows
# --------------------------------------------------------------------------

NESTED_WF = """\
version: '2.0'
lc_root:
  output:
    got: <% $.got %>
  tasks:
    before:
      action: std.noop
      on-success: [middle]
    middle:
      workflow: lc_middle
      publish:
        got: <% task().result.got %>
lc_middle:
  output:
    got: <% $.got %>
  tasks:
    leaf:
      workflow: lc_leaf
      publish:
        got: <% task().result.got %>
lc_leaf:
  output:
    got: <% $.got %>
  tasks:
    call:
      action: std.http url=<% env().endpoint %>
      publish:
        got: <% task().result.content.path %>
      on-success: [settle]
    settle:
      action: std.sleep seconds=2
"""


def _children(api, task_id):
    return api.list_executions(task_execution_id=task_id)


@pytest.mark.parametrize("how", ["rerun", "mark_and_resume"])
def test_subworkflow_rerun_from_the_child(embedded_http, paths, how):
    api = embedded_http.api
    create(api, NESTED_WF)
    bad, good = paths.fail("leaf"), paths.ok("leaf")
    root = harness.start_execution(api, "lc_root", env={"endpoint": bad})
    harness.wait_execution_state(api, root["id"], "ERROR", FINISH)
    middle_task = harness.task_named(api, root["id"], "middle")
    [middle] = _children(api, middle_task["id"])
    middle = harness.wait_execution_state(api, middle["id"], "ERROR", 10)
    leaf_task = harness.task_named(api, middle["id"], "leaf")
    [leaf] = _children(api, leaf_task["id"])
    leaf = harness.wait_execution_state(api, leaf["id"], "ERROR", 10)
    call = harness.task_named(api, leaf["id"], "call")
    assert call["state"] == "ERROR"
    assert middle_task["state"] == "ERROR" and leaf_task["state"] == "ERROR"

    if how == "rerun":
        put_task(api, call["id"], {"state": "RUNNING", "reset": True,
                                   "env": {"endpoint": good}})
    else:
        put_task(api, call["id"], {"state": "IDLE"})
        assert_quiet(api, root["id"], "ERROR")
        put_execution(api, leaf["id"], {
            "state": "RUNNING", "params": {"env": {"endpoint": good}}})

    # While the leaf's `settle` sleeps, the whole chain is RUNNING again.
    def chain_running():
        states = [api.execution(i)["state"]
                  for i in (leaf["id"], middle["id"], root["id"])]
        return states == ["RUNNING"] * 3 and states
    harness.wait_until(chain_running, 10, "leaf, middle and root RUNNING")
    assert api.task(middle_task["id"])["state"] == "RUNNING"
    assert api.task(leaf_task["id"])["state"] == "RUNNING"

    root = harness.wait_execution_state(api, root["id"], "SUCCESS", FINISH)
    assert harness.loads_field(root["output"]) == {
        "got": paths.path_of(good)}
    for ex_id in (middle["id"], leaf["id"]):
        assert api.execution(ex_id)["state"] == "SUCCESS"
    # No second child was started: the same sub-executions finished.
    assert [e["id"] for e in _children(api, middle_task["id"])] == [
        middle["id"]]
    assert [e["id"] for e in _children(api, leaf_task["id"])] == [leaf["id"]]
    assert_one_success_action(api, root["id"], ["before"])
    assert_one_success_action(api, leaf["id"], ["settle"])
    assert [s for s, _ in action_summary(api, call)] == ["ERROR", "SUCCESS"]


# --------------------------------------------------------------------------
# Skip, with and without on-skip
# --------------------------------------------------------------------------

SKIP_WF = """\
version: '2.0'
lc_skip_with:
  output:
    how: <% $.how %>
  tasks:
    bad:
      action: std.fail
      publish-on-skip:
        how: skipped
      on-skip: [alternative]
      on-success: [normal]
    alternative:
      action: std.echo output=<% $.how %>
    normal:
      action: std.noop
lc_skip_without:
  tasks:
    bad:
      action: std.fail
      on-success: [normal]
    normal:
      action: std.echo output=after-skip
"""


@pytest.mark.parametrize("variant", ["with", "without"])
def test_skip_failed_task(embedded_http, variant):
    api = embedded_http.api
    create(api, SKIP_WF)
    name = "lc_skip_" + variant
    ex = harness.start_execution(api, name)
    harness.wait_execution_state(api, ex["id"], "ERROR", FINISH)
    bad = harness.task_named(api, ex["id"], "bad")
    assert bad["state"] == "ERROR"

    skipped = put_task(api, bad["id"], {"state": "SKIPPED"}).json()
    assert skipped["state"] == "SKIPPED"
    ex = harness.wait_execution_state(api, ex["id"], "SUCCESS", FINISH)

    by_name = harness.tasks_by_name(api, ex["id"])
    bad = by_name["bad"][0]
    assert bad["state"] == "SKIPPED"
    # Skipping does not run the action again.
    assert [a["state"] for a in actions_of(api, bad)] == ["ERROR"]
    if variant == "with":
        assert sorted(by_name) == ["alternative", "bad"]
        assert harness.loads_field(bad["published"]) == {"how": "skipped"}
        assert harness.loads_field(
            by_name["alternative"][0]["result"]) == "skipped"
        assert harness.loads_field(ex["output"]) == {"how": "skipped"}
        assert_one_success_action(api, ex["id"], ["alternative"])
    else:
        assert sorted(by_name) == ["bad", "normal"]
        assert harness.loads_field(
            by_name["normal"][0]["result"]) == "after-skip"
        assert_one_success_action(api, ex["id"], ["normal"])


# --------------------------------------------------------------------------
# Two failed parallel branches: one replayed, one fixed by hand
# --------------------------------------------------------------------------

BRANCHES_WF = """\
version: '2.0'
lc_branches:
  output:
    joined: <% $.joined %>
  tasks:
    b1:
      action: std.http url=<% env().b1 %>
      publish:
        from_b1: <% task().result.content.path %>
      on-success: [joined]
    b2:
      action: std.http url=<% env().b2 %>
      publish:
        from_b2: <% task().result.content.path %>
      on-success: [joined]
    joined:
      join: all
      action: std.echo
      input:
        output: <% [$.from_b1, $.from_b2] %>
      publish:
        joined: <% task().result %>
"""


def test_mark_two_failed_branches_then_resume_once(deployment, paths, stub):
    api = deployment.api
    create(api, BRANCHES_WF)
    bad1, bad2 = paths.fail("b1"), wrong_port_url()
    ex = harness.start_execution(api, "lc_branches",
                                 env={"b1": bad1, "b2": bad2})
    harness.wait_execution_state(api, ex["id"], "ERROR", FINISH)
    b1 = wait_task_state(api, ex["id"], "b1", "ERROR", 10)
    b2 = wait_task_state(api, ex["id"], "b2", "ERROR", 10)
    assert "joined" not in harness.tasks_by_name(api, ex["id"])

    marked1 = put_task(api, b1["id"], {"state": "INITIAL"}).json()
    assert marked1["state"] == "IDLE"
    marked2 = put_task(api, b2["id"], {
        "state": "DONE", "published": {"from_b2": "fixed-by-hand"}}).json()
    assert marked2["state"] == "SUCCESS"
    assert "hand" in (marked2["state_info"] or "").lower(), marked2
    assert harness.loads_field(marked2["published"]) == {
        "from_b2": "fixed-by-hand"}
    assert_quiet(api, ex["id"], "ERROR", stub)
    assert "joined" not in harness.tasks_by_name(api, ex["id"])

    good1 = paths.ok("b1")
    # params as a JSON-encoded string, as python-mistralclient sends it.
    put_execution(api, ex["id"], {
        "state": "RUNNING", "params": json.dumps({"env": {"b1": good1}})})
    ex = harness.wait_execution_state(api, ex["id"], "SUCCESS", FINISH)

    assert harness.loads_field(ex["output"]) == {
        "joined": [paths.path_of(good1), "fixed-by-hand"]}
    by_name = harness.tasks_by_name(api, ex["id"])
    assert sorted(by_name) == ["b1", "b2", "joined"]
    assert all(len(v) == 1 for v in by_name.values()), by_name
    assert [s for s, _ in action_summary(api, by_name["b1"][0])] == [
        "ERROR", "SUCCESS"]
    # b2 was declared done: its action did not run again.
    assert [s for s, _ in action_summary(api, by_name["b2"][0])] == ["ERROR"]
    assert by_name["b2"][0]["state"] == "SUCCESS"
    assert_one_success_action(api, ex["id"], ["joined"])
    assert len(paths.hits(good1)) == 1


# --------------------------------------------------------------------------
# Refused transitions: status, message, and nothing changes
# --------------------------------------------------------------------------

REFUSE_WF = """\
version: '2.0'
lc_refuse_ok:
  tasks:
    fine:
      action: std.noop
lc_refuse_bad:
  tasks:
    broken:
      action: std.fail
"""


@pytest.fixture(scope="module")
def refusal_targets(embedded_http):
    api = embedded_http.api
    create(api, REFUSE_WF)
    done = harness.start_execution(api, "lc_refuse_ok")
    failed = harness.start_execution(api, "lc_refuse_bad")
    done = harness.wait_execution_state(api, done["id"], "SUCCESS", FINISH)
    failed = harness.wait_execution_state(api, failed["id"], "ERROR",
                                          FINISH)
    return {"done_ex": done["id"], "failed_ex": failed["id"],
            "done_task": harness.task_named(api, done["id"], "fine")["id"],
            "failed_task": harness.task_named(api, failed["id"],
                                              "broken")["id"],
            "unknown": str(uuid.uuid4())}


# (what, target, body, status, words the message must contain)
REFUSALS = [
    ("rerun of a SUCCESS task", "tasks", "done_task",
     {"state": "RUNNING", "reset": True}, 400, ["re-run", "SUCCESS"]),
    ("re-run without reset", "tasks", "failed_task",
     {"state": "RUNNING"}, 400, ["reset"]),
    ("task env with state SKIPPED", "tasks", "failed_task",
     {"state": "SKIPPED", "env": json.dumps({"a": 1})}, 400,
     ["env", "SKIPPED"]),
    ("task env with state IDLE", "tasks", "failed_task",
     {"state": "IDLE", "env": {"a": 1}}, 400, ["env", "IDLE"]),
    ("execution env with state PAUSED", "executions", "failed_ex",
     {"state": "PAUSED", "params": {"env": {"a": 1}}}, 400,
     ["env", "PAUSED"]),
    ("execution env with state CANCELLED", "executions", "failed_ex",
     {"state": "CANCELLED", "params": {"env": {"a": 1}}}, 400,
     ["env", "CANCELLED"]),
    # (A resume of a SUCCESS execution is answered 200 and changes
    # nothing, as on Mistral: conformance case
    # generated.lifecycle_success_resume.)
    ("pause of a SUCCESS execution", "executions", "done_ex",
     {"state": "PAUSED"}, 400, ["pause", "SUCCESS"]),
    ("empty execution update", "executions", "failed_ex", {}, 400,
     ["needs 'state'", "description", "params.env"]),
    ("empty task update", "tasks", "failed_task", {}, 400,
     ["state", "IDLE", "SUCCESS", "RUNNING", "SKIPPED"]),
    # The state sent is not repeated (issue 15): the allowed ones are.
    ("unknown task state", "tasks", "failed_task", {"state": "PAUSED"},
     400, ["Invalid task state", "IDLE", "SUCCESS", "RUNNING", "SKIPPED"]),
    ("resume of an ERROR execution with nothing marked", "executions",
     "failed_ex", {"state": "RUNNING"}, 400, ["nothing to resume", "mark"]),
    ("mark a SUCCESS task IDLE", "tasks", "done_task", {"state": "IDLE"},
     400, ["SUCCESS"]),
    ("mark a task of a SUCCESS execution SUCCESS", "tasks", "done_task",
     {"state": "SUCCESS"}, 400, ["SUCCESS"]),
    ("published with IDLE", "tasks", "failed_task",
     {"state": "IDLE", "published": {"x": 1}}, 400, ["published"]),
    ("unknown task id, re-run", "tasks", "unknown",
     {"state": "RUNNING", "reset": True}, 404, ["not found"]),
    ("unknown task id, mark", "tasks", "unknown", {"state": "IDLE"}, 404,
     ["not found"]),
    ("unknown execution id, resume", "executions", "unknown",
     {"state": "RUNNING"}, 404, ["not found"]),
    ("unknown execution id, env", "executions", "unknown",
     {"params": {"env": {"a": 1}}}, 404, ["not found"]),
]


@pytest.mark.parametrize("what,kind,target,body,status,words", REFUSALS,
                         ids=[r[0] for r in REFUSALS])
def test_refused_transition(embedded_http, refusal_targets, what, kind,
                            target, body, status, words):
    api = embedded_http.api
    obj_id = refusal_targets[target]
    resp = api.request("PUT", "/%s/%s" % (kind, obj_id), expect=None,
                       json=body)
    assert resp.status_code == status, (what, resp.status_code, resp.text)
    message = fault(resp)
    for word in words:
        assert word.lower() in message.lower(), (what, word, message)

    # Nothing changed.
    done, failed = refusal_targets["done_ex"], refusal_targets["failed_ex"]
    assert api.execution(done)["state"] == "SUCCESS"
    assert api.execution(failed)["state"] == "ERROR"
    assert api.task(refusal_targets["done_task"])["state"] == "SUCCESS"
    broken = api.task(refusal_targets["failed_task"])
    assert broken["state"] == "ERROR"
    assert [a["state"] for a in actions_of(api, broken)] == ["ERROR"]
    assert harness.loads_field(api.execution(failed)["params"]).get(
        "env") in (None, {})


# --------------------------------------------------------------------------
# python-mistralclient
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cli(embedded_http, tmp_path_factory):
    if not os.path.exists(MISTRAL):
        pytest.fail("python-mistralclient's mistral script is missing: %s"
                    % MISTRAL)
    return MistralCli(embedded_http.url,
                      str(tmp_path_factory.mktemp("lifecycle-cli")))


def test_cli_pause_env_resume(embedded_http, cli, paths, stub):
    """``execution-update -s PAUSED``, ``--env`` alone, ``-s RUNNING``."""
    api = embedded_http.api
    base = paths.ok("x")[:-len("/ok/x")]
    create(api, TOKEN_WF)
    ex = harness.start_execution(api, "lc_token", env={
        "base": base, "token": "old-token"})
    harness.task_named(api, ex["id"], "later", timeout=30)

    shown = cli.json("execution-update", ex["id"], "-s", "PAUSED")
    assert shown["ID"] == ex["id"] and shown["State"] == "PAUSED", shown
    shown = cli.json("execution-update", ex["id"], "--env",
                     json.dumps({"token": "cli-token"}))
    assert shown["State"] == "PAUSED", shown
    assert harness.loads_field(api.execution(ex["id"])["params"])["env"] \
        == {"base": base, "token": "cli-token"}
    assert_quiet(api, ex["id"], "PAUSED", stub, seconds=2.5)

    shown = cli.json("execution-update", ex["id"], "-s", "RUNNING")
    assert shown["State"] in ("RUNNING", "SUCCESS"), shown
    harness.wait_execution_state(api, ex["id"], "SUCCESS", FINISH)
    [later_hit] = paths.hits(base + "/ok/later")
    assert later_hit["headers"]["x-token"] == "cli-token"
    [early_hit] = paths.hits(base + "/ok/early")
    assert early_hit["headers"]["x-token"] == "old-token"


def test_cli_execution_update_resume_with_env(embedded_http, cli, paths):
    """Step reset through the CLI: mark IDLE (API), then
    ``execution-update <id> -s RUNNING --env '{...}'``."""
    api = embedded_http.api
    bad, good = paths.fail("cli-seed"), paths.ok("cli-seed")
    ex, call = _seed_failed(api, bad)
    put_task(api, call["id"], {"state": "IDLE"})
    shown = cli.json("execution-update", ex["id"], "-s", "RUNNING",
                     "--env", json.dumps({"endpoint": good}))
    assert shown["State"] in ("RUNNING", "SUCCESS"), shown
    _seed_succeeded(api, ex["id"], paths, bad, good)


def test_cli_task_rerun_with_env(embedded_http, cli, paths):
    api = embedded_http.api
    bad, good = paths.fail("cli-rerun"), paths.ok("cli-rerun")
    ex, call = _seed_failed(api, bad)
    shown = cli.json("task-rerun", call["id"], "--env",
                     json.dumps({"endpoint": good}))
    assert shown["ID"] == call["id"], shown
    assert shown["State"] in ("RUNNING", "SUCCESS"), shown
    _seed_succeeded(api, ex["id"], paths, bad, good)


ITEMS_CLI_WF = ITEMS_WF.replace("lc_items:", "lc_items_cli:")


def test_cli_task_rerun_resume_with_items(embedded_http, cli, paths):
    """``task-rerun <id> --resume --env``: only the failed items."""
    api = embedded_http.api
    ex, fetch, urls = _items_failed(api, paths, "lc_items_cli",
                                    ITEMS_CLI_WF)
    shown = cli.json("task-rerun", fetch["id"], "--resume", "--env",
                     json.dumps({"urls": {"b": paths.ok("b"),
                                          "d": paths.ok("d")}}))
    assert shown["ID"] == fetch["id"], shown
    _items_fixed(api, paths, ex["id"], fetch, urls)


def test_cli_task_rerun_of_success_task_is_refused(embedded_http, cli,
                                                   paths):
    api = embedded_http.api
    good = paths.ok("cli-refused")
    create(api, SEED_WF)
    ex = harness.start_execution(api, "lc_seed", env={"endpoint": good})
    harness.wait_execution_state(api, ex["id"], "SUCCESS", FINISH)
    call = harness.task_named(api, ex["id"], "call")
    proc = cli.run("task-rerun", call["id"], check=False)
    assert proc.returncode != 0
    assert "SUCCESS" in proc.stderr + proc.stdout, proc.stderr
    assert [a["state"] for a in actions_of(api, call)] == ["SUCCESS"]


# --------------------------------------------------------------------------
# A resume racing with an action result
# --------------------------------------------------------------------------

RACE_WF = """\
version: '2.0'
lc_race:
  tasks:
    waiting:
      action: std.async_noop
      on-success: [after]
    after:
      action: std.echo output=after
"""
RACES = 8


def _race_one(deployment, ex_id):
    """Pause, then complete the action and resume at the same moment."""
    api = deployment.api
    waiting = harness.task_named(api, ex_id, "waiting", timeout=30)
    [action] = harness.wait_until(lambda: actions_of(api, waiting), 30,
                                  "the action of %s" % waiting["id"])
    harness.wait_action_claimed(deployment, action["id"])
    put_execution(api, ex_id, {"state": "PAUSED"})
    barrier = threading.Barrier(2, timeout=30)
    answers = {}
    # A session per thread: requests.Session is not thread-safe.
    client = harness.ApiClient(deployment.url)

    def complete():
        barrier.wait()
        answers["complete"] = client.request(
            "PUT", "/action_executions/%s" % action["id"], expect=None,
            json={"state": "SUCCESS", "output": {"done": True}})

    def resume():
        barrier.wait()
        answers["resume"] = harness.ApiClient(deployment.url).request(
            "PUT", "/executions/%s" % ex_id, expect=None,
            json={"state": "RUNNING"})

    threads = [threading.Thread(target=complete),
               threading.Thread(target=resume)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return {k: (v.status_code, v.text[:300]) for k, v in answers.items()}


@pytest.mark.timeout(300)
def test_resume_races_with_action_result(deployment):
    api = deployment.api
    create(api, RACE_WF)
    ids = [harness.start_execution(api, "lc_race")["id"]
           for _ in range(RACES)]
    outcomes = {}
    errors = []

    def race(ex_id):
        try:
            outcomes[ex_id] = _race_one(deployment, ex_id)
        except Exception as exc:  # reported below
            errors.append((ex_id, repr(exc)))

    threads = [threading.Thread(target=race, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    for ex_id, answers in outcomes.items():
        assert answers["complete"][0] == 200, (ex_id, answers)
        assert answers["resume"][0] == 200, (ex_id, answers)

    executions = api.wait_all(ids, FINISH)
    harness.assert_exactly_once(deployment, executions,
                                ["waiting", "after"])
    for ex_id in ids:
        waiting = harness.task_named(api, ex_id, "waiting")
        assert harness.loads_field(waiting["result"]) == {"done": True}


HOLD_WF = """\
version: '2.0'
lc_race_sync:
  tasks:
    waiting:
      action: std.http url=<% env().url %>
      publish:
        got: <% task().result.content %>
      on-success: [after]
    after:
      action: std.echo output=after
"""


@pytest.mark.timeout(300)
def test_resume_races_with_sync_action_result(deployment, stub):
    """The executor's result of a std.http call and the resume reach the
    engine(s) at the same moment: the call is held by the test server
    until the resume is sent."""
    api = deployment.api
    create(api, HOLD_WF)
    prefix = "/" + harness.random_hex()
    releases = {}

    def held(record):
        releases[record["path"]].wait(60)
        return 200, {"released": record["path"]}

    ids = []
    for n in range(RACES):
        path = "%s/hold/%d" % (prefix, n)
        releases[path] = threading.Event()
        stub.route(path, held)
        ids.append(harness.start_execution(
            api, "lc_race_sync", env={"url": stub.url + path})["id"])
    paths_by_ex = dict(zip(ids, releases))
    harness.wait_until(lambda: all(stub.received(p) for p in releases), 30,
                       "every held call to arrive")
    for ex_id in ids:
        put_execution(api, ex_id, {"state": "PAUSED"})

    answers, errors = {}, []
    barrier = threading.Barrier(len(ids) * 2, timeout=30)

    def release(ex_id):
        barrier.wait()
        releases[paths_by_ex[ex_id]].set()

    def resume(ex_id):
        try:
            barrier.wait()
            answers[ex_id] = harness.ApiClient(deployment.url).request(
                "PUT", "/executions/%s" % ex_id, expect=None,
                json={"state": "RUNNING"})
        except Exception as exc:
            errors.append((ex_id, repr(exc)))

    threads = [threading.Thread(target=fn, args=(i,))
               for i in ids for fn in (release, resume)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert {i: r.status_code for i, r in answers.items()} == {
        i: 200 for i in ids}, {i: r.text for i, r in answers.items()}

    executions = api.wait_all(ids, FINISH)
    harness.assert_exactly_once(deployment, executions,
                                ["waiting", "after"])
    for ex_id in ids:
        waiting = harness.task_named(api, ex_id, "waiting")
        assert harness.loads_field(waiting["published"]) == {
            "got": {"released": paths_by_ex[ex_id]}}
        assert len(stub.received(paths_by_ex[ex_id])) == 1


# --------------------------------------------------------------------------
# Concurrent operator requests: one wins, nothing runs twice
# --------------------------------------------------------------------------

def _twice_at_once(deployment, method, path, body):
    barrier = threading.Barrier(2, timeout=30)
    answers = []

    def send():
        client = harness.ApiClient(deployment.url)
        barrier.wait()
        answers.append(client.request(method, path, expect=None, json=body))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return sorted(answers, key=lambda r: r.status_code)


@pytest.mark.parametrize("how", ["double_rerun", "double_resume"])
def test_concurrent_requests_replay_once(deployment, paths, how):
    api = deployment.api
    bad, good = paths.fail("twice-" + how), paths.ok("twice-" + how)
    ex, call = _seed_failed(api, bad)
    if how == "double_rerun":
        answers = _twice_at_once(deployment, "PUT", "/tasks/%s" % call["id"],
                                 {"state": "RUNNING", "reset": True,
                                  "env": {"endpoint": good}})
    else:
        put_task(api, call["id"], {"state": "IDLE"})
        answers = _twice_at_once(deployment, "PUT",
                                 "/executions/%s" % ex["id"],
                                 {"state": "RUNNING",
                                  "params": {"env": {"endpoint": good}}})
    assert [r.status_code for r in answers] == [200, 400], [
        (r.status_code, r.text) for r in answers]
    assert "RUNNING" in fault(answers[1]) or "SUCCESS" in fault(answers[1])
    _seed_succeeded(api, ex["id"], paths, bad, good)


def test_rerun_one_of_two_failed_branches_then_the_other(embedded_http,
                                                         paths):
    """After the first re-run the join still waits for the other failed
    branch: the execution fails again; the second re-run completes it."""
    api = embedded_http.api
    create(api, BRANCHES_WF)
    bad1, bad2 = paths.fail("rb1"), paths.fail("rb2")
    good1, good2 = paths.ok("rb1"), paths.ok("rb2")
    ex = harness.start_execution(api, "lc_branches",
                                 env={"b1": bad1, "b2": bad2})
    harness.wait_execution_state(api, ex["id"], "ERROR", FINISH)
    b1 = wait_task_state(api, ex["id"], "b1", "ERROR", 10)
    b2 = wait_task_state(api, ex["id"], "b2", "ERROR", 10)

    put_task(api, b1["id"], {"state": "RUNNING", "reset": True,
                             "env": {"b1": good1}})
    harness.wait_until(lambda: api.task(b1["id"])["state"] == "SUCCESS", 30,
                       "b1 to succeed")
    failed_again = harness.wait_execution_state(api, ex["id"], "ERROR",
                                                FINISH)
    assert "b2" in failed_again["state_info"]
    # The join can not be satisfied while b2 is failed: as in Mistral it
    # fails (a re-run of b2 revives it), and it must not have run.
    for joined in harness.tasks_by_name(api, ex["id"]).get("joined", []):
        assert joined["state"] == "ERROR", joined
        assert joined["state_info"].startswith("Failed by tasks: ['b2']")
        assert actions_of(api, joined) == []

    put_task(api, b2["id"], {"state": "RUNNING", "reset": True,
                             "env": {"b2": good2}})
    ex = harness.wait_execution_state(api, ex["id"], "SUCCESS", FINISH)
    assert harness.loads_field(ex["output"]) == {
        "joined": [paths.path_of(good1), paths.path_of(good2)]}
    by_name = harness.tasks_by_name(api, ex["id"])
    assert sorted(by_name) == ["b1", "b2", "joined"]
    assert all(len(v) == 1 for v in by_name.values()), by_name
    assert_one_success_action(api, ex["id"], ["joined"])
    for url in (good1, good2):
        assert len(paths.hits(url)) == 1


PAUSED_MARK_WF = """\
version: '2.0'
lc_paused_mark:
  output:
    joined: <% $.joined %>
  tasks:
    slow:
      action: std.sleep seconds=3
      on-success: [joined]
    flaky:
      action: std.http url=<% env().flaky %>
      publish:
        from_flaky: <% task().result.content.path %>
      on-success: [joined]
    joined:
      join: all
      action: std.echo output=<% $.from_flaky %>
      publish:
        joined: <% task().result %>
"""


@pytest.mark.parametrize("mark", ["IDLE", "SUCCESS"])
def test_mark_failed_task_of_paused_execution(embedded_http, paths, mark):
    """A branch fails while another still runs; the operator pauses, marks
    the failed task, and resumes once (spec: marks are allowed while the
    execution is PAUSED)."""
    api = embedded_http.api
    create(api, PAUSED_MARK_WF)
    bad, good = paths.fail("flaky-" + mark), paths.ok("flaky-" + mark)
    ex = harness.start_execution(api, "lc_paused_mark", env={"flaky": bad})
    flaky = wait_task_state(api, ex["id"], "flaky", "ERROR", 10)
    # `slow` still sleeps: the execution has not failed yet.
    assert api.execution(ex["id"])["state"] == "RUNNING"
    put_execution(api, ex["id"], {"state": "PAUSED"})
    body = {"state": mark}
    if mark == "SUCCESS":
        body["published"] = {"from_flaky": "by-hand"}
    marked = put_task(api, flaky["id"], body).json()
    assert marked["state"] == mark
    wait_task_state(api, ex["id"], "slow", "SUCCESS", 10)
    time.sleep(0.5)
    assert api.execution(ex["id"])["state"] == "PAUSED"
    assert "joined" not in harness.tasks_by_name(api, ex["id"])

    resume = {"state": "RUNNING"}
    if mark == "IDLE":
        resume["params"] = {"env": {"flaky": good}}
    put_execution(api, ex["id"], resume)
    ex = harness.wait_execution_state(api, ex["id"], "SUCCESS", FINISH)
    want = paths.path_of(good) if mark == "IDLE" else "by-hand"
    assert harness.loads_field(ex["output"]) == {"joined": want}
    by_name = harness.tasks_by_name(api, ex["id"])
    assert sorted(by_name) == ["flaky", "joined", "slow"]
    assert all(len(v) == 1 for v in by_name.values()), by_name
    assert_one_success_action(api, ex["id"], ["slow", "joined"])
    assert [s for s, _ in action_summary(api, by_name["flaky"][0])] == (
        ["ERROR", "SUCCESS"] if mark == "IDLE" else ["ERROR"])
