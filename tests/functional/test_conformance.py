"""Mistral workflow language v2 conformance, case by case.

Every case file under ``tests/functional/conformance/`` with an ``expect``
block is one case (format: differential.py): the definitions it needs (a
workflow text, workflows in namespaces, a workbook,
ad-hoc actions, environments), how to start the execution, and what a
Mistral user must then see through the v2 API: the final state (and
``state_info``), the input and output, and per task its state, published
variables, result and number of action executions (plus sub-workflow
executions), the number of tasks and of action executions, the descendants
(``root_execution_id``) and, for the wait / timeout cases, bounds on the
wall-clock time. One parametrized test drives them all on the embedded
default; the cases marked ``production: true`` also run on the PostgreSQL +
RabbitMQ layout (ids ending in ``-production``, ``production`` marker).

Expected values are compared exactly, except strings starting with ``~re:``
(a regular expression searched for in the actual string) and ``~any``.

The interactive behaviours have tests of their own below: pause-before and
the pause command (PAUSED, then ``PUT /v2/executions/<id>`` RUNNING), and
validation (``POST /v2/workflows/validate`` and create, 400 and nothing
stored).
"""
import json
import re
import time

import pytest
import yaml

from tests.functional import differential
from tests.functional import harness
from tests.functional.harness import loads_field

pytestmark = pytest.mark.timeout(180)

FINISH = 30          # default bound (s) for an execution to end
STUB_MARK = differential.STUB_MARK

# Cases the product gets wrong (see the report / the reason): kept strict.
XFAIL = {}


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

# The case files are shared with test_differential.py (format described in
# differential.py); the ones with an ``expect`` block are checked here too.
CASES = [c for c in differential.load_cases() if "expect" in c]


def _case_params():
    params = []
    for case in CASES:
        kinds = ["embedded"] + (["production"] if case.get("production")
                                else [])
        for kind in kinds:
            marks = [pytest.mark.production] if kind == "production" else []
            reason = XFAIL.get((case["id"], kind)) or XFAIL.get(
                (case["id"], None))
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            params.append(pytest.param(case, kind, marks=marks,
                                       id="%s-%s" % (case["id"], kind)))
    return params


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def stub():
    with harness.StubHttpServer(routes=differential.STUB_ROUTES,
                                default=differential.stub_default) as server:
        yield server


# --------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------

def mismatches(expected, actual, path="$"):
    """A list of ``path: expected vs actual`` strings (empty: a match)."""
    if isinstance(expected, str) and expected == "~any":
        return []
    if isinstance(expected, str) and expected.startswith("~re:"):
        if isinstance(actual, str) and re.search(expected[4:], actual,
                                                 re.DOTALL):
            return []
        return ["%s: %r does not match /%s/" % (path, actual, expected[4:])]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return ["%s: expected a mapping, got %r" % (path, actual)]
        out = []
        if set(expected) != set(actual):
            out.append("%s: keys %s, expected %s" % (
                path, sorted(actual), sorted(expected)))
        for key in expected:
            if key in actual:
                out += mismatches(expected[key], actual[key],
                                  "%s.%s" % (path, key))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return ["%s: expected %r, got %r" % (path, expected, actual)]
        out = []
        for i, (e, a) in enumerate(zip(expected, actual)):
            out += mismatches(e, a, "%s[%d]" % (path, i))
        return out
    if expected != actual or type(expected) is not type(actual):
        if not (isinstance(expected, (int, float)) and isinstance(
                actual, (int, float)) and not isinstance(actual, bool)
                and expected == actual):
            return ["%s: expected %r, got %r" % (path, expected, actual)]
    return []


def subset_mismatches(expected, actual, path="$"):
    if not isinstance(actual, dict):
        return ["%s: expected a mapping, got %r" % (path, actual)]
    out = []
    for key, value in expected.items():
        if key not in actual:
            out.append("%s: no key %r" % (path, key))
        else:
            out += mismatches(value, actual[key], "%s.%s" % (path, key))
    return out


# --------------------------------------------------------------------------
# Driving a case
# --------------------------------------------------------------------------

def _post_text(api, path, text, namespace=None):
    params = {"namespace": namespace} if namespace else None
    return api.request("POST", path, expect=(201,), data=text.encode(),
                       params=params,
                       headers={"Content-Type": "text/plain"})


def _setup(api, case, substitute):
    for env in case.get("environments", []):
        api.request("POST", "/environments", expect=(201,), json={
            "name": env["name"],
            "variables": json.dumps(env["variables"])})
    if case.get("actions"):
        _post_text(api, "/actions", substitute(case["actions"]))
    if case.get("workbook"):
        _post_text(api, "/workbooks", substitute(case["workbook"]))
    if case.get("workflow"):
        _post_text(api, "/workflows", substitute(case["workflow"]))
    for wf in case.get("workflows", []):
        _post_text(api, "/workflows", substitute(wf["definition"]),
                   wf.get("namespace"))
    for path in case.get("exists", []):
        api.request("GET", path, expect=(200,))


def _start(api, start, substitute):
    body = {"workflow_name": start["workflow_name"]}
    if "workflow_namespace" in start:
        body["workflow_namespace"] = start["workflow_namespace"]
    if "input" in start:
        body["input"] = substitute(json.dumps(start["input"]))
    if "params" in start:
        body["params"] = json.dumps(start["params"])
    return api.request("POST", "/executions", expect=(201,),
                       json=body).json()


def _check(api, case, ex, elapsed):
    expect = case["expect"]
    problems = []
    ex_id = ex["id"]

    if ex["state"] != expect["state"]:
        problems.append("state %s, expected %s (state_info: %s)" % (
            ex["state"], expect["state"], ex.get("state_info")))
    if "state_info" in expect:
        problems += mismatches(expect["state_info"], ex.get("state_info"),
                               "state_info")
    output = loads_field(ex.get("output"))
    if "output" in expect:
        problems += mismatches(expect["output"], output, "output")
    if "output_contains" in expect:
        problems += subset_mismatches(expect["output_contains"], output,
                                      "output")
    if "input" in expect:
        problems += mismatches(expect["input"], loads_field(ex["input"]),
                               "input")

    tasks = api.tasks(ex_id)
    names = [t["name"] for t in tasks]
    if "task_count" in expect and len(tasks) != expect["task_count"]:
        problems.append("%d task executions %s, expected %d" % (
            len(tasks), sorted(names), expect["task_count"]))
    wanted = expect.get("tasks", {})
    if sorted(names) != sorted(wanted):
        problems.append("tasks %s, expected %s" % (sorted(names),
                                                   sorted(wanted)))
    total_actions = 0
    for task in tasks:
        actions = api.action_executions(task["id"])
        total_actions += len(actions)
        want = wanted.get(task["name"])
        if want is None:
            continue
        where = "task %s" % task["name"]
        if task["state"] != want.get("state", task["state"]):
            problems.append("%s: state %s, expected %s (state_info: %s)" % (
                where, task["state"], want["state"], task.get("state_info")))
        if "state_info" in want:
            problems += mismatches(want["state_info"], task.get("state_info"),
                                   where + ".state_info")
        if "published" in want:
            problems += mismatches(want["published"],
                                   loads_field(task.get("published")),
                                   where + ".published")
        if "result" in want:
            full = api.task(task["id"])
            problems += mismatches(want["result"],
                                   loads_field(full.get("result")),
                                   where + ".result")
        if "actions" in want and len(actions) != want["actions"]:
            problems.append("%s: %d action executions %s, expected %d" % (
                where, len(actions), [a["state"] for a in actions],
                want["actions"]))
        if "action_names" in want:
            got = sorted(a["name"] for a in actions)
            if got != sorted(want["action_names"]):
                problems.append("%s: action names %s, expected %s" % (
                    where, got, want["action_names"]))
        if "subworkflows" in want:
            subs = api.list_executions(task_execution_id=task["id"])
            subs = [s for s in subs if s.get("task_execution_id")
                    == task["id"]]
            if len(subs) != want["subworkflows"]:
                problems.append("%s: %d sub-workflow executions, expected %d"
                                % (where, len(subs), want["subworkflows"]))
            for sub in subs:
                if sub.get("root_execution_id") != ex_id:
                    problems.append("%s: sub-execution %s has "
                                    "root_execution_id %r, expected %s" % (
                                        where, sub["id"],
                                        sub.get("root_execution_id"), ex_id))
    if "action_count" in expect and total_actions != expect["action_count"]:
        problems.append("%d action executions, expected %d" % (
            total_actions, expect["action_count"]))

    if "descendants" in expect:
        descendants = [e for e in api.list_executions()
                       if e.get("root_execution_id") == ex_id
                       and e["id"] != ex_id]
        if len(descendants) != expect["descendants"]:
            problems.append("%d executions with root_execution_id %s, "
                            "expected %d" % (len(descendants), ex_id,
                                             expect["descendants"]))
        if "descendant_states" in expect:
            states = sorted(e["state"] for e in descendants)
            if states != sorted(expect["descendant_states"]):
                problems.append("descendant states %s, expected %s" % (
                    states, expect["descendant_states"]))

    if elapsed < expect.get("min_seconds", 0):
        problems.append("finished after %.2fs, expected at least %.2fs" % (
            elapsed, expect["min_seconds"]))
    if elapsed > expect.get("max_seconds", FINISH):
        problems.append("finished after %.2fs, expected at most %.2fs" % (
            elapsed, expect["max_seconds"]))
    return problems


@pytest.mark.parametrize("case, kind", _case_params())
def test_case(request, case, kind):
    fixture = kind + ("_http" if case.get("http") else "")
    deployment = request.getfixturevalue(fixture)
    api = deployment.api
    base = request.getfixturevalue("stub").url if case.get("http") else ""

    def substitute(text):
        return text.replace(STUB_MARK, base)

    _setup(api, case, substitute)
    began = time.monotonic()
    ex = _start(api, case["start"], substitute)
    limit = max(FINISH, case["expect"].get("max_seconds", 0)) + 10
    done = api.wait_all([ex["id"]], timeout=limit)[ex["id"]]
    elapsed = time.monotonic() - began
    problems = _check(api, case, done, elapsed)
    assert not problems, "%s (%s):\n%s\nexecution: %s" % (
        case["id"], case.get("description", "").strip(),
        "\n".join(problems), json.dumps(done, indent=1)[:3000])


# --------------------------------------------------------------------------
# Interactive: pause-before, the pause command, resume
# --------------------------------------------------------------------------

PAUSE_BEFORE = """\
version: '2.0'
cf_pause_before:
  input:
    - stop: true
  output:
    c: <% $.c %>
  tasks:
    a:
      action: std.echo output=a
      on-success: [b]
    b:
      action: std.echo output=b
      pause-before: <% $.stop %>
      publish: {b: <% task().result %>}
      on-success: [c]
    c:
      action: std.echo output="<% $.b %>c"
      publish: {c: <% task().result %>}
"""

PAUSE_COMMAND = """\
version: '2.0'
cf_pause_command:
  output:
    v: <% $.v %>
  tasks:
    a:
      action: std.echo output=1
      publish: {v: <% task().result %>}
      on-success:
        - pause msg="waiting for a human"
"""


def _create_once(api, definition):
    try:
        api.create_workflow(definition)
    except harness.ApiError as exc:
        if exc.response.status_code != 409:
            raise


def _resume(api, ex_id):
    return api.request("PUT", "/executions/%s" % ex_id, expect=(200,),
                       json={"state": "RUNNING"}).json()


@pytest.fixture(params=["embedded", pytest.param(
    "production", marks=pytest.mark.production)])
def deployment(request):
    """The embedded deployment, then the production layout."""
    return request.getfixturevalue(request.param)


def test_pause_before_then_resume(deployment):
    api = deployment.api
    _create_once(api, PAUSE_BEFORE)
    ex = api.start("cf_pause_before")
    harness.wait_execution_state(api, ex["id"], "PAUSED", timeout=FINISH)

    # Paused before b: a is done, b exists but ran no action, c not yet.
    time.sleep(0.5)
    assert api.execution(ex["id"])["state"] == "PAUSED"
    tasks = harness.tasks_by_name(api, ex["id"])
    assert sorted(tasks) == ["a", "b"], sorted(tasks)
    assert tasks["a"][0]["state"] == "SUCCESS"
    assert api.action_executions(tasks["b"][0]["id"]) == []

    _resume(api, ex["id"])
    done = api.wait_all([ex["id"]], timeout=FINISH)[ex["id"]]
    assert done["state"] == "SUCCESS", done.get("state_info")
    assert loads_field(done["output"]) == {"c": "bc"}
    tasks = harness.tasks_by_name(api, ex["id"])
    assert sorted(tasks) == ["a", "b", "c"]
    for name, (task,) in tasks.items():
        assert task["state"] == "SUCCESS", (name, task)
        assert len(api.action_executions(task["id"])) == 1, name


def test_pause_before_leaves_the_task_idle(embedded):
    api = embedded.api
    _create_once(api, PAUSE_BEFORE)
    ex = api.start("cf_pause_before")
    try:
        harness.wait_execution_state(api, ex["id"], "PAUSED", timeout=FINISH)
        task = harness.task_named(api, ex["id"], "b", timeout=5)
        assert task["state"] == "IDLE", task
    finally:
        _resume(api, ex["id"])
        api.wait_all([ex["id"]], timeout=FINISH)


def test_pause_command_with_msg_then_resume(embedded):
    api = embedded.api
    _create_once(api, PAUSE_COMMAND)
    ex = api.start("cf_pause_command")
    paused = harness.wait_execution_state(api, ex["id"], "PAUSED",
                                          timeout=FINISH)
    assert "waiting for a human" in (paused.get("state_info") or ""), paused
    _resume(api, ex["id"])
    done = api.wait_all([ex["id"]], timeout=FINISH)[ex["id"]]
    assert done["state"] == "SUCCESS", done.get("state_info")
    assert loads_field(done["output"]) == {"v": 1}
    tasks = api.tasks(ex["id"])
    assert [(t["name"], t["state"]) for t in tasks] == [("a", "SUCCESS")]


# --------------------------------------------------------------------------
# Validation: validate endpoint and create; 400 and nothing stored
# --------------------------------------------------------------------------

YAML_SYNTAX = """\
version: '2.0'
cf_bad_yaml:
  tasks:
    a:
      action: std.noop
      publish: {x: [1, 2}
"""


def _yaml_error_line(text):
    try:
        yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return mark.line + 1
    raise AssertionError("the text is valid YAML")


VALIDATION = [
    pytest.param(YAML_SYNTAX, "cf_bad_yaml",
                 [r"line %d" % _yaml_error_line(YAML_SYNTAX)],
                 id="yaml-syntax-line"),
    pytest.param("version: '2.0'\ncf_bad_schema:\n  tasks:\n"
                 "    odd_task:\n      acton: std.noop\n", "cf_bad_schema",
                 [r"acton", r"odd_task"], id="schema-unknown-key-path"),
    pytest.param("version: '2.0'\ncf_bad_retry:\n  tasks:\n"
                 "    odd_task:\n      action: std.noop\n"
                 "      retry:\n        count: many\n        delay: 0\n",
                 "cf_bad_retry", [r"count", r"odd_task"],
                 id="schema-bad-type-path"),
    pytest.param("version: '2.0'\ncf_bad_target:\n  tasks:\n"
                 "    a:\n      action: std.noop\n"
                 "      on-success: [ghost_task]\n", "cf_bad_target",
                 [r"ghost_task"], id="transition-to-unknown-task"),
    pytest.param("version: '2.0'\ncf_bad_reverse:\n  type: reverse\n"
                 "  tasks:\n    a:\n      action: std.noop\n"
                 "      requires: [nowhere_task]\n", "cf_bad_reverse",
                 [r"nowhere_task"], id="requires-unknown-task"),
]


@pytest.mark.parametrize("text, name, patterns", VALIDATION)
def test_validation(embedded, text, name, patterns):
    api = embedded.api
    resp = api.request("POST", "/workflows/validate", expect=None,
                       data=text.encode(),
                       headers={"Content-Type": "text/plain"})
    assert resp.status_code == 200, (resp.status_code, resp.text)
    body = resp.json()
    assert body.get("valid") is False, body
    for pattern in patterns:
        assert re.search(pattern, body.get("error") or ""), (pattern, body)

    resp = api.request("POST", "/workflows", expect=None, data=text.encode(),
                       headers={"Content-Type": "text/plain"})
    assert resp.status_code == 400, (resp.status_code, resp.text)
    fault = resp.json()
    # Mistral answers a refused definition upload with faultstring alone.
    assert set(fault) == {"faultstring"}, fault
    for pattern in patterns:
        assert re.search(pattern, fault["faultstring"]), (pattern, fault)

    assert name not in {wf["name"] for wf in api.list_workflows()}
    assert api.request("GET", "/workflows/%s" % name,
                       expect=None).status_code == 404


def test_validate_accepts_a_good_definition(embedded):
    resp = embedded.api.request(
        "POST", "/workflows/validate", expect=(200,),
        data=PAUSE_BEFORE.replace("cf_pause_before", "cf_never_stored")
        .encode(), headers={"Content-Type": "text/plain"})
    assert resp.json()["valid"] is True, resp.text
    assert "cf_never_stored" not in {
        wf["name"] for wf in embedded.api.list_workflows()}


REQUIRED = """\
version: '2.0'
cf_required_input:
  input:
    - needed
    - optional: 1
  tasks:
    a:
      action: std.noop
"""


def test_required_input_missing_is_refused(embedded):
    api = embedded.api
    _create_once(api, REQUIRED)
    before = {ex["id"] for ex in api.list_executions(fields="id")}
    resp = api.request("POST", "/executions", expect=None,
                       json={"workflow_name": "cf_required_input",
                             "input": json.dumps({"optional": 2})})
    assert resp.status_code == 400, resp.text
    assert "needed" in resp.json()["faultstring"]
    assert {ex["id"] for ex in api.list_executions(fields="id")} == before
