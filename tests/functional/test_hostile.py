"""The hostile corpus against the embedded server (DESIGN.md rule 9).

Every bomb of ``tests/functional/hostile/corpus.yaml`` is started against
one embedded server (debug off, default limits but a shorter expression
time limit), each without waiting for the others to end: each is refused,
or fails its task, within its limit plus a margin and with a message that
names the limit. Meanwhile a simple workflow started alongside finishes
and the API keeps answering, and the server's peak memory stays under
:data:`PEAK_MEMORY_CEILING`. These are checks of bounds (a limit was
enforced), not of speed.

What is bounded, and against what start: each bomb's own bounded step,
in the server's times of that bomb (:func:`_bounded_step`), not the
test's wait for it. The embedded server runs on SQLite, whose single
writer takes one unit of work at a time: a bomb's step may wait for the
write lock while another bomb's evaluation holds it, and the corpus
then takes about the sum of its limits. That wait is the single writer's
(a throughput matter), not a bound that failed, so it is left out: the
start is the time the server recorded inside the unit of work that ran
the step. A hostile request is timed by the test, from its sending to
its answer (the server has nothing else to do by then), against the same
limit plus margin.
"""
import datetime
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
# A limit is "held" when a bomb's bounded step ends within the limit plus
# this margin: 1 s because the API shows whole seconds (a step of 2.1 s
# can show as 3), and 3 s for what a loaded 2-core machine adds to the
# step: the unit of work's own reads and writes, or another bomb's result
# that an executor reported in the same batch (its evaluation may come
# first in that unit of work). On a 2-core machine at a load average of 4
# to 8 the longest step showed 2 to 3 s; with the expression time limit
# raised to 9 s the check fails (steps of 8 to 9 s), as any bomb that is
# not bounded would (they run for minutes).
MARGIN = 4.0
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
    """Create and start every task and action bomb; {name: (ex_id,
    entry)}."""
    started = {}
    for index, entry in enumerate(corpus["tasks"] + corpus["actions"]):
        name = "bomb_%d" % index
        api.create_workflow(_workflow(name, entry))
        wf_input = {k: _value(v) for k, v in entry.get("input", {}).items()
                    if "where" in entry}
        ex = api.start(name, wf_input or None)
        started[entry["name"]] = (ex["id"], entry)
    return started


def _server_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def _bounded_step(api, ex):
    """Seconds the step of the ended execution ``ex`` that met a limit
    took, in the server's times of this execution (whole seconds).

    The step is a unit of work: it starts when the server records what
    the unit does first (the execution's ``created_at`` for the start that
    evaluates the first task's input; for what follows an action, the
    ``updated_at`` of that action's execution, written as its result is
    taken, before the expressions that follow it are evaluated) and ends
    with the execution's ``updated_at``, when it went to ERROR. An action
    that fails on a limit (a result too big, a denied address) is in
    the step from the execution's start.
    """
    actions = api.get("/action_executions", workflow_execution_id=ex["id"])[
        "action_executions"]
    starts = [ex["created_at"]] + [a["updated_at"] for a in actions
                                   if a["state"] == "SUCCESS"]
    started = max(_server_time(t) for t in starts)
    return (_server_time(ex["updated_at"]) - started).total_seconds()


def _failure_text(api, ex):
    parts = [ex.get("state_info") or ""]
    for task in api.tasks(ex["id"]):
        parts.append(task.get("state_info") or "")
    return "\n".join(parts)


def test_every_bomb_is_bounded_while_the_service_carries_on(server):
    api = server.api
    corpus = _corpus()
    with _Watch(server) as watch:
        bombs = _start_bombs(api, corpus)
        simple = api.start("simple")
        # Waiting is no bound (see the module's note): the steps are.
        ended = api.wait_all([ex_id for ex_id, _ in bombs.values()] +
                             [simple["id"]],
                             (len(bombs) + 1) * (TIME_LIMIT + MARGIN))
    outcomes, steps = {}, {}
    for name, (ex_id, entry) in bombs.items():
        ex = ended[ex_id]
        outcomes[name] = (ex["state"], _failure_text(api, ex))
        steps[name] = _bounded_step(api, ex)
    wrong = {name: outcome for name, outcome in outcomes.items()
             if outcome[0] != "ERROR"
             or bombs[name][1]["limit"] not in outcome[1]}
    assert not wrong, json.dumps(wrong, indent=1)[:4000]
    slow = {name: took for name, took in steps.items()
            if took > TIME_LIMIT + MARGIN}
    assert not slow, "steps over %.0f s: %s" % (TIME_LIMIT + MARGIN, slow)
    done = ended[simple["id"]]
    assert done["state"] == "SUCCESS"
    simple_took = (_server_time(done["updated_at"]) -
                   _server_time(done["created_at"])).total_seconds()
    assert simple_took <= TIME_LIMIT + MARGIN
    assert not watch.failures, watch.failures
    assert watch.slowest < API_ANSWER_BOUND
    peak = _peak_memory(server.processes[0].pid)
    print("bombs: %d; longest step %.0f s (%s); peak memory %d MB; slowest "
          "API answer %.2f s; simple workflow done in %.0f s" % (
              len(bombs), max(steps.values()),
              max(steps, key=steps.get), peak >> 20, watch.slowest,
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
