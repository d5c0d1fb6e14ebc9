"""Send outbox rows after commit, and sweep for the ones never acknowledged.

A row is written with the state change that needs it; the writer sends it
right after its commit. The sweeper sends again any row still present when
it is due (its receiver never acknowledged it: the engine died before
sending, or the message was lost). Receivers de-duplicate by ``ref_id``.
"""
import datetime
import logging
import threading

from wfengine.db import api as db_api
from wfengine.db import models
from wfengine.db import session as db_session
from wfengine.rpc import messages

LOG = logging.getLogger(__name__)


class Outbox:
    """Sends staged messages through the RPC clients."""

    def __init__(self, executor_client, resend_after, sweep_interval):
        self._executor = executor_client
        self._resend_after = resend_after
        self._sweep_interval = sweep_interval
        self._stop = threading.Event()
        self._thread = None

    def send_at(self):
        """When a sweeper should re-send a row staged now."""
        return models.utcnow() + datetime.timedelta(
            seconds=self._resend_after)

    def flush(self, rows):
        """Send rows that were just committed (best effort: sweeper backs)."""
        for row in rows:
            self._send(row.kind, row.payload)

    def _send(self, kind, payload):
        try:
            if kind == "run_action":
                self._executor.run_action(
                    messages.RunAction.from_dict(payload))
            else:
                LOG.error("Unknown outbox message kind %s", kind)
        except Exception:
            # The row stays; the sweeper sends it again when it is due.
            LOG.warning("Sending %s failed; the sweeper will retry", kind,
                        exc_info=True)

    def sweep_once(self):
        """Send every due row once; returns how many were sent."""
        rows = db_session.unit_of_work(
            db_api.outbox_claim_due, models.utcnow(), self._resend_after)
        for row in rows:
            LOG.info("Re-sending %s for %s (attempt %s)", row.kind,
                     row.ref_id, row.attempts)
            self._send(row.kind, row.payload)
        return len(rows)

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="outbox-sweeper")
        self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _run(self):
        while not self._stop.wait(self._sweep_interval):
            try:
                self.sweep_once()
            except Exception:
                LOG.exception("Outbox sweep failed; trying again later")
