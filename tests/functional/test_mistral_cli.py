"""The real python-mistralclient CLI (``mistral``) against the embedded
server, without authentication.

With ``--os-mistral-url`` and no auth URL (nor ``OS_AUTH_URL``, a
password or a token), python-mistralclient skips Keystone and talks to
the URL directly. Listings and shows use cliff's ``-f json`` formatter,
whose keys are the column headings ("ID", "Name", "State", ...).
"""
import json
import os
import sys

import pytest

from tests.functional import harness

pytestmark = pytest.mark.timeout(180)

MISTRAL = os.path.join(os.path.dirname(sys.executable), "mistral")

WF = """\
version: '2.0'
cli_hello:
  input:
    - name
    - punctuation: "!"
  output:
    greeting: <% $.greeting %>
  tasks:
    hello:
      action: std.echo output="Hello, <% $.name %><% $.punctuation %>"
      publish:
        greeting: <% task().result %>
      on-success: [bye]
    bye:
      action: std.noop
"""


class MistralCli(harness.CommandLine):
    """The real ``mistral`` CLI, without Keystone."""

    name = "mistral"

    def __init__(self, url, workdir):
        # No Keystone: drop any OpenStack auth settings of the caller.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("OS_", "MISTRAL_"))}
        super().__init__([MISTRAL, "--os-mistral-url", url], env, workdir)
        self.url = url

    def run(self, *args, check=True, **kwargs):
        """``check=False``: any exit code is fine."""
        return super().run(*args, rc=0 if check else None, **kwargs)


@pytest.fixture(scope="module")
def cli(embedded, tmp_path_factory):
    if not os.path.exists(MISTRAL):
        pytest.fail("python-mistralclient's mistral script is missing: %s"
                    % MISTRAL)
    return MistralCli(embedded.url, str(tmp_path_factory.mktemp("cli")))


@pytest.fixture(scope="module")
def workflow(cli):
    path = os.path.join(cli.workdir, "cli_hello.yaml")
    with open(path, "w") as f:
        f.write(WF)
    created = cli.json("workflow-create", path)
    assert [wf["Name"] for wf in created] == ["cli_hello"]
    return created[0]


@pytest.fixture(scope="module")
def execution(cli, embedded, workflow):
    created = cli.json("execution-create", "cli_hello",
                       json.dumps({"name": "CLI"}))
    assert created["Workflow name"] == "cli_hello"
    assert created["State"] in ("RUNNING", "SUCCESS"), created
    embedded.api.wait_all([created["ID"]], timeout=60)
    return created


def test_workflow_list(cli, workflow):
    listed = cli.json("workflow-list")
    by_name = {wf["Name"]: wf for wf in listed}
    assert by_name["cli_hello"]["ID"] == workflow["ID"]
    assert by_name["cli_hello"]["Input"].startswith("name, punctuation")


def test_execution_get(cli, execution):
    shown = cli.json("execution-get", execution["ID"])
    assert shown["ID"] == execution["ID"]
    assert shown["Workflow name"] == "cli_hello"
    assert shown["State"] == "SUCCESS", shown["State info"]


def test_execution_output(cli, execution):
    out = cli.run("execution-get-output", execution["ID"]).stdout
    assert json.loads(out) == {"greeting": "Hello, CLI!"}


def test_execution_list(cli, execution):
    listed = {ex["ID"]: ex for ex in cli.json("execution-list")}
    assert listed[execution["ID"]]["State"] == "SUCCESS"
    assert listed[execution["ID"]]["Workflow name"] == "cli_hello"


def test_task_list(cli, execution):
    tasks = cli.json("task-list", execution["ID"])
    assert sorted((t["Name"], t["State"]) for t in tasks) == [
        ("bye", "SUCCESS"), ("hello", "SUCCESS")]
    assert {t["Workflow Execution ID"] for t in tasks} == {execution["ID"]}


def test_unknown_workflow_is_reported(cli, workflow):
    proc = cli.run("execution-create", "no_such_cli_workflow", check=False)
    assert proc.returncode != 0
    assert "no_such_cli_workflow" in proc.stderr + proc.stdout
