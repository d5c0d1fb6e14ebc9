"""``PUT /v2/listeners/<id>/deliveries/<delivery id>``: send a FAILED
delivery again."""
import datetime
import uuid

import pytest

from tests.unit.api import base
from wfengine.db import models
from wfengine.db import session

PUBLIC = "http://93.184.216.34/hook"


def _listener_with(app, state):
    listener = app.post_json("/v2/listeners", {"url": PUBLIC},
                             status=201).json
    created = datetime.datetime(2026, 1, 1)
    delivery = models.Delivery(
        id=str(uuid.uuid4()), event_id=1, event="WORKFLOW_FAILED",
        workflow_execution_id="ex", target="listener:%s" % listener["id"],
        publisher="webhook", listener_id=listener["id"], state=state,
        attempts=5, last_status_code=503, last_error="HTTP 503",
        next_attempt_at=created, created_at=created)
    base.add_rows(delivery)
    return listener["id"], delivery.id


def _url(listener_id, delivery_id):
    return "/v2/listeners/%s/deliveries/%s" % (listener_id, delivery_id)


def _row(delivery_id):
    return session.reader(lambda s: s.get(models.Delivery, delivery_id))


def test_a_failed_delivery_goes_back_to_pending_due_now(app):
    listener_id, delivery_id = _listener_with(app, "FAILED")
    before = datetime.datetime.now(datetime.timezone.utc).replace(
        tzinfo=None) - datetime.timedelta(seconds=1)
    shown = app.put_json(_url(listener_id, delivery_id),
                         {"state": "PENDING"}).json
    assert shown["state"] == "PENDING"
    assert shown["attempts"] == 5  # the history stays
    assert shown["next_attempt_at"] is not None
    row = _row(delivery_id)
    assert row.state == "PENDING" and row.claimed_by is None
    assert row.next_attempt_at >= before
    listed = app.get("/v2/listeners/%s/deliveries" % listener_id).json
    assert listed["deliveries"][0]["state"] == "PENDING"


@pytest.mark.parametrize("state", ["PENDING", "DELIVERED"])
def test_only_a_failed_delivery_is_sent_again(app, state):
    listener_id, delivery_id = _listener_with(app, state)
    error = app.put_json(_url(listener_id, delivery_id),
                         {"state": "PENDING"}, status=400).json
    assert state in error["faultstring"]
    assert "only a FAILED delivery" in error["faultstring"]
    assert _row(delivery_id).state == state


@pytest.mark.parametrize("body, words", [
    ({}, "PENDING"), ({"state": "DELIVERED"}, "Invalid delivery state (allowed: PENDING"),
    ({"state": "PENDING", "attempts": 0}, "Unknown field(s)")])
def test_bad_bodies_are_400(app, body, words):
    listener_id, delivery_id = _listener_with(app, "FAILED")
    error = app.put_json(_url(listener_id, delivery_id), body,
                         status=400).json
    assert words in error["faultstring"]
    assert "DELIVERED" not in error["faultstring"]  # not the value sent
    assert _row(delivery_id).state == "FAILED"


def test_unknown_delivery_or_listener_is_404(app):
    listener_id, delivery_id = _listener_with(app, "FAILED")
    app.put_json(_url(listener_id, uuid.uuid4()), {"state": "PENDING"},
                 status=404)
    app.put_json(_url(uuid.uuid4(), delivery_id), {"state": "PENDING"},
                 status=404)
    other = app.post_json("/v2/listeners", {"url": PUBLIC}, status=201).json
    app.put_json(_url(other["id"], delivery_id), {"state": "PENDING"},
                 status=404)
