"""The hostile corpus against the embedded server (DESIGN.md rule 9).

Every bomb of ``tests/functional/hostile/corpus.yaml`` runs at once against
one embedded server (debug off, default limits but a shorter expression
time limit): each is refused, or fails its task, within its limit plus a
margin and with a message that names the limit. Meanwhile a simple
workflow started alongside finishes and the API keeps answering, and the
server's peak memory stays under :data:`PEAK_MEMORY_CEILING`. These are
checks of bounds (a limit was enforced), not of speed.
"""
import json
import os
import threading
import time

import pytest
import requests
import yaml

from tests.functional import harness

pytestmark = pytest.mark.timeout(300)

CORPUS = os.path.join(os.path.dirname(__file__), "hostile", "corpus.yaml")
TIME_LIMIT = 2.0
# The machine running the tests is shared: a limit is "held" when the
# failure comes within the limit plus this margin (a bomb that is not
# bounded runs for minutes).
MARGIN = 25.0
# The embedded server idles at about 100 MB and peaked at 112 MB through
# the whole corpus; unbounded, the bombs took it past 560 MB or killed it.
PEAK_MEMORY_CEILING = 256 * 1024 * 1024
# Every poll of the API during the bombs must answer within this.
API_ANSWER_BOUND = 10.0

SIMPLE = """\
version: '2.0'
simple:
  tasks:
    one:
      action: std.echo output=1
      on-success: [two]
    two:
      action: std.noop
"""


def _corpus():
    with open(CORPUS) as f:
        return yaml.safe_load(f)


def laughs(levels, width=3):
    """Billion laughs: ``levels`` of ``width`` aliases to the level below."""
    lines = ["l0: &l0 [%s]" % ", ".join(["lol"] * width)]
    for level in range(1, levels + 1):
        lines.append("l%d: &l%d [%s]" % (
            level, level, ", ".join(["*l%d" % (level - 1)] * width)))
    return "\n".join(lines)


def _value(value):
    if isinstance(value, dict) and set(value) == {"laughs"}:
        return laughs(value["laughs"])
    if isinstance(value, dict):
        return {k: _value(v) for k, v in value.items()}
    return value


def _workflow(name, entry):
    """The workflow text that runs one task bomb where it says."""
    expression = json.dumps(entry.get("expression"))
    task = {"action": "std.noop"}
    where = entry.get("where")
    wf_input = sorted(entry.get("input", {})) if where else []
    wf = {"input": wf_input, "tasks": {"t": task}}
    if where == "publish":
        task["publish"] = {"x": "__EXPR__"}
    elif where == "input":
        task.update(action="std.echo", input={"output": "__EXPR__"})
    elif where == "output":
        wf["output"] = {"x": "__EXPR__"}
    elif where == "condition":
        task["on-success"] = [{"t2": "__EXPR__"}]
        wf["tasks"]["t2"] = {"action": "std.noop"}
    else:
        task.update(action=entry["action"], input="__INPUT__")
    text = yaml.safe_dump({"version": "2.0", name: wf}, sort_keys=False)
    # The expression goes in as a JSON string, which YAML reads as is.
    for marker, value in (("__EXPR__", expression),
                          ("__INPUT__", json.dumps(entry.get("input", {})))):
        text = text.replace("'%s'" % marker, value).replace(marker, value)
    return text


def _laughs_workflow(levels):
    return "version: '2.0'\n%s\nwf:\n  tasks:\n    t:\n      action: " \
           "std.noop\n" % laughs(levels)


def _body(spec):
    if spec is None:
        return None
    if "laughs_workflow" in spec:
        return _laughs_workflow(spec["laughs_workflow"]).encode()
    text = spec["text"] + spec.get("repeat", "") * spec.get("times", 0)
    return (text + spec.get("end", "")).encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    deployment = harness.Deployment(
        tmp_path_factory.mktemp("hostile"),
        config={"expressions": {"time_limit": TIME_LIMIT}})
    with harness.running(deployment, ["all"]):
        deployment.api.create_workflow(SIMPLE)
        yield deployment


class _Watch:
    """Polls the API and the server's memory while the bombs run."""

    def __init__(self, deployment):
        self.deployment = deployment
        self.slowest = 0.0
        self.failures = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.wait(0.2):
            started = time.monotonic()
            try:
                resp = requests.get(self.deployment.url,
                                    timeout=API_ANSWER_BOUND)
                if resp.status_code != 200:
                    self.failures.append(resp.status_code)
            except requests.RequestException as e:
                self.failures.append(type(e).__name__)
            self.slowest = max(self.slowest, time.monotonic() - started)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(API_ANSWER_BOUND + 5)


def _peak_memory(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM for pid %d" % pid)


def _start_bombs(api, corpus):
    """Create and start every task and action bomb; {name: (ex_id, entry,
    started)}."""
    started = {}
    for index, entry in enumerate(corpus["tasks"] + corpus["actions"]):
        name = "bomb_%d" % index
        api.create_workflow(_workflow(name, entry))
        wf_input = {k: _value(v) for k, v in entry.get("input", {}).items()
                    if "where" in entry}
        ex = api.start(name, wf_input or None)
        started[entry["name"]] = (ex["id"], entry, time.monotonic())
    return started


def _failure_text(api, ex):
    parts = [ex.get("state_info") or ""]
    for task in api.tasks(ex["id"]):
        parts.append(task.get("state_info") or "")
    return "\n".join(parts)


def _wait_failed(api, ex_id, deadline):
    def done():
        return api.execution(ex_id)["state"] in harness.TERMINAL_STATES
    harness.wait_until(done, max(deadline - time.monotonic(), 0.1),
                       "execution %s to end" % ex_id, interval=0.1)
    return api.execution(ex_id)


def test_every_bomb_is_bounded_while_the_service_carries_on(server):
    api = server.api
    corpus = _corpus()
    with _Watch(server) as watch:
        bombs = _start_bombs(api, corpus)
        simple = api.start("simple")
        simple_started = time.monotonic()
        outcomes = {}
        for name, (ex_id, entry, started) in bombs.items():
            ex = _wait_failed(api, ex_id, started + TIME_LIMIT + MARGIN)
            outcomes[name] = (ex["state"], _failure_text(api, ex))
        done = api.wait_all([simple["id"]], TIME_LIMIT + MARGIN)
        simple_took = time.monotonic() - simple_started
    wrong = {name: outcome for name, outcome in outcomes.items()
             if outcome[0] != "ERROR"
             or bombs[name][1]["limit"] not in outcome[1]}
    assert not wrong, json.dumps(wrong, indent=1)[:4000]
    assert done[simple["id"]]["state"] == "SUCCESS"
    assert simple_took < TIME_LIMIT + MARGIN
    assert not watch.failures, watch.failures
    assert watch.slowest < API_ANSWER_BOUND
    peak = _peak_memory(server.processes[0].pid)
    print("bombs: %d; peak memory %d MB; slowest API answer %.2f s; simple "
          "workflow done in %.1f s" % (len(bombs), peak >> 20, watch.slowest,
                                       simple_took))
    assert peak < PEAK_MEMORY_CEILING, "peak memory %d MB" % (peak >> 20)


@pytest.mark.parametrize("entry", _corpus()["requests"],
                         ids=lambda e: e["name"])
def test_every_hostile_request_is_refused_in_mistrals_shape(server, entry):
    headers = {}
    if entry.get("content_type"):
        headers["Content-Type"] = entry["content_type"]
    started = time.monotonic()
    resp = requests.request(entry["method"], server.url + entry["path"],
                            data=_body(entry.get("body")), headers=headers,
                            timeout=TIME_LIMIT + MARGIN)
    assert time.monotonic() - started < TIME_LIMIT + MARGIN
    expected = entry["status"]
    expected = expected if isinstance(expected, list) else [expected]
    assert resp.status_code in expected, (resp.status_code, resp.text[:500])
    if resp.status_code >= 400:
        body = resp.json()
        # faultstring alone for a definition upload (as Mistral).
        assert body.get("debuginfo") is None and body["faultstring"], body
        if entry.get("limit"):
            assert entry["limit"] in body["faultstring"], body
    # The server lives on and answers.
    assert requests.get(server.url, timeout=API_ANSWER_BOUND).ok


def test_lists_have_pages_with_a_next_link(server):
    api = server.api
    first = api.get("/workflows", limit=2)
    assert len(first["workflows"]) == 2 and "next" in first
    page = requests.get(first["next"], timeout=30).json()
    assert page["workflows"]
    assert not {w["id"] for w in page["workflows"]} & {
        w["id"] for w in first["workflows"]}
