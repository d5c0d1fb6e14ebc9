"""Send outbox rows after commit, and sweep for the ones never acknowledged.

A row is written with the state change that needs it. Right after commit
the writer sends it: ``run_action`` rows go to the executors; rows addressed
to the engine itself (a sub-workflow to start or finished, a timer) are
handled by this engine, at once or, for a timer, when it is due. Any row
still present when due is sent again by the sweeper of whichever engine is
alive (its receiver never acknowledged it: the engine died before sending,
or the message was lost). Receivers de-duplicate by the row's id or
``ref_id``.
"""
import datetime
import heapq
import itertools
import logging
import threading
import time

from wfengine.db import models
from wfengine.db import outbox as db_outbox
from wfengine.db import unit as db_unit
from wfengine.engine import outbox_rows
from wfengine import periodic
from wfengine.rpc import messages

LOG = logging.getLogger(__name__)

# Most actions one message to the executors carries (a batch goes to one
# executor; smaller batches spread a wide fan-out over several).
ACTIONS_PER_MESSAGE = 32


class Outbox:
    """Sends staged messages; sweeps; keeps this engine's timers."""

    def __init__(self, executor_client, resend_after, sweep_interval,
                 signer):
        self._executor = executor_client
        self._signer = signer
        self.resend_after = resend_after
        self._sweep_interval = sweep_interval
        self._sweeper = periodic.Periodic("outbox-sweeper", sweep_interval,
                                          self.sweep_once)
        self._local = None
        self._stop = threading.Event()
        self._timer_thread = None
        self._timers = []
        self._timer_seq = itertools.count()
        self._timer_cv = threading.Condition()

    def send_at(self):
        """When a sweeper should re-send a row staged now."""
        return models.utcnow() + datetime.timedelta(
            seconds=self.resend_after)

    def set_local_handler(self, handler):
        """``handler(row_id, kind, payload)`` processes engine-bound rows."""
        self._local = handler

    def flush(self, rows, keep=0):
        """Send rows that were just committed (the sweeper backs this up).

        Up to ``keep`` of the actions that name no executor are not sent
        but returned (``messages.RunAction``), for the caller to hand to
        the executor that asked for them; their rows stay until their
        results come, like those of the actions sent.
        """
        now = models.utcnow()
        actions = []
        for row in rows:
            if row.kind == db_outbox.RUN_ACTION:
                actions.append(row)
            elif row.kind == db_outbox.TIMER and row.next_send_at > now:
                self._schedule(row, (row.next_send_at - now).total_seconds())
            else:
                self._send(row.id, row.kind, row.payload)
        kept, sent = [], []
        for row in actions:
            if len(kept) < keep and not row.payload.get("target"):
                kept.append(row)
            else:
                sent.append(row)
        self._send_actions(sent)
        return [self._run_action(row) for row in kept]

    def _run_action(self, row):
        return messages.RunAction.from_dict(dict(
            row.payload,
            callback_url=self._signer.url(row.payload["action_ex_id"])))

    def _send_actions(self, rows):
        """Hand actions to the executors, a batch per message."""
        for start in range(0, len(rows), ACTIONS_PER_MESSAGE):
            batch = rows[start:start + ACTIONS_PER_MESSAGE]
            try:
                self._executor.run_actions(
                    [self._run_action(row) for row in batch])
            except Exception:
                # The rows stay; the sweeper sends them again when due.
                LOG.warning("Sending %d actions failed; the sweeper will "
                            "retry", len(batch), exc_info=True)

    def _send(self, row_id, kind, payload):
        try:
            if kind in db_outbox.ENGINE_KINDS and self._local:
                self._local(row_id, kind, payload)
            else:
                LOG.error("No handler for outbox message kind %s", kind)
        except Exception:
            # The row stays; the sweeper sends it again when it is due.
            LOG.warning("Sending %s (row %s) failed; the sweeper will retry",
                        kind, row_id, exc_info=True)

    def sweep_once(self):
        """Send every due row once; returns how many were sent."""
        rows = db_unit.run(outbox_rows.claim_due, models.utcnow(),
                           self.resend_after)
        for row in rows:
            if row.kind == db_outbox.RUN_ACTION or row.attempts > 1:
                LOG.info("Re-sending %s for %s (attempt %s)", row.kind,
                         row.ref_id, row.attempts)
            if row.kind != db_outbox.RUN_ACTION:
                self._send(row.id, row.kind, row.payload)
        self._send_actions([r for r in rows if r.kind == db_outbox.RUN_ACTION])
        return len(rows)

    # ---- timers ----

    def _schedule(self, row, delay):
        with self._timer_cv:
            heapq.heappush(self._timers, (
                time.monotonic() + delay, next(self._timer_seq),
                row.id, row.kind, row.payload))
            self._timer_cv.notify()

    def _run_timers(self):
        while not self._stop.is_set():
            with self._timer_cv:
                due = self._pop_due()
                if due is None:
                    wait = (self._timers[0][0] - time.monotonic()
                            if self._timers else self._sweep_interval)
                    self._timer_cv.wait(max(min(wait, 1.0), 0.001))
                    continue
            self._send(*due)

    def _pop_due(self):
        if self._timers and self._timers[0][0] <= time.monotonic():
            _, _, row_id, kind, payload = heapq.heappop(self._timers)
            return row_id, kind, payload
        return None

    # ---- lifecycle ----

    def start(self):
        self._sweeper.start()
        self._timer_thread = threading.Thread(
            target=self._run_timers, daemon=True, name="outbox-timers")
        self._timer_thread.start()

    def stop(self):
        self._sweeper.stop()
        self._stop.set()
        with self._timer_cv:
            self._timer_cv.notify_all()
        if self._timer_thread is not None:
            self._timer_thread.join(timeout=5)
