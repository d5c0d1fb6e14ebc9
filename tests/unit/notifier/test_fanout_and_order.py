"""Fan-out of events into deliveries, and the claims that keep order and
let only one notifier attempt a delivery at a time (SQLite)."""
import concurrent.futures
import datetime
import json
import threading

import pytest
import sqlalchemy as sa

from tests.unit.notifier.conftest import add, event, execution, listener
from wfengine.db import models
from wfengine.db import notifications
from wfengine.db import session
from wfengine.notifier import delivery
from wfengine.notifier import fanout
from wfengine.notifier import payload
from wfengine.notifier import policy
from wfengine.notifier import publishers

pytestmark = pytest.mark.usefixtures("db")
LATER = datetime.timedelta(seconds=60)


def _fan_out(broadcast=()):
    return session.unit_of_work(fanout.fan_out, 100, list(broadcast),
                                models.utcnow())


def _deliveries():
    def read(sess):
        stmt = (sa.select(models.Delivery)
                .options(sa.orm.undefer(models.Delivery.params))
                .order_by(models.Delivery.event_id, models.Delivery.target))
        rows = list(sess.execute(stmt).scalars())
        sess.expunge_all()
        return rows
    return session.reader(read)


def _claim(holder, now=None, limit=100):
    now = now or models.utcnow()
    return session.unit_of_work(notifications.claim_deliveries, holder,
                                now, now + LATER, limit)


def _finish(row, holder, ok=True):
    outcome = publishers.Outcome(ok=ok, status_code=200 if ok else 500,
                                 error=None if ok else "HTTP 500")
    return delivery.record(row, outcome, policy.RetryPolicy(), holder)


def test_events_fan_out_to_matching_listeners_and_are_dispatched():
    wf_ex = execution("deploy")
    everything = listener()
    deploy_tasks = listener("deploy", events=["TASK"])
    other = listener("other")
    disabled = listener(enabled=False)
    only_success = listener(events=["WORKFLOW_SUCCEEDED"])
    add(wf_ex, everything, deploy_tasks, other, disabled, only_success,
        event(wf_ex, "WORKFLOW_LAUNCHED"),
        event(wf_ex, "TASK_LAUNCHED", task="t-1"))
    assert _fan_out(["messaging"]) == 2
    got = {(d.event, d.target) for d in _deliveries()}
    assert got == {
        ("WORKFLOW_LAUNCHED", "listener:%s" % everything.id),
        ("WORKFLOW_LAUNCHED", "publisher:messaging"),
        ("TASK_LAUNCHED", "listener:%s" % everything.id),
        ("TASK_LAUNCHED", "listener:%s" % deploy_tasks.id),
        ("TASK_LAUNCHED", "publisher:messaging"),
    }
    assert _fan_out() == 0
    assert all(d.state == "PENDING" and d.attempts == 0
               for d in _deliveries())


def test_sub_executions_use_their_roots_notify_targets():
    notify = [{"type": "webhook", "url": "http://8.8.8.8/a",
               "headers": {"X-Token": "s3cret"}},
              {"type": "noop", "event_types": ["WORKFLOW_SUCCEEDED"]}]
    root = execution("parent", params={"notify": notify})
    child = execution("child", params={}, root=root.id)
    add(root, child, event(root, "WORKFLOW_LAUNCHED"),
        event(child, "WORKFLOW_LAUNCHED"),
        event(child, "WORKFLOW_SUCCEEDED"))
    _fan_out()
    rows = _deliveries()
    assert [(d.workflow_execution_id, d.event, d.target, d.publisher)
            for d in rows] == [
        (root.id, "WORKFLOW_LAUNCHED", "notify:%s:0" % root.id, "webhook"),
        (child.id, "WORKFLOW_LAUNCHED", "notify:%s:0" % root.id, "webhook"),
        (child.id, "WORKFLOW_SUCCEEDED", "notify:%s:0" % root.id, "webhook"),
        (child.id, "WORKFLOW_SUCCEEDED", "notify:%s:1" % root.id, "noop")]
    assert rows[0].params == {"url": "http://8.8.8.8/a", "method": "POST",
                              "headers": {"X-Token": "s3cret"}}


def test_only_the_oldest_pending_delivery_per_execution_and_target():
    a, b = execution(), execution()
    hook = listener()
    add(a, b, hook, event(a, "WORKFLOW_LAUNCHED"),
        event(a, "TASK_LAUNCHED", task="ta"), event(b, "WORKFLOW_LAUNCHED"),
        event(a, "TASK_SUCCEEDED", task="ta"))
    _fan_out()
    first = _claim("n1")
    assert sorted((d.workflow_execution_id, d.event) for d in first) == sorted(
        [(a.id, "WORKFLOW_LAUNCHED"), (b.id, "WORKFLOW_LAUNCHED")])
    assert _claim("n2") == []  # held, and their successors wait
    by_ex = {d.workflow_execution_id: d for d in first}
    assert _finish(by_ex[a.id], "n1", ok=False)  # retry later: still blocks
    assert _claim("n2", models.utcnow() + datetime.timedelta(hours=1)) != []


def test_next_delivery_is_due_once_the_previous_one_is_done():
    a = execution()
    hook = listener()
    add(a, hook, event(a, "WORKFLOW_LAUNCHED"),
        event(a, "TASK_LAUNCHED", task="ta"))
    _fan_out()
    seen = []
    for _ in range(2):
        (row,) = _claim("n1")
        seen.append(row.event)
        assert _finish(row, "n1")
    assert seen == ["WORKFLOW_LAUNCHED", "TASK_LAUNCHED"]
    assert [d.state for d in _deliveries()] == ["DELIVERED", "DELIVERED"]


def test_an_event_not_yet_fanned_out_blocks_later_deliveries():
    a = execution()
    hook = listener()
    add(a, hook, event(a, "WORKFLOW_LAUNCHED"),
        event(a, "TASK_LAUNCHED", task="t"))
    _fan_out()
    add(event(a, "TASK_SUCCEEDED", task="t"))
    later = event(a, "WORKFLOW_SUCCEEDED")
    add(later)

    # Another notifier fanned out only the newest event so far.
    def fan_out_only(sess):
        ev = sess.get(models.Event, later.id)
        for row in fanout.deliveries_for(ev, [hook], {}, [],
                                         models.utcnow()):
            sess.add(row)
        ev.dispatched = True
    session.unit_of_work(fan_out_only)
    events = []
    for _ in range(2):
        (row,) = _claim("n1")
        events.append(row.event)
        _finish(row, "n1")
    assert events == ["WORKFLOW_LAUNCHED", "TASK_LAUNCHED"]
    assert _claim("n1") == []  # WORKFLOW_SUCCEEDED waits for TASK_SUCCEEDED
    _fan_out()
    (row,) = _claim("n1")
    assert row.event == "TASK_SUCCEEDED"
    _finish(row, "n1")
    (row,) = _claim("n1")
    assert row.event == "WORKFLOW_SUCCEEDED"


def test_two_notifiers_never_claim_the_same_delivery():
    hook = listener()
    rows = [hook]
    for _ in range(40):
        ex = execution()
        rows += [ex, event(ex, "WORKFLOW_LAUNCHED")]
    add(*rows)
    _fan_out()
    start = threading.Barrier(4)

    def claimer(name):
        start.wait()
        got = []
        for _ in range(10):
            got += [d.id for d in _claim(name, limit=3)]
        return got
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(claimer, ["n1", "n2", "n3", "n4"]))
    claimed = [i for got in results for i in got]
    assert len(claimed) == len(set(claimed)) == 40


def test_a_claim_that_ran_out_is_taken_over_and_the_late_result_ignored():
    a = execution()
    add(a, listener(), event(a, "WORKFLOW_LAUNCHED"))
    _fan_out()
    (row,) = _claim("n1")
    assert _claim("n2") == []
    (again,) = _claim("n2", models.utcnow() + 2 * LATER)
    assert again.id == row.id and again.attempts == 2
    assert not _finish(row, "n1")  # n1's answer came too late
    assert _finish(again, "n2")
    (done,) = _deliveries()
    assert (done.state, done.attempts, done.last_status_code) == (
        "DELIVERED", 2, 200)


def test_failed_after_max_attempts_and_visible():
    a = execution()
    add(a, listener(), event(a, "WORKFLOW_LAUNCHED"))
    _fan_out()
    retry = policy.RetryPolicy(max_attempts=2, backoff_base=0.01,
                               backoff_max=0.01)
    bad = publishers.Outcome(ok=False, status_code=500, error="HTTP 500")
    for _ in range(2):
        (row,) = _claim("n1", models.utcnow() + LATER)
        delivery.record(row, bad, retry, "n1")
    (row,) = _deliveries()
    assert (row.state, row.attempts, row.last_status_code,
            row.last_error) == ("FAILED", 2, 500, "HTTP 500")


def test_payloads_are_shaped_like_the_api_and_mask_secrets():
    notify = [{"type": "webhook", "url": "http://8.8.8.8/",
               "headers": {"Authorization": "Bearer canary-123"}}]
    wf_ex = execution("wf", params={"notify": notify,
                                    "env": {"password": "canary-456"}})
    ev = event(wf_ex, "WORKFLOW_LAUNCHED")
    add(wf_ex, ev)
    body = payload.notify_body(ev)
    assert body["event"] == "WORKFLOW_LAUNCHED"
    assert body["id"] == wf_ex.id and body["workflow_name"] == "wf"
    # Mistral's notify body: the execution's name, no input or params.
    assert body["name"] == "wf" and "input" not in body
    assert json.loads(payload.encode(payload.listener_body(ev)))["data"][
        "input"] == json.dumps({"x": 1})
    text = payload.encode(payload.listener_body(ev)).decode()
    assert "canary" not in text and "canary" not in json.dumps(body)
    spec = payload.listener_body(ev)
    assert list(spec) == ["id", "event", "timestamp", "workflow_name",
                          "workflow_execution_id", "root_execution_id",
                          "task_execution_id", "task_name", "state",
                          "state_info", "data"]
    assert spec["timestamp"].endswith("Z") and "T" in spec["timestamp"]
