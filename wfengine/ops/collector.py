"""Gauges read from the database at scrape time.

What the database alone knows (the outbox, pending deliveries, executor
heartbeats, actions in flight per executor) is measured from the outside
with a few indexed queries, reused for ``[monitoring]
database_gauges_interval`` seconds. Every process that exposes metrics
reports the same values: aggregate them with ``max``, not ``sum``.
"""
import datetime
import logging
import threading
import time

import sqlalchemy as sa
from prometheus_client import core

from wfengine import state_names as states
from wfengine.db import models
from wfengine.db import session as db_session

LOG = logging.getLogger(__name__)

_P = "wfengine_"
# Executors silent for longer than this are left out of the gauges (the
# retention policy removes their rows).
_FORGET_EXECUTORS_AFTER = 86400


class DatabaseCollector:
    """A ``prometheus_client`` collector of the database gauges."""

    def __init__(self, interval):
        self._interval = interval
        self._lock = threading.Lock()
        self._at = None
        self._families = []

    def describe(self):
        return []  # not known before the first query; do not run one

    def collect(self):
        with self._lock:
            now = time.monotonic()
            if self._at is None or now - self._at >= self._interval:
                self._families = self._read()
                self._at = now
            return list(self._families)

    def _read(self):
        try:
            rows = db_session.reader(_query)
        except Exception as e:  # a scrape must not fail for the database
            LOG.warning("Database gauges not read: %s", e)
            return [_gauge("database_gauges_up", "1 if the database gauges "
                           "were read at the last scrape.", [], [((), 0)])]
        return _families(rows, models.utcnow())


def _query(session):
    now = models.utcnow()
    since = now - datetime.timedelta(seconds=_FORGET_EXECUTORS_AFTER)
    outbox = models.OutboxMessage
    delivery = models.Delivery
    action = models.ActionExecution
    beat = models.ExecutorHeartbeat
    wf_ex = models.WorkflowExecution
    due = sa.case((outbox.next_send_at <= now, 1), else_=0)
    due_created = sa.case((outbox.next_send_at <= now, outbox.created_at))
    return {
        "outbox": session.execute(sa.select(
            outbox.kind, sa.func.count(), sa.func.sum(due),
            sa.func.min(due_created)).group_by(outbox.kind)).all(),
        "deliveries": session.execute(sa.select(
            delivery.publisher, sa.func.count(),
            sa.func.min(delivery.created_at)).where(
                delivery.state == states.DELIVERY_PENDING).group_by(
                delivery.publisher)).all(),
        "events": session.execute(sa.select(
            sa.func.count(), sa.func.min(models.Event.created_at)).where(
                models.Event.dispatched.is_(False))).one(),
        "heartbeats": session.execute(sa.select(
            beat.name, beat.heartbeat_at).where(
                beat.heartbeat_at >= since)).all(),
        "in_flight": session.execute(sa.select(
            action.executor, sa.func.count()).where(
                action.state == states.RUNNING,
                action.executor.is_not(None)).group_by(
                action.executor)).all(),
        "running": session.execute(sa.select(sa.func.count()).where(
            wf_ex.state == states.RUNNING).select_from(wf_ex)).scalar(),
    }


def _families(rows, now):
    def age(at):
        return max(0.0, (now - at).total_seconds()) if at else 0.0

    outbox, deliveries = rows["outbox"], rows["deliveries"]
    events_count, events_oldest = rows["events"]
    return [
        _gauge("database_gauges_up", "1 if the database gauges were read "
               "at the last scrape.", [], [((), 1)]),
        _gauge("outbox_rows", "Outbox rows (sent or not, timers "
               "included), by kind.", ["kind"],
               [((k,), n) for k, n, _, _ in outbox]),
        _gauge("outbox_due_rows", "Outbox rows due to be sent now (not "
               "sent yet, or sent and not acknowledged in time).", ["kind"],
               [((k,), d or 0) for k, _, d, _ in outbox]),
        _gauge("outbox_oldest_due_age_seconds", "Age of the oldest outbox "
               "row that is due, by kind.", ["kind"],
               [((k,), age(o)) for k, _, _, o in outbox]),
        _gauge("events_undispatched", "Events the notifier has not fanned "
               "out yet.", [], [((), events_count or 0)]),
        _gauge("events_oldest_undispatched_age_seconds", "Age of the "
               "oldest event not fanned out yet.", [],
               [((), age(events_oldest))]),
        _gauge("webhook_deliveries_pending", "Deliveries not yet "
               "delivered nor given up, by publisher.", ["publisher"],
               [((p,), n) for p, n, _ in deliveries]),
        _gauge("webhook_delivery_oldest_pending_age_seconds", "Age of the "
               "oldest pending delivery, by publisher.", ["publisher"],
               [((p,), age(o)) for p, _, o in deliveries]),
        _gauge("executor_heartbeat_age_seconds", "Seconds since each "
               "executor's last heartbeat (executors heard within a day).",
               ["executor"], [((n,), age(at)) for n, at in
                              rows["heartbeats"]]),
        _gauge("actions_in_flight", "Actions RUNNING on each executor, as "
               "the database records them.", ["executor"],
               [((e,), n) for e, n in rows["in_flight"]]),
        _gauge("executions_running", "Workflow executions in state "
               "RUNNING.", [], [((), rows["running"] or 0)]),
    ]


def _gauge(name, doc, labels, samples):
    family = core.GaugeMetricFamily(_P + name, doc, labels=labels)
    for values, value in samples:
        family.add_metric(list(values), float(value))
    return family

