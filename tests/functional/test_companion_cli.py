"""The companion CLI (the installed ``wfengine`` console script) against an
embedded server.

Every command group is run with ``-f json`` (whose keys are the column
headings, "ID", "Name", "State", as in python-mistralclient). The
extension's commands are run end to end: a workflow fails because of its
env, its failed task is marked (``task-reset``) and the execution resumed
with a fixed env (``execution-resume``); ``execution-watch`` ends with a
``done/total`` line and exit code 0 on SUCCESS, 2 on ERROR, 4 on timeout;
listeners get a real delivery from the notifier.

The deployment is the ``embedded`` layout (``--server all``, SQLite,
in-process messaging) whose notifier may deliver to 127.0.0.1, so that
``listener-deliveries`` has something to show.
"""
import json
import os
import re
import sys

import pytest

from tests.functional import harness

pytestmark = pytest.mark.timeout(240)

WFENGINE = os.path.join(os.path.dirname(sys.executable), "wfengine")
NOTIFIER = {"notifier": {
    "allowed_networks": "127.0.0.1/32", "poll_interval": "0.05",
    "backoff_base": "0.1", "backoff_max": "0.5", "http_timeout": "2"}}
PROGRESS = re.compile(r"^Progress: (\d+)/(\d+) tasks done, execution (\w+)$")

HELLO = """\
version: '2.0'
cli_hello:
  input:
    - name
  output:
    greeting: <% $.greeting %>
  tasks:
    hello:
      action: std.echo output="Hello, <% $.name %>"
      publish:
        greeting: <% task().result %>
      on-success: [bye]
    bye:
      action: std.noop
"""

# ``second`` fails unless the env has ``ok``.
FLAKY = """\
version: '2.0'
cli_flaky:
  output:
    b: <% $.b %>
  tasks:
    first:
      action: std.echo output="one"
      on-success: [second]
    second:
      action: std.echo output=<% env().ok %>
      publish:
        b: <% task().result %>
      on-success: [third]
    third:
      action: std.noop
"""

WAITING = """\
version: '2.0'
cli_waiting:
  tasks:
    wait:
      action: std.async_noop
"""

ACTIONS = """\
version: '2.0'
cli_greet:
  base: std.echo
  base-input:
    output: "hi <% $.name %>"
  input:
    - name
"""

WORKBOOK = """\
version: '2.0'
name: cli_book
workflows:
  inner:
    tasks:
      only:
        action: std.noop
"""


class Cli(harness.CommandLine):
    """Runs the console script; the API URL comes from WFENGINE_URL."""

    name = "wfengine"

    def __init__(self, url, workdir):
        super().__init__([WFENGINE], dict(os.environ, WFENGINE_URL=url),
                         workdir)
        self.url = url

    def file(self, name, text):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path


def assert_one_error_line(proc, *fragments):
    assert proc.returncode == 1, proc
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def progress(proc):
    """``(done, total, state)`` of the last line of execution-watch."""
    match = PROGRESS.match(proc.stdout.strip().splitlines()[-1])
    assert match, proc.stdout
    return int(match.group(1)), int(match.group(2)), match.group(3)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    deployment = harness.Deployment(tmp_path_factory.mktemp("cli"),
                                    config=NOTIFIER)
    with harness.running(deployment, ["all"]):
        yield deployment


@pytest.fixture(scope="module")
def cli(deployment, tmp_path_factory):
    if not os.path.exists(WFENGINE):
        pytest.fail("the wfengine console script is missing: %s "
                    "(pip install -e .)" % WFENGINE)
    return Cli(deployment.url, str(tmp_path_factory.mktemp("cli-work")))


@pytest.fixture(scope="module")
def workflows(cli):
    created = cli.json("workflow-create", cli.file("hello.yaml", HELLO))
    assert [wf["Name"] for wf in created] == ["cli_hello"]
    cli.json("workflow-create", cli.file("flaky.yaml", FLAKY))
    cli.json("workflow-create", cli.file("waiting.yaml", WAITING))
    return created[0]


def start(cli, name, wf_input=None, params=None):
    args = ["execution-create", name, json.dumps(wf_input or {})]
    if params is not None:
        args.append(json.dumps(params))
    created = cli.json(*args)
    assert created["Workflow name"] == name
    return created["ID"]


def watch(cli, ex_id, rc, timeout=60):
    return cli.run("execution-watch", ex_id, "--interval", "0.1",
                   "--timeout", str(timeout), rc=rc, timeout=timeout + 30)


def task_id(cli, ex_id, name):
    tasks = {t["Name"]: t for t in cli.json("task-list", ex_id)}
    return tasks[name]["ID"]


# -- the application ------------------------------------------------------

def test_help_names_the_extension_commands(cli):
    out = cli.run("--help").stdout
    for name in ("task-reset", "execution-resume", "execution-watch",
                 "listener-create", "listener-deliveries", "workflow-list",
                 "run-action", "cron-trigger-create"):
        assert name in out


def test_server_error_is_one_line(cli, workflows):
    proc = cli.run("execution-get", "no-such-execution", rc=None)
    assert_one_error_line(proc, "ERROR (HTTP 404)", "no-such-execution")
    proc = cli.run("task-reset", "no-such-task", "--state", "IDLE", rc=None)
    assert_one_error_line(proc, "ERROR (HTTP 404)")


def test_unreachable_server_is_one_line(cli):
    url = "http://127.0.0.1:%d/v2" % harness.free_port()
    proc = cli.run("--url", url, "workflow-list", rc=None)
    assert_one_error_line(proc, "cannot reach wfengine at " + url)


def test_url_option_beats_the_environment(cli, workflows):
    env = dict(cli.env, WFENGINE_URL="http://127.0.0.1:1/v2")
    proc = cli.run("--url", cli.url, "workflow-list", "-f", "json", env=env)
    assert "cli_hello" in {wf["Name"] for wf in json.loads(proc.stdout)}


def test_bad_json_argument_is_one_line(cli, workflows):
    proc = cli.run("execution-create", "cli_hello", "{not json", rc=None)
    assert_one_error_line(proc, "workflow_input", "JSON")


# -- workflows ------------------------------------------------------------

def test_workflow_commands(cli, workflows):
    listed = {wf["Name"]: wf for wf in cli.json("workflow-list")}
    assert listed["cli_hello"]["ID"] == workflows["ID"]
    shown = cli.json("workflow-get", "cli_hello")
    assert shown["ID"] == workflows["ID"]
    assert "interface" not in shown and shown["Input"] == "name"
    text = cli.run("workflow-get-definition", "cli_hello").stdout
    assert "std.echo" in text
    assert cli.json("workflow-validate", cli.file("hello.yaml", HELLO)) \
        == {"Valid": True, "Error": None}
    bad = cli.json("workflow-validate", cli.file("bad.yaml", ACTIONS))
    assert bad["Valid"] is False and "tasks" in bad["Error"]
    updated = cli.json("workflow-update", cli.file("hello.yaml", HELLO))
    assert [wf["Name"] for wf in updated] == ["cli_hello"]
    cli.json("workflow-create", cli.file("gone.yaml",
                                         HELLO.replace("cli_hello",
                                                       "cli_gone")))
    assert "Deleted" in cli.run("workflow-delete", "cli_gone").stdout
    assert_one_error_line(cli.run("workflow-get", "cli_gone", rc=None),
                          "HTTP 404")


# -- executions, tasks, action executions -----------------------------------

def test_execution_and_task_commands(cli, workflows):
    ex_id = start(cli, "cli_hello", {"name": "CLI"})
    proc = watch(cli, ex_id, rc=0)
    assert progress(proc) == (2, 2, "SUCCESS")
    assert "hello" in proc.stdout and "bye" in proc.stdout
    shown = cli.json("execution-get", ex_id)
    assert shown["State"] == "SUCCESS"
    assert json.loads(cli.run("execution-get-input", ex_id).stdout) == {
        "name": "CLI"}
    assert json.loads(cli.run("execution-get-output", ex_id).stdout) == {
        "greeting": "Hello, CLI"}
    listed = {ex["ID"]: ex for ex in cli.json("execution-list",
                                              "--filter",
                                              "workflow_name=cli_hello")}
    assert listed[ex_id]["State"] == "SUCCESS"
    hello = task_id(cli, ex_id, "hello")
    assert cli.json("task-get", hello)["State"] == "SUCCESS"
    assert json.loads(cli.run("task-get-result", hello).stdout) == \
        "Hello, CLI"
    assert json.loads(cli.run("task-get-published", hello).stdout) == {
        "greeting": "Hello, CLI"}
    actions = cli.json("action-execution-list", hello)
    assert [a["Name"] for a in actions] == ["std.echo"]
    action = cli.json("action-execution-get", actions[0]["ID"])
    assert action["Task execution ID"] == hello
    # Off unless the deployment allows it: the server's 403, as one line.
    assert_one_error_line(
        cli.run("action-execution-delete", action["ID"], rc=None),
        "ERROR (HTTP 403)", "allow_action_execution_deletion")
    updated = cli.json("execution-update", ex_id, "-d", "seen by the CLI")
    assert updated["Description"] == "seen by the CLI"
    cli.run("execution-delete", ex_id)
    assert_one_error_line(cli.run("execution-get", ex_id, rc=None),
                          "HTTP 404")


def test_watch_times_out_then_action_completion_ends_it(cli, workflows):
    ex_id = start(cli, "cli_waiting")
    proc = watch(cli, ex_id, rc=4, timeout=1)
    assert progress(proc) == (0, 1, "RUNNING")
    assert "Timed out" in proc.stderr
    wait = task_id(cli, ex_id, "wait")
    action = cli.json("action-execution-list", wait)[0]
    done = cli.json("action-execution-update", action["ID"], "--state",
                    "SUCCESS", "--output", '{"answer": 42}')
    assert done["State"] == "SUCCESS"
    assert progress(watch(cli, ex_id, rc=0)) == (1, 1, "SUCCESS")


def test_run_action(cli):
    ran = cli.json("run-action", "std.echo", '{"output": "direct"}')
    assert ran["State"] == "SUCCESS"
    assert json.loads(ran["Output"]) == {"result": "direct"}


# -- the extension: mark failed tasks, resume --------------------------------

def test_reset_idle_and_resume_with_fixed_env(cli, workflows):
    ex_id = start(cli, "cli_flaky")
    proc = watch(cli, ex_id, rc=2)
    assert progress(proc) == (2, 2, "ERROR")
    second = task_id(cli, ex_id, "second")
    marked = cli.json("task-reset", second, "--state", "IDLE")
    assert marked["State"] == "IDLE"
    assert cli.json("execution-get", ex_id)["State"] == "ERROR"
    resumed = cli.json("execution-resume", ex_id, "--env",
                       '{"ok": "fixed"}')
    assert resumed["State"] == "RUNNING"
    assert progress(watch(cli, ex_id, rc=0)) == (3, 3, "SUCCESS")
    assert json.loads(cli.run("execution-get-output", ex_id).stdout) == {
        "b": "fixed"}


def test_reset_success_with_published_file(cli, workflows):
    ex_id = start(cli, "cli_flaky")
    watch(cli, ex_id, rc=2)
    second = task_id(cli, ex_id, "second")
    published = cli.file("published.json", '{"b": "by hand"}')
    marked = cli.json("task-reset", second, "--state", "SUCCESS",
                      "--published", published)
    assert marked["State"] == "SUCCESS"
    cli.json("execution-resume", ex_id)
    assert progress(watch(cli, ex_id, rc=0)) == (3, 3, "SUCCESS")
    assert json.loads(cli.run("execution-get-output", ex_id).stdout) == {
        "b": "by hand"}


def test_resume_without_marks_is_one_line(cli, workflows):
    ex_id = start(cli, "cli_flaky")
    watch(cli, ex_id, rc=2)
    proc = cli.run("execution-resume", ex_id, rc=None)
    assert_one_error_line(proc, "ERROR (HTTP 400)", "Nothing to resume")


# -- listeners --------------------------------------------------------------

def test_listener_commands(cli, workflows):
    receiver = harness.StubHttpServer(default=lambda r: (200, {}))
    try:
        _exercise_listener(cli, receiver)
    finally:
        receiver.server.shutdown()


def _exercise_listener(cli, receiver):
    made = cli.json("listener-create", receiver.url + "/hook",
                    "--workflow", "cli_hello", "--event",
                    "WORKFLOW_SUCCEEDED", "--header", "X-Token=abc",
                    "--description", "from the CLI")
    assert made["Secret"].startswith("whsec_")
    assert made["Headers"] == {"X-Token": "***"}
    lid = made["ID"]
    listed = cli.json("listener-list", "--workflow", "cli_hello")
    assert [item["ID"] for item in listed] == [lid]
    shown = cli.json("listener-show", lid)
    assert shown["Events"] == ["WORKFLOW_SUCCEEDED"] and "Secret" not in shown
    assert cli.json("listener-update", lid, "--disable")["Enabled"] is False
    assert cli.json("listener-update", lid, "--enable")["Enabled"] is True
    ex_id = start(cli, "cli_hello", {"name": "hook"})
    watch(cli, ex_id, rc=0)

    def delivered():
        found = cli.json("listener-deliveries", lid)
        return found if found and found[0]["State"] == "DELIVERED" else None

    found = harness.wait_until(delivered, 60, "a delivery", interval=0.2)
    assert found[0]["Event"] == "WORKFLOW_SUCCEEDED"
    assert found[0]["Workflow execution ID"] == ex_id
    assert receiver.received("/hook")[0]["headers"]["x-token"] == "abc"
    cli.run("listener-delete", lid)
    assert_one_error_line(cli.run("listener-show", lid, rc=None),
                          "HTTP 404")


# -- definitions: actions, workbooks, environments, cron triggers -----------

def test_action_commands(cli):
    created = cli.json("action-create", cli.file("act.yaml", ACTIONS))
    assert [a["Name"] for a in created] == ["cli_greet"]
    names = {a["Name"] for a in cli.json("action-list")}
    assert {"cli_greet", "std.echo"} <= names
    assert cli.json("action-get", "cli_greet")["Input"] == "name"
    assert "base: std.echo" in cli.run("action-get-definition",
                                       "cli_greet").stdout
    assert cli.json("action-validate", cli.file("act.yaml", ACTIONS))[
        "Valid"] is True
    ran = cli.json("run-action", "cli_greet", '{"name": "you"}')
    assert json.loads(ran["Output"]) == {"result": "hi you"}
    cli.run("action-delete", "cli_greet")
    assert "cli_greet" not in {a["Name"] for a in cli.json("action-list")}


def test_workbook_commands(cli):
    path = cli.file("book.yaml", WORKBOOK)
    assert cli.json("workbook-validate", path)["Valid"] is True
    assert cli.json("workbook-create", path)["Name"] == "cli_book"
    assert "cli_book" in {b["Name"] for b in cli.json("workbook-list")}
    assert cli.json("workbook-get", "cli_book")["Name"] == "cli_book"
    assert "std.noop" in cli.run("workbook-get-definition",
                                 "cli_book").stdout
    assert cli.json("workbook-update", path)["Name"] == "cli_book"
    assert "cli_book.inner" in {
        wf["Name"] for wf in cli.json("workflow-list")}
    cli.run("workbook-delete", "cli_book")
    assert "cli_book.inner" not in {
        wf["Name"] for wf in cli.json("workflow-list")}


def test_environment_commands(cli):
    path = cli.file("env.json", json.dumps({
        "name": "cli_env", "description": "d", "variables": {"a": 1}}))
    assert cli.json("environment-create", path)["Name"] == "cli_env"
    assert "cli_env" in {e["Name"] for e in cli.json("environment-list")}
    assert json.loads(cli.json("environment-get", "cli_env")[
        "Variables"]) == {"a": 1}
    cli.file("env.yaml", "name: cli_env\nvariables:\n  a: 2\n")
    cli.json("environment-update", os.path.join(cli.workdir, "env.yaml"))
    assert json.loads(cli.run("environment-get-variables",
                              "cli_env").stdout) == {"a": 2}
    cli.run("environment-delete", "cli_env")
    assert_one_error_line(cli.run("environment-get", "cli_env", rc=None),
                          "HTTP 404")


def test_cron_trigger_commands(cli, workflows):
    made = cli.json("cron-trigger-create", "cli_cron", "cli_hello",
                    '{"name": "cron"}', "--pattern", "0 0 1 1 *",
                    "--count", "1")
    assert made["Workflow name"] == "cli_hello"
    assert made["Remaining executions"] == 1
    assert "cli_cron" in {c["Name"] for c in cli.json("cron-trigger-list")}
    assert cli.json("cron-trigger-get", "cli_cron")["Pattern"] == \
        "0 0 1 1 *"
    cli.run("cron-trigger-delete", "cli_cron")
    assert_one_error_line(cli.run("cron-trigger-get", "cli_cron", rc=None),
                          "HTTP 404")


def test_list_formats(cli, workflows):
    csv_out = cli.run("workflow-list", "-f", "csv").stdout
    assert csv_out.splitlines()[0].startswith('"ID","Name"')
    names = cli.run("workflow-list", "-f", "value", "-c", "Name").stdout
    assert "cli_hello" in names.split()
    yaml_out = cli.run("workflow-get", "cli_hello", "-f", "yaml").stdout
    assert "Name: cli_hello" in yaml_out
