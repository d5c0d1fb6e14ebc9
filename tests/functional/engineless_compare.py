"""What a client sees when no engine answers, on Mistral and on wfengine.

One scenario, run per way of losing the engine (:data:`MODES`):
``terminated`` (SIGTERM: no engine consumes, messages wait in RabbitMQ
until they expire) and ``frozen`` (SIGSTOP: the engine holds the
messages RabbitMQ handed it, and answers nothing). With the engine up, a
short workflow has ended and another waits on an asynchronous action
(``std.async_noop``); the engine is then lost and, at the same time, a
client starts a workflow under an id of its own and completes the
waiting action (``PUT /v2/action_executions/<id>``, ``SUCCESS``); a
second later it reads an execution, a list and the action. Once every
answer is in, the engine comes back (a new process, or SIGCONT), and the
scenario records what became of each request: whether the start it was
refused shows up after all, how the waiting workflow ended, and whether
a new start is taken.

:func:`run` returns the raw observations (statuses, times, headers,
bodies with ids replaced by placeholders); :func:`reduce` keeps what a
client depends on. ``tools/engineless_compare.py --record`` stores
Mistral 23.0.0's observations (``engineless_compare/mistral.json``, and
with a 10 s RPC timeout ``mistral_rpc_timeout_10.json``);
``test_engineless_compare.py`` runs the scenario on wfengine's
multi-process shape and holds it to them, except the deliberate
differences listed with their reason and wfengine's value in
``engineless_compare/differences.yaml``.
"""
import concurrent.futures
import json
import os
import time
import uuid

import requests
import yaml

HERE = os.path.join(os.path.dirname(__file__), "engineless_compare")
RECORDING = os.path.join(HERE, "mistral.json")
# The same on a Mistral whose RPC timeout is 10 s (OS_DEFAULT__...).
SHORT_RECORDING = os.path.join(HERE, "mistral_rpc_timeout_10.json")
DIFFERENCES = os.path.join(HERE, "differences.yaml")
MODES = ("terminated", "frozen")
SEQ = "engcmp_seq"
ASYNC = "engcmp_async"
DEFINITIONS = {
    SEQ: """\
version: '2.0'
engcmp_seq:
  tasks:
    one:
      action: std.noop
""",
    ASYNC: """\
version: '2.0'
engcmp_async:
  tasks:
    wait:
      action: std.async_noop
      publish:
        said: <% task().result %>
  output:
    said: <% $.said %>
""",
}
OUTPUT = {"answer": 42}
# An answer within this many seconds is "prompt"; Mistral's engine-bound
# requests wait for the RPC timeout (60 s by default) instead.
PROMPT = 5.0
# How long a request may take at most (Mistral: the RPC timeout, plus).
REQUEST_TIMEOUT = 150
# Reads are sent this long after the start and the completion.
READ_AFTER = 1.0
# After the engine is back: how long to wait for the waiting workflow
# to end, then for a refused start to show up (if it ever does).
SETTLE = 60
LATE_START = 10
TERMINAL = ("SUCCESS", "ERROR", "CANCELLED")
ABSENT = "<absent>"
_HEADERS = ("Retry-After", "Content-Type")


class Engine:
    """How a scenario loses its server's engine and gets it back."""

    def stop(self, mode):
        raise NotImplementedError

    def resume(self, mode):
        """Bring the engine back; return once it consumes again."""
        raise NotImplementedError

    def action_ready(self, action_id):
        """Wait until the waiting action may be completed (the API shows it
        RUNNING already)."""


def _timed(method, url, **kwargs):
    kwargs.setdefault("timeout", REQUEST_TIMEOUT)
    started = time.monotonic()
    try:
        resp = requests.request(method, url, **kwargs)
    except requests.RequestException as exc:
        return {"error": type(exc).__name__,
                "took": round(time.monotonic() - started, 2)}
    took = round(time.monotonic() - started, 2)
    try:
        body = resp.json()
    except ValueError:
        body = resp.text[:500]
    return {"status": resp.status_code, "took": took, "body": body,
            "headers": {h: resp.headers[h] for h in _HEADERS
                        if h in resp.headers}}


class Client:
    def __init__(self, url):
        self.url = url.rstrip("/")

    def call(self, method, path, expect=(200,), **kwargs):
        answer = _timed(method, self.url + path, **kwargs)
        if answer.get("status") not in expect:
            raise AssertionError("%s %s -> %s" % (method, path, answer))
        return answer["body"]

    def define(self, name):
        """Create the workflow, or update it (a long-lived server)."""
        data = DEFINITIONS[name].encode()
        headers = {"Content-Type": "text/plain"}
        answer = _timed("POST", self.url + "/workflows", data=data,
                        headers=headers)
        if answer.get("status") == 409:
            self.call("PUT", "/workflows", data=data, headers=headers)
        elif answer.get("status") != 201:
            raise AssertionError("POST /workflows -> %s" % answer)

    def start(self, name, ex_id=None):
        body = {"workflow_name": name}
        if ex_id:
            body["id"] = ex_id
        return self.call("POST", "/executions", expect=(201,), json=body)

    def execution(self, ex_id):
        return self.call("GET", "/executions/%s" % ex_id)

    def wait(self, what, predicate, timeout, interval=0.2):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value or time.monotonic() > deadline:
                if not value:
                    raise AssertionError("timed out after %ss waiting for %s"
                                         % (timeout, what))
                return value
            time.sleep(interval)

    def ended(self, ex_id, timeout):
        """The execution once it ended; None if it has not in time."""
        try:
            return self.wait("execution %s to end" % ex_id, lambda: (
                lambda ex: ex if ex["state"] in TERMINAL else None)(
                    self.execution(ex_id)), timeout)
        except AssertionError:
            return None

    def async_action(self, ex_id, timeout=60):
        def running():
            tasks = self.call("GET", "/executions/%s/tasks" % ex_id)["tasks"]
            for task in tasks:
                actions = self.call("GET", "/tasks/%s/action_executions"
                                    % task["id"])["action_executions"]
                for action in actions:
                    if action["state"] == "RUNNING":
                        return action["id"]
            return None
        return self.wait("the async action of %s" % ex_id, running, timeout)


def _placeholders(value, names):
    text = json.dumps(value, sort_keys=True)
    for real, name in names.items():
        text = text.replace(real, name)
    return json.loads(text)


def run(url, engine, mode, hold=0.0):
    """Run the scenario once; the raw observations (ids replaced). The
    engine stays away ``hold`` seconds at least (as long as it was on
    the server compared with), and until every answer is in."""
    client = Client(url)
    for name in DEFINITIONS:
        client.define(name)
    done_id = client.start(SEQ)["id"]
    assert client.ended(done_id, 60)["state"] == "SUCCESS"
    waiting_id = client.start(ASYNC)["id"]
    action_id = client.async_action(waiting_id)
    engine.action_ready(action_id)
    refused_id = str(uuid.uuid4())
    names = {done_id: "<done>", waiting_id: "<waiting>",
             action_id: "<action>", refused_id: "<start>"}
    obs = {"mode": mode}

    engine.stop(mode)
    stopped = time.monotonic()
    try:
        with concurrent.futures.ThreadPoolExecutor(5) as pool:
            start = pool.submit(_timed, "POST", client.url + "/executions",
                                json={"id": refused_id, "workflow_name": SEQ})
            complete = pool.submit(
                _timed, "PUT", client.url + "/action_executions/" + action_id,
                json={"state": "SUCCESS", "output": json.dumps(OUTPUT)})
            time.sleep(READ_AFTER)
            reads = {
                "get_execution": pool.submit(
                    _timed, "GET", client.url + "/executions/" + done_id),
                "list_executions": pool.submit(
                    _timed, "GET", client.url + "/executions",
                    params={"limit": 5}),
                "get_action": pool.submit(
                    _timed, "GET",
                    client.url + "/action_executions/" + action_id),
            }
            obs["start"] = start.result()
            obs["complete"] = complete.result()
            obs["reads"] = {k: f.result() for k, f in reads.items()}
        time.sleep(max(0.0, stopped + hold - time.monotonic()))
        # Just before the engine comes back.
        obs["meanwhile"] = {
            "action": client.call("GET", "/action_executions/" + action_id
                                  )["state"],
            "execution": client.execution(waiting_id)["state"],
            "start": _timed("GET", client.url + "/executions/" + refused_id
                            ).get("status"),
        }
    finally:
        obs["engine_away"] = round(time.monotonic() - stopped, 1)
        engine.resume(mode)
    obs["after"] = _after(client, waiting_id, action_id, refused_id)
    return _placeholders(obs, names)


def _after(client, waiting_id, action_id, refused_id):
    """What became of each request once the engine is back."""
    after = {}
    ex = client.ended(waiting_id, SETTLE)
    after["execution"] = ex["state"] if ex else client.execution(
        waiting_id)["state"]
    after["output"] = json.loads(ex["output"]) if ex else None
    after["action"] = client.call("GET", "/action_executions/" + action_id
                                  )["state"]
    # A refused start that shows up does so soon after the engine is
    # back (it was queued, or in the engine's hands).
    deadline = time.monotonic() + LATE_START
    while True:
        seen = _timed("GET", client.url + "/executions/" + refused_id)
        if seen.get("status") == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if seen.get("status") == 200:
        late = client.ended(refused_id, SETTLE)
        after["start"] = late["state"] if late else "RUNNING"
    else:
        after["start"] = seen.get("status")
    # A client that retries as told (Retry-After) until it is taken.
    tries = []
    deadline = time.monotonic() + SETTLE
    while True:
        answer = _timed("POST", client.url + "/executions",
                        json={"workflow_name": SEQ})
        tries.append(answer.get("status"))
        if answer.get("status") == 201 or time.monotonic() > deadline:
            break
        time.sleep(float(answer.get("headers", {}).get("Retry-After", 1)))
    after["new_start"] = tries[-1]
    after["new_start_tries"] = len(tries)
    if tries[-1] == 201:
        new = client.ended(answer["body"]["id"], SETTLE)
        after["new_start_state"] = new["state"] if new else "RUNNING"
    return after


# --------------------------------------------------------------------------
# What must match
# --------------------------------------------------------------------------

def _answer(obs):
    """An answer reduced; the same fields whatever it was (``ABSENT``
    where a field does not apply), so that two answers compare field by
    field: an error's keys and debuginfo, a resource's state."""
    body = obs.get("body")
    error = isinstance(body, dict) and "faultstring" in body
    return {"status": obs.get("status", obs.get("error")),
            "prompt": obs.get("took", REQUEST_TIMEOUT) < PROMPT,
            "retry_after": "Retry-After" in obs.get("headers", {}),
            "error_keys": sorted(body) if error else ABSENT,
            "debuginfo": body.get("debuginfo") if error else ABSENT,
            "state": body.get("state", ABSENT) if isinstance(body, dict)
            and not error else ABSENT}


def reduce(obs):
    """What a client depends on, as ``{dotted path: value}``."""
    reduced = {"start": _answer(obs["start"]),
               "complete": _answer(obs["complete"]),
               "reads": {k: {"status": v.get("status"),
                             "prompt": v.get("took", REQUEST_TIMEOUT) < PROMPT}
                         for k, v in obs["reads"].items()},
               "meanwhile": obs["meanwhile"],
               "after": {k: json.dumps(v, sort_keys=True)
                         if k == "output" else v
                         for k, v in obs["after"].items()
                         if k != "new_start_tries"}}
    return _flatten(reduced)


def _flatten(value, prefix=""):
    if not isinstance(value, dict) or not value:
        return {prefix: value}
    flat = {}
    for key, item in value.items():
        flat.update(_flatten(item, "%s.%s" % (prefix, key) if prefix
                             else key))
    return flat


def load_recording(path=RECORDING):
    with open(path) as f:
        return json.load(f)


def load_differences():
    with open(DIFFERENCES) as f:
        return yaml.safe_load(f) or {}


def compare(recorded, observed, differences):
    """Lines naming each way ``observed`` (wfengine, one mode) departs from
    ``recorded`` (Mistral, same mode) other than as ``differences`` say:
    a listed path must hold wfengine's listed value, and differ from
    Mistral's; every other path must equal Mistral's."""
    mode = observed["mode"]
    want, got = reduce(recorded), reduce(observed)
    problems = []
    for path in sorted(set(want) | set(got)):
        want.setdefault(path, ABSENT)
        got.setdefault(path, ABSENT)
        listed = differences.get("%s.%s" % (mode, path))
        if listed is None:
            if want.get(path) != got.get(path):
                problems.append("%s.%s: Mistral %r, wfengine %r" % (
                    mode, path, want.get(path), got.get(path)))
            continue
        if got.get(path) != listed["wfengine"]:
            problems.append("%s.%s: wfengine %r, listed as %r" % (
                mode, path, got.get(path), listed["wfengine"]))
        if want.get(path) == got.get(path):
            problems.append("%s.%s: matches Mistral (%r) now; drop it from"
                            " differences.yaml" % (mode, path, got.get(path)))
    return problems
