"""The embedded all-in-one server: ``--server all``, SQLite, no broker.

Drives real workflows through the REST API and checks what a Mistral
user sees: final state, output, tasks, published data, action
executions.
"""
import re
import signal

import pytest

from tests.functional.harness import loads_field

pytestmark = pytest.mark.timeout(120)

# Mistral's timestamp format; python-mistralclient parses it with exactly
# this pattern.
MISTRAL_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")

GREETER = """\
version: '2.0'
greeter:
  type: direct
  input:
    - who
    - greeting: Hello
    - count: 3
  output:
    message: <% $.message %>
    shout: <% $.shout %>
    doubled: <% $.doubled %>
    finished: <% $.finished %>
    who: "{{ _.who }}"
  tasks:
    greet:
      action: std.echo output="<% $.greeting %>, <% $.who %>"
      publish:
        message: <% task().result %>
      on-success:
        - shout
    shout:
      action: std.echo output="{{ _.message }}!"
      publish:
        shout: "{{ task().result | upper }}"
      on-success:
        - boom
    boom:
      action: std.fail
      on-success:
        - never
      on-error:
        - recover
    never:
      action: std.noop
    recover:
      action: std.noop
      publish:
        doubled: <% $.count * 2 %>
      on-complete:
        - finish
    finish:
      action: std.echo output=done
      publish:
        finished: <% task().result %>
"""

FAILING = """\
version: '2.0'
failing:
  tasks:
    first:
      action: std.noop
      on-success: [explode]
    explode:
      action: std.fail
"""


@pytest.fixture(scope="module")
def workflows(embedded):
    created = embedded.api.create_workflow(GREETER + FAILING.split("\n", 1)[1])
    return {wf["name"]: wf for wf in created}


def run_one(deployment, name, wf_input=None, timeout=60):
    ex = deployment.api.start(name, wf_input)
    assert ex["state"] in ("IDLE", "RUNNING", "SUCCESS", "ERROR"), ex
    return deployment.api.wait_all([ex["id"]], timeout)[ex["id"]]


def tasks_by_name(deployment, ex_id):
    tasks = deployment.api.tasks(ex_id)
    names = [t["name"] for t in tasks]
    assert len(names) == len(set(names)), "a task ran twice: %s" % names
    return {t["name"]: t for t in tasks}


def test_workflow_definition_is_listed(embedded, workflows):
    assert set(workflows) == {"greeter", "failing"}
    greeter = workflows["greeter"]
    # Mistral shows the input as "who, greeting=Hello, count=3".
    params = [p.split("=")[0] for p in greeter["input"].split(", ")]
    assert params == ["who", "greeting", "count"], greeter["input"]
    listed = {wf["name"] for wf in embedded.api.list_workflows()}
    assert {"greeter", "failing"} <= listed


def test_full_workflow_with_defaults(embedded, workflows):
    ex = run_one(embedded, "greeter", {"who": "World"})

    assert ex["state"] == "SUCCESS", ex.get("state_info")
    assert ex["workflow_name"] == "greeter"
    assert loads_field(ex["input"]) == {"who": "World", "greeting": "Hello",
                                        "count": 3}
    assert loads_field(ex["output"]) == {
        "message": "Hello, World",
        "shout": "HELLO, WORLD!",
        "doubled": 6,
        "finished": "done",
        "who": "World",
    }
    assert MISTRAL_TIME.match(ex["created_at"]), ex["created_at"]

    tasks = tasks_by_name(embedded, ex["id"])
    assert {n: t["state"] for n, t in tasks.items()} == {
        "greet": "SUCCESS", "shout": "SUCCESS", "boom": "ERROR",
        "recover": "SUCCESS", "finish": "SUCCESS"}
    # A task's result is shown by GET /v2/tasks/<id> (lists may omit it).
    greet = embedded.api.task(tasks["greet"]["id"])
    assert loads_field(greet["result"]) == "Hello, World"
    assert loads_field(tasks["greet"]["published"]) == {
        "message": "Hello, World"}
    assert loads_field(tasks["shout"]["published"]) == {
        "shout": "HELLO, WORLD!"}
    assert loads_field(tasks["recover"]["published"]) == {"doubled": 6}
    assert loads_field(tasks["finish"]["published"]) == {"finished": "done"}

    for name, task in tasks.items():
        actions = embedded.api.action_executions(task["id"])
        assert len(actions) == 1, (name, actions)
        assert actions[0]["state"] == task["state"], (name, actions)
    assert embedded.api.action_executions(tasks["boom"]["id"])[0][
        "name"] == "std.fail"


def test_input_overrides_default(embedded, workflows):
    ex = run_one(embedded, "greeter",
                 {"who": "Mistral", "greeting": "Hi", "count": 10})

    assert ex["state"] == "SUCCESS", ex.get("state_info")
    output = loads_field(ex["output"])
    assert output["message"] == "Hi, Mistral"
    assert output["shout"] == "HI, MISTRAL!"
    assert output["doubled"] == 20


def test_unhandled_failure_fails_the_workflow(embedded, workflows):
    ex = run_one(embedded, "failing")

    assert ex["state"] == "ERROR"
    assert ex["state_info"], "an ERROR execution must say why"
    assert "explode" in ex["state_info"]
    tasks = tasks_by_name(embedded, ex["id"])
    assert {n: t["state"] for n, t in tasks.items()} == {
        "first": "SUCCESS", "explode": "ERROR"}


def test_a_start_repeated_with_its_id_runs_once(embedded, workflows):
    def greeters():
        return len(embedded.api.list_executions(workflow_name="greeter",
                                                fields="id"))

    before = greeters()
    body = {"id": "greet-once-1", "workflow_name": "greeter",
            "input": {"who": "Ann"}}
    first = embedded.api.request("POST", "/executions", expect=(201,),
                                 json=body).json()
    again = embedded.api.request("POST", "/executions", expect=(201,),
                                 json=body).json()
    assert first["id"] == again["id"] == "greet-once-1"
    done = embedded.api.wait_all([first["id"]], 60)[first["id"]]
    assert done["state"] == "SUCCESS", done.get("state_info")
    assert greeters() == before + 1
    assert sorted(tasks_by_name(embedded, first["id"])) == [
        "boom", "finish", "greet", "recover", "shout"]

    other = embedded.api.request(
        "POST", "/executions", expect=(409,),
        json={"id": "greet-once-1", "workflow_name": "failing"}).json()
    assert "greet-once-1" in other["faultstring"]
    assert "failing" in other["faultstring"]


@pytest.mark.timeout(90)
def test_sigterm_stops_the_server_cleanly(fresh_embedded):
    proc = fresh_embedded.processes[0]
    rc = fresh_embedded.kill(proc, signal.SIGTERM, timeout=20)
    assert rc == 0, "exit code %s after SIGTERM" % rc
