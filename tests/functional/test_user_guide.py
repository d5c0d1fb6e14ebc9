"""The examples of doc/source/user-guide.rst work: its workflows are
valid and run as the guide says, its receiver verifies real signatures.

The guide's shell blocks (``.. code-block:: shell``) are run as the guide
writes them, by ``bash``, with the ``wfengine`` console script of this
install and ``WFENGINE_URL`` set: the re-run with a corrected env, the
``curl`` PUT on an asynchronous action's callback URL (the URL, with its
token, as the called service received it), and ``listener-create``
(its example URL replaced by a receiver on 127.0.0.1 running the guide's
own Python receiver, which must accept the notifier's deliveries). Only
the placeholders the guide writes as ``<...>`` and the example URL are
filled in; a guide that drifts from the product fails here.
"""
import datetime
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import urllib.parse

import pytest
import standardwebhooks

from tests.functional import harness

pytestmark = pytest.mark.timeout(120)

GUIDE = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "doc",
                     "source", "user-guide.rst")
BIN = os.path.dirname(sys.executable)  # where ``wfengine`` is installed
EXAMPLE_HOOK = "https://hooks.example.com/wf"
NOTIFIER = {"notifier": {
    "allowed_networks": "127.0.0.1/32", "poll_interval": "0.05",
    "backoff_base": "0.1", "backoff_max": "0.5", "http_timeout": "2"}}


def code_blocks(language):
    """The bodies of the guide's ``.. code-block:: <language>``."""
    with open(GUIDE) as f:
        text = f.read()
    blocks = []
    pattern = r"^\.\. code-block:: %s\n\n((?:    .*\n|\n)+)" % language
    for match in re.finditer(pattern, text, re.M):
        lines = [line[4:] for line in match.group(1).splitlines()]
        blocks.append("\n".join(lines).strip() + "\n")
    return blocks


def test_the_workflows_are_valid(embedded):
    blocks = code_blocks("yaml")
    assert len(blocks) == 2
    for block in blocks:
        resp = embedded.api.request(
            "POST", "/workflows/validate", data=block.encode(),
            headers={"Content-Type": "text/plain"})
        assert resp.json()["valid"], resp.json()


def test_mark_and_resume_as_the_guide_says(embedded):
    api = embedded.api
    api.create_workflow(code_blocks("yaml")[0])
    ex = harness.start_execution(api, "guide_deploy")
    harness.wait_execution_state(api, ex["id"], "ERROR")
    publish = harness.task_named(api, ex["id"], "publish")
    api.request("PUT", "/tasks/%s" % publish["id"], json={
        "state": "IDLE", "state_info": "token renewed, see INC-42"})
    api.request("PUT", "/executions/%s" % ex["id"], json={
        "state": "RUNNING", "params": {"env": {"token": "s3cret"}}})
    done = harness.wait_execution_state(api, ex["id"], "SUCCESS")
    assert done["state"] == "SUCCESS"
    build = harness.task_named(api, ex["id"], "build")
    assert len(api.action_executions(build["id"])) == 1  # not run again


def test_the_receiver_verifies_standard_webhooks():
    [source] = code_blocks("python")
    namespace = {}
    exec(compile(source, GUIDE, "exec"), namespace)
    verify = namespace["verify"]
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = json.dumps({"event": "WORKFLOW_SUCCEEDED",
                       "state": "SUCCESS"}).encode()
    signer = standardwebhooks.Webhook(secret)
    now = datetime.datetime.now(datetime.timezone.utc)
    signature = signer.sign("msg_1", now, body.decode())
    headers = {"webhook-id": "msg_1",
               "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": signature}
    assert verify(secret, headers, body)["event"] == "WORKFLOW_SUCCEEDED"
    assert verify(secret, headers, body + b" ") is None
    stale = dict(headers, **{"webhook-timestamp": str(
        int(now.timestamp()) - 3600)})
    assert verify(secret, stale, body) is None


# -- the guide's shell blocks, run as written --------------------------------

@pytest.fixture(scope="module")
def guide(tmp_path_factory):
    """An embedded server whose std.mistral_http may call 127.0.0.1 and
    whose notifier may deliver there, with the guide's workflows."""
    config = dict(harness.std_http_loopback_config(), **NOTIFIER)
    deployment = harness.Deployment(tmp_path_factory.mktemp("guide"),
                                    config=config)
    with harness.running(deployment, ["all"]):
        for block in code_blocks("yaml"):
            deployment.api.create_workflow(block)
        yield deployment


def shell_block(command):
    """The one ``.. code-block:: shell`` of the guide that runs
    ``command``."""
    found = [b for b in code_blocks("shell") if command in b]
    assert len(found) == 1, "%d shell blocks of the guide run %s" % (
        len(found), command)
    return found[0]


def run_block(deployment, block, placeholders=None, env=None):
    """Run a shell block with ``<placeholder>`` texts replaced; asserts
    that none is left and that it exits 0. Its standard output."""
    for placeholder, value in (placeholders or {}).items():
        assert placeholder in block, (placeholder, block)
        block = block.replace(placeholder, value)
    assert not re.search(r"<[a-z][a-z ]*>", block), block
    full_env = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"],
                    WFENGINE_URL=deployment.url, **(env or {}))
    proc = subprocess.run(["bash", "-e", "-c", block], env=full_env,
                          capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, (block, proc.stdout, proc.stderr)
    return proc.stdout


def test_rerun_with_a_new_env_as_the_guide_writes_it(guide):
    api = guide.api
    ex = harness.start_execution(api, "guide_deploy")
    harness.wait_execution_state(api, ex["id"], "ERROR")
    publish = harness.task_named(api, ex["id"], "publish")
    run_block(guide, shell_block("task-rerun"),
              {"<publish task id>": publish["id"]})
    harness.wait_until(
        lambda: api.execution(ex["id"])["state"] == "SUCCESS", 60,
        "the re-run execution to succeed")
    tasks = harness.tasks_by_name(api, ex["id"])
    assert sorted(tasks) == ["announce", "build", "publish"]
    [build] = tasks["build"]
    assert len(api.action_executions(build["id"])) == 1  # not run again
    assert [a["state"] for a in api.action_executions(publish["id"])
            ].count("SUCCESS") == 1


def test_callback_put_as_the_guide_writes_it(guide):
    api = guide.api
    with harness.StubHttpServer(default=lambda record: (
            200, {"accepted": True})) as approver:
        ex = harness.start_execution(api, "guide_approval", {
            "approver_url": approver.url + "/approve"})
        [call] = harness.wait_until(lambda: approver.received("/approve"),
                                    30, "the approver's request")
    url = call["headers"]["mistral-callback-url"]
    action_id = call["headers"]["mistral-action-execution-id"]
    parts = urllib.parse.urlsplit(url)
    assert parts.path.endswith("/action_executions/" + action_id), url
    token = urllib.parse.parse_qs(parts.query)["token"][0]
    block = shell_block("curl")
    # The same PUT with another action's token completes nothing.
    forged = url.replace(token, token[::-1])
    refused = run_block(guide, block, env={"MISTRAL_CALLBACK_URL": forged})
    assert "faultstring" in refused, refused
    assert api.get("/action_executions/%s" % action_id)["state"] == "RUNNING"
    answer = json.loads(run_block(guide, block,
                                  env={"MISTRAL_CALLBACK_URL": url}))
    assert (answer.get("id"), answer.get("state")) == (
        action_id, "SUCCESS"), answer
    harness.wait_execution_state(api, ex["id"], "SUCCESS")
    ask = harness.task_named(api, ex["id"], "ask")
    assert harness.loads_field(ask["published"]) == {
        "decision": {"approved": True}}


def test_listener_create_as_the_guide_writes_it(guide):
    namespace = {}
    exec(compile(code_blocks("python")[0], GUIDE, "exec"), namespace)
    heard = []
    namespace["print"] = lambda *args: heard.append(args)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             namespace["Receiver"])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        hook = "http://127.0.0.1:%d/wf" % server.server_address[1]
        out = run_block(guide, shell_block("listener-create").replace(
            EXAMPLE_HOOK, hook))
        [secret] = re.findall(r"whsec_[A-Za-z0-9+/=]+", out)
        [listener_id] = re.findall(r"^\|\s*ID\s*\|\s*(\S+)\s*\|", out, re.M)
        namespace["SECRET"] = secret
        ex = harness.start_execution(guide.api, "guide_deploy")
        harness.wait_execution_state(guide.api, ex["id"], "ERROR")

        def delivered():
            found = [d for d in guide.api.get(
                "/listeners/%s/deliveries" % listener_id)["deliveries"]
                if d["workflow_execution_id"] == ex["id"]]
            events = {d["event"] for d in found}
            if {"TASK_FAILED", "WORKFLOW_FAILED"} <= events and all(
                    d["state"] == "DELIVERED" for d in found):
                return found
            return None

        found = harness.wait_until(delivered, 60,
                                   "deliveries the guide's receiver took")
    finally:
        server.shutdown()
        server.server_close()
    events = {d["event"] for d in found}
    assert "TASK_SUCCEEDED" not in events  # only EXECUTION and TASK_FAILED
    assert {args[1] for args in heard} >= {"TASK_FAILED", "WORKFLOW_FAILED"}
