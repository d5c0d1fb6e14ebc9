"""The examples of doc/source/user-guide.rst work: its workflows are
valid and run as the guide says, its receiver verifies real signatures."""
import datetime
import json
import os
import re

import pytest
import standardwebhooks

from tests.functional import harness

pytestmark = pytest.mark.timeout(120)

GUIDE = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "doc",
                     "source", "user-guide.rst")


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
