"""The retention passes, run by one engine at a time.

Two policies share one background thread and one lease row:

- Mistral's execution expiration policy (``[execution_expiration_policy]``)
  removes finished root executions, with everything of theirs, once
  older than ``older_than`` minutes or beyond the
  ``max_finished_executions`` newest; never a tree of which some
  execution still runs.
- ``[retention]`` removes events, finished delivery records, orphaned
  outbox rows, the heartbeats of executors long gone and old start
  tickets (``db.tickets``).

Whatever it removes goes a chunk per transaction (``[retention]
chunk_size``) with a pause between chunks that grows with the time the
chunk took (``chunk_share``, ``chunk_pause``), so no lock is held for
long and the dashboards' queries keep their pace when the database is
busy. The engine that holds
the ``retention`` lease does the work; it renews the lease after every
chunk, and another engine takes over once the lease has run out.
"""
import datetime
import logging
import threading
import time

from wfengine.db import models
from wfengine.db import retention as queries
from wfengine.db import session as db_session
from wfengine import metrics
from wfengine import periodic

LOG = logging.getLogger(__name__)

LEASE = "retention"
LEASE_SECONDS = 300
_HOUR = 3600

# table (a key of queries.OLD_ROWS): its [retention] option, in hours
PURGES = {
    "events": "events_older_than",
    "deliveries": "deliveries_older_than",
    "outbox": "outbox_orphans_older_than",
    "executor_heartbeats": "heartbeats_older_than",
    "start_tickets": "start_tickets_older_than",
}


def pause_after(took, opts):
    """Seconds to wait after a chunk transaction that took ``took``
    seconds: the pass keeps to ``chunk_share`` of the time, and waits
    ``chunk_pause`` at least. A chunk slowed by a busy database thus buys
    the database a longer break."""
    share = opts.chunk_share
    return max(opts.chunk_pause, took * (1.0 - share) / share)


class Retention:
    """Runs the passes that are due, when this process holds the lease."""

    def __init__(self, conf, holder):
        self._policy = conf.execution_expiration_policy
        self._opts = conf.retention
        self._holder = holder
        self._stop = threading.Event()
        self._lost = False
        self._due = {"expiration": 0.0, "purge": 0.0}
        self._periodic = periodic.Periodic("retention", self.tick_seconds(),
                                           self.run_due)

    def tick_seconds(self):
        ticks = [self._opts.interval]
        if self._policy.evaluation_interval:
            ticks.append(self._policy.evaluation_interval * 60)
        return max(1, min(ticks))

    def start(self):
        self._stop.clear()
        self._periodic.start()

    def stop(self):
        self._stop.set()
        self._periodic.stop()
        try:
            db_session.unit_of_work(queries.release_lease, LEASE,
                                    self._holder)
        except Exception as e:  # the lease runs out by itself
            LOG.debug("Retention lease not released: %s", e)

    def run_due(self, force=False):
        """One tick: the passes whose interval has come (all of them if
        ``force``), if this process holds the lease. Returns ``{table:
        rows removed}``."""
        now = time.monotonic()
        self._lost = False
        due = [name for name, at in self._due.items()
               if force or now >= at]
        if not due or not self._claim():
            return {}
        removed = {}
        if "expiration" in due and self._policy.evaluation_interval:
            removed.update(self.expire_executions())
            self._due["expiration"] = now + \
                self._policy.evaluation_interval * 60
        if "purge" in due:
            removed.update(self.purge())
            self._due["purge"] = now + self._opts.interval
        return removed

    def run_once(self):
        """One pass of both policies now, whatever their intervals (the
        operator's ``wfengine-db-manage purge``), under the lease; None if
        another process holds it. Returns ``{table: rows removed}``."""
        if not self._claim():
            return None
        try:
            removed = self.expire_executions()
            removed.update(self.purge())
            return removed
        finally:
            db_session.unit_of_work(queries.release_lease, LEASE,
                                    self._holder)

    def lease_holder(self):
        """Who holds the retention lease now (None: nobody)."""
        return db_session.reader(queries.lease_holder, LEASE)

    def _claim(self):
        return db_session.unit_of_work(queries.claim_lease, LEASE,
                                       self._holder, LEASE_SECONDS)

    # ---- the execution expiration policy ----

    def expiration(self):
        """``(states, older_than, max_finished)`` of the policy's
        queries, or None when the policy removes nothing."""
        states = [s for s in queries.FINAL_STATES
                  if s not in self._policy.ignored_states]
        older = None
        if self._policy.older_than:
            older = models.utcnow() - datetime.timedelta(
                minutes=self._policy.older_than)
        if older is None and not self._policy.max_finished_executions:
            return None
        return states, older, self._policy.max_finished_executions

    def count(self):
        """What a pass would remove now, without removing anything:
        ``{"executions": roots, table: rows}`` (the executions counted
        whatever the policy's ``batch_size``)."""
        counts = {}
        chosen = self.expiration()
        if chosen is not None:
            counts["executions"] = db_session.reader(
                queries.count_expired, *chosen)
        for table, before in self.purge_ages().items():
            counts[table] = db_session.reader(queries.count_old, table,
                                              before)
        return counts

    def expire_executions(self):
        """Remove what the expiration policy allows; ``{"executions":
        n}``."""
        chosen = self.expiration()
        if chosen is None:
            return {}
        states, older, max_finished = chosen
        budget = self._policy.batch_size or float("inf")
        total = 0
        while total < budget and not self._stopping():
            limit = int(min(self._opts.chunk_size, budget - total))
            ids = db_session.reader(queries.expired_executions, states,
                                    older, max_finished, limit)
            if not ids:
                break
            removed = self._chunk("workflow_executions",
                                  queries.delete_expired, ids, states)
            if not removed:
                break   # all held by engines (or woken up): next pass
            total += removed
        if total:
            LOG.info("Execution expiration policy removed %d finished "
                     "executions", total)
        return {"executions": total}

    # ---- bookkeeping rows ----

    def purge(self):
        """Remove the rows ``[retention]`` ages out; ``{table: n}``."""
        removed = {}
        for table, before in self.purge_ages().items():
            removed[table] = self._purge_one(table, before)
        if any(removed.values()):
            LOG.info("Retention removed %s", ", ".join(
                "%d %s" % (n, t) for t, n in removed.items() if n))
        return removed

    def purge_ages(self):
        """``{table: datetime}``: the rows made before it are aged out,
        for each table whose ``[retention]`` age is set."""
        now = models.utcnow()
        return {table: now - datetime.timedelta(hours=hours)
                for table, hours in ((t, getattr(self._opts, o))
                                     for t, o in PURGES.items()) if hours}

    def _purge_one(self, table, before):
        total = 0
        while not self._stopping():
            n = self._chunk(table, queries.delete_old, table, before,
                            self._opts.chunk_size)
            total += n
            if n < self._opts.chunk_size:
                break
        return total

    def _stopping(self):
        return self._stop.is_set() or self._lost

    def _chunk(self, table, fn, *args):
        """One short transaction of ``fn``; renews the lease first."""
        if not self._claim():
            LOG.warning("Retention lease lost to another engine; stopping "
                        "this pass")
            self._lost = True
            return 0
        began = time.monotonic()
        n = db_session.unit_of_work(fn, *args)
        if n:
            metrics.RETENTION_DELETED.labels(table).inc(n)
        pause = pause_after(time.monotonic() - began, self._opts)
        if pause:
            self._stop.wait(pause)
        return n
