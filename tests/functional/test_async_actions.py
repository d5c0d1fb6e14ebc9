"""Asynchronous actions against real processes (issue 5).

``std.mistral_http`` calls a local service (a stdlib HTTP server on
127.0.0.1 in a thread). The service checks every ``Mistral-*`` header it
receives against the API, and completes the action the way a real one
does: ``PUT`` on the ``Mistral-Callback-URL`` (the token is in it), with
no other credentials. Also: completion with ERROR, double completion
(409), a wrong token (403), the real ``mistral action-execution-update``,
with-items completed item by item, a ``timeout`` then a late completion
(409), and ad-hoc actions (``POST /v2/actions``) based on std.http and
std.mistral_http.

Every test runs on the embedded default (``--server all``, SQLite); those
parametrized with ``deployment`` also run on the PostgreSQL + RabbitMQ
production layout (ids ending in ``[production]``, marker
``production``), where the callback lands on the API process while the
executors and engines are other processes.
"""
import os
import threading
import time
import urllib.parse

import pytest
import requests

from tests.functional import harness
from tests.functional.test_mistral_cli import MISTRAL
from tests.functional.test_mistral_cli import MistralCli

pytestmark = pytest.mark.timeout(180)

FINISH = 60


@pytest.fixture(scope="module")
def stub():
    with harness.StubHttpServer() as server:
        yield server


@pytest.fixture(params=["embedded", pytest.param(
    "production", marks=pytest.mark.production)])
def deployment(request):
    """The embedded deployment, then the production layout."""
    return request.getfixturevalue(request.param + "_http")


class Service:
    """The called service: records each std.mistral_http request, checks
    its headers against the API and, for ``success``/``error`` URLs,
    completes the action through the callback URL shortly after it
    answered 200 (as an asynchronous service would)."""

    HEADERS = ("mistral-workflow-name", "mistral-workflow-execution-id",
               "mistral-task-id", "mistral-action-execution-id",
               "mistral-callback-url")

    def __init__(self, stub, deployment):
        self.stub = stub
        self.api_url = deployment.url
        self.prefix = "/" + harness.random_hex()
        self.calls = []
        self.problems = []
        self._lock = threading.Lock()
        for mode in ("hold", "success", "error"):
            stub.route(self.prefix + "/" + mode, self._handle)

    def url(self, mode):
        return "%s%s/%s" % (self.stub.url, self.prefix, mode)

    def _handle(self, record):
        call = {"request": record, "checked": threading.Event(),
                "callback": None}
        with self._lock:
            self.calls.append(call)
        mode = record["path"].rsplit("/", 1)[1]
        threading.Thread(target=self._follow_up, args=(call, mode),
                         daemon=True).start()
        return 200, {"accepted": True}

    def _follow_up(self, call, mode):
        try:
            self._check(call["request"]["headers"])
        except Exception as exc:  # reported by the test
            self._problem("header check failed: %r" % exc)
        finally:
            call["checked"].set()
        if mode in ("success", "error"):
            time.sleep(0.2)
            state = mode.upper()
            output = {"service": "done", "state": state,
                      "got": call["request"]["json"]}
            call["callback"] = complete(call, state, output)

    def _problem(self, text):
        with self._lock:
            self.problems.append(text)

    def _check(self, headers):
        """Every header names objects the API knows, consistently."""
        missing = [h for h in self.HEADERS if not headers.get(h)]
        if missing:
            self._problem("missing headers: %s" % missing)
            return
        api = harness.ApiClient(self.api_url)  # one per thread
        ex = api.execution(headers["mistral-workflow-execution-id"])
        task = api.task(headers["mistral-task-id"])
        action = api.get("/action_executions/%s"
                         % headers["mistral-action-execution-id"])
        expect = [
            ("workflow name", headers["mistral-workflow-name"],
             ex["workflow_name"]),
            ("task's execution", task["workflow_execution_id"], ex["id"]),
            ("action's task", action["task_execution_id"], task["id"]),
            ("action's execution", action["workflow_execution_id"],
             ex["id"]),
            ("action state", action["state"], "RUNNING"),
            ("task state", task["state"], "RUNNING"),
        ]
        for what, got, want in expect:
            if got != want:
                self._problem("%s: header/API says %r, expected %r"
                              % (what, got, want))
        parts = urllib.parse.urlsplit(headers["mistral-callback-url"])
        want_url = "%s/action_executions/%s" % (self.api_url, action["id"])
        got_url = urllib.parse.urlunsplit(parts._replace(query=""))
        if got_url != want_url:
            self._problem("callback URL %s, expected %s?token=..."
                          % (got_url, want_url))
        query = urllib.parse.parse_qs(parts.query)
        if list(query) != ["token"] or not query["token"][0]:
            self._problem("callback URL query %r: want one token"
                          % parts.query)

    def wait_calls(self, count, timeout=30):
        def enough():
            with self._lock:
                calls = list(self.calls)
            if len(calls) >= count and all(c["checked"].is_set()
                                           for c in calls):
                return calls
            return None
        calls = harness.wait_until(enough, timeout,
                                   "%d calls of the service" % count)
        assert len(calls) == count, "%d calls, expected %d" % (len(calls),
                                                               count)
        return calls

    def wait_callbacks(self, count, timeout=30):
        return harness.wait_until(
            lambda: (lambda done: done if len(done) >= count else None)(
                [c for c in list(self.calls) if c["callback"] is not None]),
            timeout, "%d callbacks" % count)


def complete(call, state, output, token=None):
    """PUT on a call's callback URL (with another token if given)."""
    url = call["request"]["headers"]["mistral-callback-url"]
    if token is not None:
        url = url.split("?", 1)[0] + "?" + urllib.parse.urlencode(
            {"token": token})
    return requests.put(url, json={"state": state, "output": output},
                        timeout=30)


def token_of(call):
    url = call["request"]["headers"]["mistral-callback-url"]
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)[
        "token"][0]


def action_id(call):
    return call["request"]["headers"]["mistral-action-execution-id"]


def create(api, definition):
    try:
        return api.create_workflow(definition)
    except harness.ApiError as exc:
        if exc.response.status_code == 409:
            return None
        raise


def fault(resp):
    body = resp.json()
    assert set(body) >= {"faultstring", "debuginfo"}, body
    return body["faultstring"]


def answer(ex):
    return harness.loads_field(ex["output"])["answer"]


def only_actions(api, task):
    return api.action_executions(task["id"])


# --------------------------------------------------------------------------
# Headers, callback, completion
# --------------------------------------------------------------------------

CALL_WF = """\
version: '2.0'
aa_call:
  output:
    answer: <% $.answer %>
    error_seen: <% $.get(error_seen) %>
  tasks:
    call:
      action: std.mistral_http
      input:
        url: <% env().url %>
        method: POST
        body:
          hello: world
      publish:
        answer: <% task().result %>
      publish-on-error:
        error_seen: <% task().result %>
      on-success: [after]
      on-error: [handle]
    after:
      action: std.echo output=<% $.answer %>
    handle:
      action: std.echo output=<% task(call).result %>
      publish:
        answer: handled
"""


def _run_call(api, service, mode):
    create(api, CALL_WF)
    return harness.start_execution(api, "aa_call",
                                   env={"url": service.url(mode)})


def test_headers_checked_and_completed_by_callback(deployment, stub):
    api = deployment.api
    service = Service(stub, deployment)
    ex = _run_call(api, service, "success")
    [call] = service.wait_calls(1)
    assert service.problems == []
    request = call["request"]
    assert request["method"] == "POST"
    assert request["json"] == {"hello": "world"}
    headers = request["headers"]
    assert headers["mistral-workflow-execution-id"] == ex["id"]
    assert headers["mistral-workflow-name"] == "aa_call"
    task = harness.task_named(api, ex["id"], "call")
    assert headers["mistral-task-id"] == task["id"]
    [action] = only_actions(api, task)
    assert headers["mistral-action-execution-id"] == action["id"]
    assert action["name"] == "std.mistral_http"

    [done] = service.wait_callbacks(1)
    assert done["callback"].status_code == 200, done["callback"].text
    assert done["callback"].json()["state"] == "SUCCESS"

    ex = harness.wait_execution_state(api, ex["id"], "SUCCESS", FINISH)
    expected = {"service": "done", "state": "SUCCESS",
                "got": {"hello": "world"}}
    assert harness.loads_field(ex["output"]) == {"answer": expected,
                                                 "error_seen": None}
    action = api.get("/action_executions/%s" % action["id"])
    assert action["state"] == "SUCCESS"
    assert action["accepted"] is True
    assert harness.loads_field(action["output"]) == {"result": expected}
    by_name = harness.tasks_by_name(api, ex["id"])
    assert sorted(by_name) == ["after", "call"]
    assert harness.loads_field(by_name["after"][0]["result"]) == expected
    assert [a["state"] for a in only_actions(api, by_name["call"][0])] \
        == ["SUCCESS"]


def test_error_completion_drives_on_error(deployment, stub):
    api = deployment.api
    service = Service(stub, deployment)
    ex = _run_call(api, service, "error")
    [done] = service.wait_callbacks(1)
    assert service.problems == []
    assert done["callback"].status_code == 200, done["callback"].text
    assert done["callback"].json()["state"] == "ERROR"

    # on-error handles the failure: the workflow succeeds through it.
    ex = harness.wait_execution_state(api, ex["id"], "SUCCESS", FINISH)
    by_name = harness.tasks_by_name(api, ex["id"])
    assert sorted(by_name) == ["call", "handle"]
    call = by_name["call"][0]
    assert call["state"] == "ERROR"
    expected = {"service": "done", "state": "ERROR",
                "got": {"hello": "world"}}
    assert harness.loads_field(call["result"]) == expected
    # The handler reads the failed task's result with task(call).
    assert harness.loads_field(by_name["handle"][0]["result"]) == expected
    assert harness.loads_field(ex["output"]) == {"answer": "handled",
                                                 "error_seen": expected}
    [action] = only_actions(api, call)
    assert action["state"] == "ERROR"
    action = api.get("/action_executions/%s" % action["id"])
    assert harness.loads_field(action["output"]) == {"result": expected}


def test_double_completion_conflicts_and_changes_nothing(deployment, stub):
    api = deployment.api
    service = Service(stub, deployment)
    ex = _run_call(api, service, "hold")
    [call] = service.wait_calls(1)
    assert service.problems == []

    first = complete(call, "SUCCESS", {"n": 1})
    assert first.status_code == 200, first.text
    ex = harness.wait_execution_state(api, ex["id"], "SUCCESS", FINISH)
    snapshot = (api.execution(ex["id"]), api.tasks(ex["id"]),
                api.get("/action_executions/%s" % action_id(call)))

    for state, output in (("SUCCESS", {"n": 2}), ("ERROR", {"n": 3})):
        again = complete(call, state, output)
        assert again.status_code == 409, again.text
        assert "SUCCESS" in fault(again)
    # The same through the API without a token.
    again = api.request("PUT", "/action_executions/%s" % action_id(call),
                        expect=None, json={"state": "SUCCESS",
                                           "output": {"n": 4}})
    assert again.status_code == 409, again.text

    time.sleep(0.5)
    assert (api.execution(ex["id"]), api.tasks(ex["id"]),
            api.get("/action_executions/%s" % action_id(call))) == snapshot
    assert answer(ex) == {"n": 1}


def test_simultaneous_double_completion_one_wins(deployment, stub):
    api = deployment.api
    service = Service(stub, deployment)
    ex = _run_call(api, service, "hold")
    [call] = service.wait_calls(1)
    barrier = threading.Barrier(2, timeout=30)
    answers = {}

    def send(n):
        barrier.wait()
        answers[n] = complete(call, "SUCCESS", {"n": n})

    threads = [threading.Thread(target=send, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    codes = sorted(r.status_code for r in answers.values())
    assert codes == [200, 409], {n: (r.status_code, r.text)
                                 for n, r in answers.items()}
    [winner] = [n for n, r in answers.items() if r.status_code == 200]
    ex = harness.wait_execution_state(api, ex["id"], "SUCCESS", FINISH)
    assert answer(ex) == {"n": winner}
    by_name = harness.tasks_by_name(api, ex["id"])
    assert sorted(by_name) == ["after", "call"]
    assert all(len(v) == 1 for v in by_name.values())


def test_wrong_token_is_forbidden(embedded_http, stub):
    api = embedded_http.api
    service = Service(stub, embedded_http)
    ex = _run_call(api, service, "hold")
    ex2 = _run_call(api, service, "hold")
    first, second = service.wait_calls(2)

    for token in ("not-a-token", token_of(second), token_of(first)[:-1]):
        resp = complete(first, "SUCCESS", {"n": "forged"}, token=token)
        assert resp.status_code == 403, resp.text
        assert action_id(first) in fault(resp)
    # Nothing happened to either action.
    for call, ex_id in ((first, ex["id"]), (second, ex2["id"])):
        action = api.get("/action_executions/%s" % action_id(call))
        assert action["state"] == "RUNNING"
        assert api.execution(ex_id)["state"] == "RUNNING"

    for call in (first, second):
        resp = complete(call, "SUCCESS", {"n": action_id(call)})
        assert resp.status_code == 200, resp.text
    for call in (first, second):
        ex_id = call["request"]["headers"]["mistral-workflow-execution-id"]
        done = harness.wait_execution_state(api, ex_id, "SUCCESS", FINISH)
        assert answer(done) == {"n": action_id(call)}


@pytest.fixture(scope="module")
def cli(embedded_http, tmp_path_factory):
    if not os.path.exists(MISTRAL):
        pytest.fail("python-mistralclient's mistral script is missing: %s"
                    % MISTRAL)
    return MistralCli(embedded_http.url,
                      str(tmp_path_factory.mktemp("async-cli")))


def test_completed_with_mistral_cli(embedded_http, stub, cli):
    """``mistral action-execution-update <id> --state SUCCESS
    --output 3``."""
    api = embedded_http.api
    service = Service(stub, embedded_http)
    ex = _run_call(api, service, "hold")
    [call] = service.wait_calls(1)
    shown = cli.json("action-execution-update", action_id(call),
                     "--state", "SUCCESS", "--output", "3")
    assert shown["ID"] == action_id(call), shown
    assert shown["State"] == "SUCCESS", shown
    ex = harness.wait_execution_state(api, ex["id"], "SUCCESS", FINISH)
    assert answer(ex) == 3
    after = harness.task_named(api, ex["id"], "after")
    assert harness.loads_field(after["result"]) == 3

    # Once more: refused, and the CLI says so.
    proc = cli.run("action-execution-update", action_id(call), "--state",
                   "SUCCESS", "--output", "4", check=False)
    assert proc.returncode != 0
    assert "SUCCESS" in proc.stderr + proc.stdout
    assert answer(api.execution(ex["id"])) == 3


# --------------------------------------------------------------------------
# with-items, timeout
# --------------------------------------------------------------------------

ITEMS_WF = """\
version: '2.0'
aa_items:
  output:
    results: <% $.results %>
  tasks:
    fan:
      with-items: n in <% list(1, 2, 3) %>
      action: std.mistral_http
      input:
        url: <% env().url %>
        method: POST
        body:
          n: <% $.n %>
      publish:
        results: <% task().result %>
"""


def test_with_items_completed_item_by_item(deployment, stub):
    api = deployment.api
    service = Service(stub, deployment)
    create(api, ITEMS_WF)
    ex = harness.start_execution(api, "aa_items",
                                 env={"url": service.url("hold")})
    calls = service.wait_calls(3)
    assert service.problems == []
    by_n = {c["request"]["json"]["n"]: c for c in calls}
    assert sorted(by_n) == [1, 2, 3]
    fan = harness.task_named(api, ex["id"], "fan")
    assert {c["request"]["headers"]["mistral-task-id"] for c in calls} == {
        fan["id"]}
    assert len({action_id(c) for c in calls}) == 3

    # Out of order; the task waits for the last one.
    for position, n in enumerate((3, 1, 2)):
        resp = complete(by_n[n], "SUCCESS", {"item": n * 10})
        assert resp.status_code == 200, resp.text
        if position < 2:
            time.sleep(0.3)
            assert api.task(fan["id"])["state"] == "RUNNING"
            assert api.execution(ex["id"])["state"] == "RUNNING"

    ex = harness.wait_execution_state(api, ex["id"], "SUCCESS", FINISH)
    # Results in item order, not completion order.
    assert harness.loads_field(ex["output"]) == {
        "results": [{"item": 10}, {"item": 20}, {"item": 30}]}
    assert sorted(a["state"] for a in only_actions(api, fan)) == [
        "SUCCESS"] * 3
    # A completed item can not be completed again.
    resp = complete(by_n[1], "SUCCESS", {"item": -1})
    assert resp.status_code == 409, resp.text


TIMEOUT_WF = """\
version: '2.0'
aa_timeout:
  tasks:
    slow:
      action: std.mistral_http url=<% env().url %>
      timeout: 2
      on-success: [after]
    after:
      action: std.noop
"""


def test_timeout_fails_task_and_late_completion_conflicts(deployment, stub):
    api = deployment.api
    service = Service(stub, deployment)
    create(api, TIMEOUT_WF)
    started = time.monotonic()
    ex = harness.start_execution(api, "aa_timeout",
                                 env={"url": service.url("hold")})
    [call] = service.wait_calls(1)
    ex = harness.wait_execution_state(api, ex["id"], "ERROR", 30)
    assert time.monotonic() - started >= 1.9
    slow = harness.task_named(api, ex["id"], "slow")
    assert slow["state"] == "ERROR"
    assert "timeout" in (slow["state_info"] or "").lower() or \
        "timed out" in (slow["state_info"] or "").lower(), slow
    [action] = only_actions(api, slow)
    assert action["state"] != "RUNNING", action

    resp = complete(call, "SUCCESS", {"late": True})
    assert resp.status_code == 409, resp.text
    assert action_id(call) in fault(resp)
    time.sleep(0.5)
    assert api.execution(ex["id"])["state"] == "ERROR"
    assert sorted(harness.tasks_by_name(api, ex["id"])) == ["slow"]
    assert api.task(slow["id"])["state"] == "ERROR"
    assert api.get("/action_executions/%s" % action["id"])["state"] \
        == action["state"]


# --------------------------------------------------------------------------
# Ad-hoc actions
# --------------------------------------------------------------------------

ADHOC_ACTIONS = """\
version: '2.0'
aa_notify:
  description: ask a service, answer later
  base: std.mistral_http
  base-input:
    url: <% $.url %>
    method: POST
    body:
      who: <% $.who %>
  input:
    - url
    - who: nobody
  output: <% $.answer %>
aa_fetch:
  base: std.http
  base-input:
    url: <% $.url %>
  input:
    - url
  output: <% $.content.path %>
"""

ADHOC_WF = """\
version: '2.0'
aa_adhoc:
  output:
    fetched: <% $.fetched %>
    notified: <% $.notified %>
  tasks:
    fetch:
      action: aa_fetch url=<% env().fetch_url %>
      publish:
        fetched: <% task().result %>
      on-success: [notify]
    notify:
      action: aa_notify url=<% env().url %> who=me
      publish:
        notified: <% task().result %>
"""


def test_adhoc_actions_in_a_workflow(deployment, stub):
    api = deployment.api
    service = Service(stub, deployment)
    stub.route(service.prefix + "/fetched",
               lambda r: (200, {"path": r["path"]}))
    resp = api.request("POST", "/actions", expect=(201, 409),
                       data=ADHOC_ACTIONS.encode(),
                       headers={"Content-Type": "text/plain"})
    if resp.status_code == 201:
        names = sorted(a["name"] for a in resp.json()["actions"])
        assert names == ["aa_fetch", "aa_notify"]
    shown = api.get("/actions/aa_notify")
    assert shown["name"] == "aa_notify" and not shown.get("is_system")
    create(api, ADHOC_WF)
    ex = harness.start_execution(api, "aa_adhoc", env={
        "url": service.url("hold"),
        "fetch_url": stub.url + service.prefix + "/fetched"})
    [call] = service.wait_calls(1)
    assert service.problems == []
    assert call["request"]["method"] == "POST"
    assert call["request"]["json"] == {"who": "me"}
    resp = complete(call, "SUCCESS", {"answer": 42, "noise": "dropped"})
    assert resp.status_code == 200, resp.text

    ex = harness.wait_execution_state(api, ex["id"], "SUCCESS", FINISH)
    assert harness.loads_field(ex["output"]) == {
        "fetched": service.prefix + "/fetched", "notified": 42}
    notify = harness.task_named(api, ex["id"], "notify")
    [action] = only_actions(api, notify)
    assert action["state"] == "SUCCESS"
    assert harness.loads_field(action["input"]) == {
        "url": service.url("hold"), "who": "me"}
    assert harness.loads_field(notify["result"]) == 42
