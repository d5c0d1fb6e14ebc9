"""Finds the actions of executors that stopped sending heartbeats.

Any engine may run the check; each orphaned action is then recovered in a
unit of work of its own that re-checks the claim it saw, so an action is
recovered once even when several engines look at the same moment.
"""
import datetime
import logging
import threading

from wfengine.db import api as db_api
from wfengine.db import models
from wfengine.db import session as db_session

LOG = logging.getLogger(__name__)


class LivenessChecker:
    """Every ``interval`` seconds, recovers actions silent for ``timeout``."""

    def __init__(self, service, timeout, interval):
        self._service = service
        self._timeout = timeout
        self._interval = interval
        self._stop = threading.Event()
        self._thread = None

    def check_once(self):
        """Recover what is orphaned now; returns how many were recovered."""
        silent_since = models.utcnow() - datetime.timedelta(
            seconds=self._timeout)
        orphans = db_session.reader(db_api.find_orphaned_actions,
                                    silent_since)
        recovered = 0
        for action_ex_id, claim, executor in orphans:
            if self._service.recover_orphan(action_ex_id, claim, executor):
                recovered += 1
        return recovered

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="liveness-check")
        self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _run(self):
        while not self._stop.wait(self._interval):
            try:
                self.check_once()
            except Exception:
                LOG.exception("Liveness check failed; trying again later")
