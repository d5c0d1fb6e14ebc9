"""Logs an operator can follow: --log-file, JSON lines, ids, no secrets."""
import json
import os
import sys

import pytest

from tests.functional import harness
from tests.functional import test_health

pytestmark = pytest.mark.timeout(120)

WORKFLOW = """
version: '2.0'
logged:
  tasks:
    one:
      action: std.echo output=<% env().token %>
      on-success: [two]
    two:
      action: std.noop
"""
CANARY = "CanaryToken7731"


def test_json_log_file_with_execution_ids_and_no_secrets(tmp_path):
    deployment = harness.Deployment(tmp_path, config={"notifier": {
        "allowed_networks": "127.0.0.1/32", "poll_interval": "0.05",
        "max_attempts": "2", "backoff_base": "0.05"}})
    log_file = os.path.join(deployment.workdir, "json.log")
    argv = [sys.executable, "-m", "wfengine.cmd.launch", "--config-file",
            deployment.config_file, "--server", "all", "--debug",
            "--log-file", log_file, "--use-json"]
    proc = harness.Process("all", ["all"], argv,
                           os.path.join(deployment.workdir, "out.log"),
                           deployment.env)
    deployment.processes.append(proc)
    with test_health.stopping(deployment):
        deployment.wait_for_api()
        api = deployment.api
        api.create_workflow(WORKFLOW)
        closed = harness.free_port()
        api.request("POST", "/listeners", expect=(201,), json={
            "url": "http://127.0.0.1:%d/hook?token=%s" % (closed, CANARY),
            "workflow_name": "logged"})
        ex = harness.start_execution(api, "logged", env={"token": "x"})
        harness.wait_execution_state(api, ex["id"], "SUCCESS")
        harness.wait_until(lambda: _mentions(log_file, "Delivery"), 30,
                           "delivery attempts in the log")
    text = open(log_file).read()
    assert CANARY not in text
    entries = [json.loads(line) for line in text.splitlines()]
    about = [e for e in entries if ex["id"] in e["message"]]
    assert len(about) >= 3
    unmarked = [e["message"] for e in about
                if e.get("execution_id") != ex["id"]]
    assert unmarked == []
    actions = [e for e in entries if e.get("action_id")]
    assert actions and all(e["execution_id"] == ex["id"] for e in actions)
    deliveries = [e for e in entries if e["message"].startswith("Delivery")]
    assert deliveries and all(e.get("execution_id") == ex["id"]
                              for e in deliveries)


def _mentions(path, word):
    try:
        return word in open(path).read()
    except OSError:
        return False
