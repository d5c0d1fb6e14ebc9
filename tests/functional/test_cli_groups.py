"""The real ``mistral`` CLI on environments, actions, workbooks, cron
triggers and execution deletion/report, against the embedded server.

Outputs are read with ``-f json`` (keys are the CLI's column headings).
"""
import datetime
import json
import os
import time

import pytest

from tests.functional import harness
from tests.functional import test_mistral_cli

pytestmark = pytest.mark.timeout(240)

ENV = {"name": "cli_env", "description": "for the CLI",
       "variables": {"greeting": "hi", "nested": {"n": 1}}}

ACTIONS = """\
version: '2.0'
cli_greet:
  description: Greets
  base: std.echo
  base-input:
    output: "Hello, <% $.name %>"
  input:
    - name
"""

WORKBOOK = """\
version: '2.0'
name: cli_book
tags: [cli]
workflows:
  main:
    tasks:
      one:
        action: std.noop
actions:
  shout:
    base: std.echo
    input: [text]
"""


@pytest.fixture(scope="module")
def cli(embedded, tmp_path_factory):
    if not os.path.exists(test_mistral_cli.MISTRAL):
        pytest.fail("python-mistralclient's mistral script is missing")
    return test_mistral_cli.MistralCli(
        embedded.url, str(tmp_path_factory.mktemp("cli_groups")))


def _file(cli, name, text):
    path = os.path.join(cli.workdir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def test_environment_commands(cli):
    path = _file(cli, "env.json", json.dumps(ENV))
    created = cli.json("environment-create", path)
    assert created["Name"] == "cli_env"
    assert created["Description"] == "for the CLI"
    assert json.loads(created["Variables"]) == ENV["variables"]
    assert created["Scope"] == "private"
    listed = {e["Name"]: e for e in cli.json("environment-list")}
    assert "cli_env" in listed
    shown = cli.json("environment-get", "cli_env")
    assert json.loads(shown["Variables"]) == ENV["variables"]
    update = dict(ENV, variables={"greeting": "hello"})
    updated = cli.json("environment-update",
                       _file(cli, "env2.yaml", json.dumps(update)))
    assert json.loads(updated["Variables"]) == {"greeting": "hello"}
    assert updated["Updated at"] not in (None, "<none>")
    out = cli.run("environment-delete", "cli_env").stdout
    assert "cli_env" in out
    proc = cli.run("environment-get", "cli_env", check=False)
    assert proc.returncode != 0
    assert "cli_env" in proc.stderr + proc.stdout


def test_builtin_actions(cli):
    listed = {a["Name"]: a for a in cli.json("action-list")}
    assert listed["std.echo"]["Is system"] is True
    shown = cli.json("action-get", "std.echo")
    assert shown["Input"] == "output, delay=0"


def test_adhoc_action_commands(cli):
    path = _file(cli, "actions.yaml", ACTIONS)
    valid = cli.json("action-validate", path)
    assert valid == {"Valid": True, "Error": None}
    created = cli.json("action-create", path)
    assert [(a["Name"], a["Is system"], a["Input"]) for a in created] == [
        ("cli_greet", False, "name")]
    shown = cli.json("action-get", "cli_greet")
    assert shown["Description"] == "Greets"
    updated = cli.json("action-update", _file(
        cli, "actions2.yaml", ACTIONS.replace("Greets", "Says hello")))
    assert updated[0]["Description"] == "Says hello"
    cli.run("action-delete", "cli_greet")
    assert "cli_greet" not in [a["Name"] for a in cli.json("action-list")]
    bad = _file(cli, "bad.yaml", "version: '2.0'\nx: {input: [a]}\n")
    invalid = cli.json("action-validate", bad)
    assert invalid["Valid"] is False
    assert "base" in invalid["Error"]


def test_workbook_commands(cli):
    path = _file(cli, "book.yaml", WORKBOOK)
    assert cli.json("workbook-validate", path)["Valid"] is True
    created = cli.json("workbook-create", path)
    assert created["Name"] == "cli_book"
    assert created["Tags"] == "cli"
    workflows = [w["Name"] for w in cli.json("workflow-list")]
    assert "cli_book.main" in workflows
    actions = [a["Name"] for a in cli.json("action-list")]
    assert "cli_book.shout" in actions
    assert cli.json("workbook-get", "cli_book")["Name"] == "cli_book"
    assert "cli_book" in [w["Name"] for w in cli.json("workbook-list")]
    definition = cli.run("workbook-get-definition", "cli_book").stdout
    assert "cli_book" in definition
    cli.run("workbook-update", path)
    cli.run("workbook-delete", "cli_book")
    assert "cli_book.main" not in [w["Name"]
                                   for w in cli.json("workflow-list")]


@pytest.fixture(scope="module")
def finished(cli, embedded):
    cli.run("workflow-create", _file(cli, "del.yaml", (
        "version: '2.0'\ncli_del:\n  tasks:\n    t:\n      action: "
        "std.noop\n")))
    created = cli.json("execution-create", "cli_del")
    embedded.api.wait_all([created["ID"]], timeout=60)
    return created["ID"]


def test_execution_report(cli, finished):
    out = cli.run("execution-get-report", finished,
                  "--no-errors-only").stdout
    assert "workflow 'cli_del' [SUCCESS] %s" % finished in out
    assert "task 't' [SUCCESS]" in out
    assert "Number of tasks in SUCCESS state: 1" in out


def test_execution_delete(cli, finished):
    cli.run("execution-delete", finished)
    proc = cli.run("execution-get", finished, check=False)
    assert proc.returncode != 0
    assert finished in proc.stderr + proc.stdout


def test_cron_trigger_commands_and_firing(cli, embedded):
    cli.run("workflow-create", _file(cli, "cron.yaml", (
        "version: '2.0'\ncli_cron:\n  input: [who]\n  tasks:\n    t:\n"
        "      action: std.echo output=<% $.who %>\n")))
    # Created in the last seconds of a minute, the trigger fires (and,
    # spent, is deleted) before the reads below: each CLI call takes a
    # second or more. Start after the boundary instead.
    second = datetime.datetime.now().second
    if second >= 45:
        time.sleep(61 - second)
    created = cli.json("cron-trigger-create", "cli_ct", "cli_cron",
                       json.dumps({"who": "cron"}), "--pattern",
                       "* * * * *", "--count", "1")
    assert created["Name"] == "cli_ct"
    assert created["Workflow"] == "cli_cron"
    assert created["Pattern"] == "* * * * *"
    assert created["Remaining executions"] == 1
    nxt = datetime.datetime.strptime(created["Next execution time"],
                                     "%Y-%m-%d %H:%M:%S")
    assert nxt.second == 0
    assert "cli_ct" in [t["Name"] for t in cli.json("cron-trigger-list")]
    assert cli.json("cron-trigger-get", "cli_ct")["Workflow"] == "cli_cron"

    def fired():
        return [e for e in embedded.api.list_executions()
                if e["workflow_name"] == "cli_cron"]
    executions = harness.wait_until(fired, 75, "the cron trigger to fire")
    assert len(executions) == 1
    assert "cron trigger" in executions[0]["description"]
    # Its one execution done, the trigger is gone.
    harness.wait_until(
        lambda: "cli_ct" not in [t["Name"]
                                 for t in cli.json("cron-trigger-list")],
        10, "the spent trigger to be deleted")


def test_cron_trigger_delete(cli):
    cli.run("cron-trigger-create", "cli_ct2", "cli_cron", "{}",
            "--pattern", "0 0 1 1 *")
    cli.run("cron-trigger-delete", "cli_ct2")
    proc = cli.run("cron-trigger-get", "cli_ct2", check=False)
    assert proc.returncode != 0
