"""The bodies of ``notify`` webhooks, compared with Mistral 23.0.0's.

A receiver written for Mistral reads the fields Mistral's notifier posts
(``name``, ``workflow_name``, ``state``, ``event``...): they must be the
same, with the same value shapes. ``mistral_notify_bodies.json`` holds
what a real Mistral 23.0.0 (``../shared/peers/mistral``, all-in-one)
posted to a receiver on 127.0.0.1 for :data:`DEFINITION`, normalised
(:func:`normalise`); record it again with::

    python -m tests.functional.test_notify_bodies http://127.0.0.1:8991/v2

The test runs the same workflow on wfengine with a real loopback receiver
and compares. wfengine's own webhook headers (``webhook-id``...,
doc/source extensions) come on top of the target's headers.
"""
import json
import os
import re
import sys
import time

import pytest
import requests

from tests.functional import harness
from tests.functional import test_notifications

pytestmark = pytest.mark.timeout(180)

GOLDEN = os.path.join(os.path.dirname(__file__),
                      "mistral_notify_bodies.json")
DEFINITION = """
version: '2.0'
nb_parent:
  input:
  - a: 1
  tasks:
    t1:
      action: std.echo output=<% $.a %>
      on-success: [t2]
    t2:
      action: std.fail
      on-error: [t3]
    t3:
      workflow: nb_child
nb_child:
  tasks:
    c:
      action: std.noop
"""
HEADER = ("X-Receiver", "written-for-mistral")
ID_FIELDS = ("id", "workflow_id", "workflow_execution_id",
             "root_execution_id", "task_execution_id")
TIME_FIELDS = ("created_at", "updated_at", "started_at", "finished_at")
MISTRAL_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


def _names(bodies):
    """Ids to readable labels (``ex:<workflow>``, ``task:<name>``,
    ``wf:<workflow>``), learnt from the bodies themselves."""
    names = {}
    for body in bodies:
        names[body.get("workflow_id")] = "wf:%s" % body.get("workflow_name")
        if body["event"].startswith("WORKFLOW_"):
            names[body["id"]] = "ex:%s" % body.get("name")
        else:
            names[body["id"]] = "task:%s" % body.get("name")
            names[body.get("workflow_execution_id")] = "ex:%s" % body.get(
                "workflow_name")
    return names


def _value(key, value, names):
    if value is None:
        return None
    if key in ID_FIELDS:
        return names.get(value, "<unknown id>")
    if key in TIME_FIELDS:
        return "<time>" if MISTRAL_TIME.match(str(value)) else value
    if key == "state_info":
        return "<text>"
    return value


def normalise(bodies):
    """``{execution label: [body, ...]}`` in arrival order, ids replaced
    by what they name, times by ``<time>`` (when in Mistral's format),
    messages by ``<text>``."""
    names = _names(bodies)
    out = {}
    for body in bodies:
        label = names.get(body.get("workflow_execution_id") or body["id"])
        out.setdefault(label, []).append(
            {k: _value(k, v, names) for k, v in sorted(body.items())})
    return out


def differences(mistral, ours):
    """One line per body or field that differs. The bodies of one
    execution are compared as a set: Mistral's notifier posts them from
    concurrent calls, and two runs of Mistral delivered a parent's
    WORKFLOW_SUCCEEDED before and after its last TASK_SUCCEEDED
    (wfengine keeps the order of the events)."""
    def ordered(bodies):
        return sorted(bodies, key=lambda b: json.dumps(b, sort_keys=True))
    lines = []
    for label in sorted(set(mistral) | set(ours)):
        theirs = ordered(mistral.get(label, []))
        mine = ordered(ours.get(label, []))
        events = ([(b["event"], b.get("name")) for b in theirs],
                  [(b["event"], b.get("name")) for b in mine])
        if events[0] != events[1]:
            lines.append("%s: events Mistral %s, wfengine %s"
                         % ((label,) + events))
            continue
        for one, other in zip(theirs, mine):
            for key in sorted(set(one) | set(other)):
                if one.get(key, "<absent>") != other.get(key, "<absent>"):
                    lines.append("%s %s %s.%s: Mistral %r, wfengine %r" % (
                        label, one["event"], one.get("name"), key,
                        one.get(key, "<absent>"), other.get(key, "<absent>")))
    return lines


def run(api_url, receiver_url, received):
    """Run :data:`DEFINITION` with a notify target on ``api_url``; the
    bodies received once they stop coming."""
    session = requests.Session()
    resp = session.post(api_url + "/workflows", data=DEFINITION.encode(),
                        headers={"Content-Type": "text/plain"}, timeout=30)
    if resp.status_code == 409:
        resp = session.put(api_url + "/workflows", data=DEFINITION.encode(),
                           headers={"Content-Type": "text/plain"},
                           timeout=30)
    assert resp.status_code in (200, 201), resp.text
    notify = [{"type": "webhook", "url": receiver_url + "/hook",
               "headers": dict([HEADER])}]
    ex = session.post(api_url + "/executions", timeout=30, json={
        "workflow_name": "nb_parent",
        "params": json.dumps({"notify": notify})}).json()
    harness.wait_until(lambda: session.get(
        api_url + "/executions/" + ex["id"], timeout=30).json()["state"]
        in harness.TERMINAL_STATES, 60, "the execution to end")
    last = []

    def settled():
        last.append(len(received()))
        return len(last) > 3 and len(set(last[-4:])) == 1
    harness.wait_until(settled, 60, "notifications to stop", interval=1)
    return received()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    made = test_notifications.deployment_with_notifier(
        tmp_path_factory.mktemp("notify-bodies"))
    with harness.running(made, ["all"]):
        yield made


def test_notify_bodies_are_mistral_s(deployment):
    with open(GOLDEN) as f:
        mistral = json.load(f)["bodies"]
    with harness.StubHttpServer(default=lambda r: (200, {})) as receiver:
        got = run(deployment.api.url, receiver.url, receiver.received)
    ours = normalise([r["json"] for r in got])
    assert not differences(mistral, ours), "\n".join(
        differences(mistral, ours))
    # As Mistral: the child shows the parent's notify and its description.
    (child,) = deployment.api.list_executions(workflow_name="nb_child")
    assert child["description"] == "sub-workflow execution"
    assert [n["url"] for n in harness.loads_field(child["params"])[
        "notify"]] == [receiver.url + "/hook"]
    for request in got:
        assert request["headers"][HEADER[0].lower()] == HEADER[1]
        # The extension's headers stay (a receiver may verify them).
        assert request["headers"]["webhook-id"]
        assert request["headers"]["webhook-timestamp"]


def main(api_url):
    """Record Mistral's bodies as the golden file."""
    with harness.StubHttpServer(default=lambda r: (200, {})) as receiver:
        got = run(api_url.rstrip("/"), receiver.url, receiver.received)
    with open(GOLDEN, "w") as f:
        json.dump({"recorded_on": "Mistral 23.0.0",
                   "recorded_at": time.strftime("%Y-%m-%d"),
                   "bodies": normalise([r["json"] for r in got])}, f,
                  indent=1, sort_keys=True)
        f.write("\n")
    print("recorded %d bodies in %s" % (len(got), GOLDEN))


if __name__ == "__main__":
    main(sys.argv[1])
