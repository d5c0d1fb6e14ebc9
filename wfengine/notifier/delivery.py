"""Attempt claimed deliveries and record how each attempt went.

The send happens outside any transaction: claim (one unit of work), load
what the message needs (a read), publish, record (one unit of work,
compare-and-set on the claim). One log line per attempt, without body or
headers.
"""
import dataclasses
import logging

from wfengine import logcontext
from wfengine import metrics
from wfengine.db import models
from wfengine.db import notifications
from wfengine.db import session as db_session
from wfengine.notifier import payload
from wfengine.notifier import policy
from wfengine.notifier import publishers

LOG = logging.getLogger(__name__)
MAX_ERROR = 1000


@dataclasses.dataclass
class Work:
    """A claimed delivery and the message to send for it (None when what
    it was for is gone: the event, or a deleted listener)."""

    delivery: models.Delivery
    message: publishers.Message | None


def load(sess, deliveries):
    """The :class:`Work` of each claimed delivery, built in one read (no
    row outlives the read)."""
    events = notifications.get_events(sess, {d.event_id
                                              for d in deliveries})
    listeners = notifications.get_listeners(
        sess, {d.listener_id for d in deliveries if d.listener_id})
    return [Work(d, message(d, events.get(d.event_id),
                            listeners.get(d.listener_id)))
            for d in deliveries]


def message(d, event, listener):
    """The :class:`publishers.Message` of delivery ``d``, or None."""
    if event is None or (d.listener_id and listener is None):
        return None
    if d.listener_id:
        body = payload.listener_body(event)
        return publishers.Message(
            d.id, d.event, payload.encode(body), body, url=listener.url,
            method=listener.method, headers=listener.headers or {},
            secret=listener.secret)
    if d.target.startswith("notify:"):
        body = payload.notify_body(event)
        params = d.params or {}
        return publishers.Message(
            d.id, d.event, payload.encode(body), body, url=params.get("url"),
            method=params.get("method") or "POST",
            headers=params.get("headers") or {})
    body = payload.listener_body(event)
    return publishers.Message(d.id, d.event, payload.encode(body), body)


def publish(loaded, work):
    """Send one delivery with its publisher; an Outcome (never raises)."""
    msg = work.message
    if msg is None:
        return publishers.Outcome(
            ok=False, error="the event or the listener no longer exists")
    publisher = loaded.get(work.delivery.publisher)
    if publisher is None:
        return publishers.Outcome(
            ok=False, error="publisher %r is not enabled ([notifier] "
                            "publishers: %s)" % (work.delivery.publisher,
                                                 ", ".join(sorted(loaded))))
    try:
        return publisher.publish(msg)
    except Exception as e:
        LOG.exception("Publisher %s failed on delivery %s",
                      work.delivery.publisher, work.delivery.id)
        return publishers.Outcome(ok=False, error=type(e).__name__)


def outcome_values(delivery, outcome, retry_policy, now):
    """The columns to write after an attempt: ``(event, values)``."""
    values = {"last_status_code": outcome.status_code, "updated_at": now,
              "last_error": (outcome.error or "")[:MAX_ERROR] or None}
    if outcome.ok:
        values.update(state=policy.transition(policy.PENDING,
                                              policy.SUCCEED),
                      delivered_at=now, last_error=None)
        return policy.SUCCEED, values
    event, next_at = retry_policy.after_failure(
        delivery.attempts, delivery.created_at, now)
    values.update(state=policy.transition(policy.PENDING, event),
                  next_attempt_at=next_at)
    return event, values


@logcontext.binding(execution_id="delivery.workflow_execution_id",
                   task_id="delivery.task_execution_id")
def record(delivery, outcome, retry_policy, holder):
    """Write the outcome of an attempt (its own unit of work)."""
    now = models.utcnow()
    event, values = outcome_values(delivery, outcome, retry_policy, now)
    won = db_session.unit_of_work(notifications.record_attempt,
                                  delivery.id, holder, **values)
    _log(delivery, outcome, values, won)
    metrics.delivery_attempted(delivery.publisher, event, (
        now - delivery.created_at).total_seconds() if outcome.ok else None)
    return won


def _log(delivery, outcome, values, won):
    if not won:
        LOG.warning("Delivery %s: attempt %d finished after its claim ran "
                    "out; its outcome is not recorded", delivery.id,
                    delivery.attempts)
        return
    LOG.info("Delivery %s (%s, %s, %s) attempt %d: %s; PENDING -> %s",
             delivery.id, delivery.event, delivery.target,
             delivery.publisher, delivery.attempts,
             "ok" if outcome.ok else outcome.error, values["state"])
