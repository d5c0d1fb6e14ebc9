"""Finds the actions of executors that stopped sending heartbeats.

Any engine may run the check; each orphaned action is then recovered in a
unit of work of its own that re-checks the claim it saw, so an action is
recovered once even when several engines look at the same moment.

Silence is evidence only over time in which this checker could itself
use the database (DESIGN.md rule 5): heartbeats that could not be written
during a database outage look exactly like a dead executor's. So the
checker keeps the moment since which its own database access has worked
without a break (every round succeeded, no round came late, no other
thread of the process lost its connection), and declares an executor
dead only when that moment lies a whole ``timeout`` back and the
executor's last heartbeat is older than that.

Each round first takes the results that stopping executors left in the
result inbox (``db.inbox``): an executor that could reach no engine
before its grace period ended kept them there, and its actions are not
orphans but finished.
"""
import datetime
import logging
import time

from wfengine import exceptions
from wfengine.db import api as db_api
from wfengine.db import models
from wfengine.db import session as db_session
from wfengine import periodic

LOG = logging.getLogger(__name__)


class LivenessChecker:
    """Every ``interval`` seconds, recovers actions silent for ``timeout``
    seconds during which the checker itself had working database access."""

    def __init__(self, service, timeout, interval):
        self._service = service
        self._timeout = timeout
        # Two successful rounds further apart than this leave a gap in
        # which nothing is known of the database: the evidence restarts.
        self._max_gap = 2 * interval + 1.0
        self._ok_since = None  # monotonic; None: no evidence yet
        self._last_ok = None
        self._periodic = periodic.Periodic("liveness-check", interval,
                                           self.check_once)
        self.start = self._periodic.start
        self.stop = self._periodic.stop

    def check_once(self):
        """Take the results waiting in the result inbox, then recover what
        is orphaned now; returns how many were recovered."""
        started = time.monotonic()
        try:
            self._take_inbox()
            orphans = db_session.reader(
                db_api.find_orphaned_actions, models.utcnow() -
                datetime.timedelta(seconds=self._timeout))
        except Exception as e:
            self._lose_evidence("the check could not read the database "
                                "(%s)" % type(e).__name__)
            if db_session.is_connection_error(e):
                return 0  # said once by _lose_evidence, not every round
            raise
        if not self._witnessed(started):
            return 0
        recovered = 0
        for action_ex_id, claim, executor in orphans:
            if self._service.recover_orphan(action_ex_id, claim, executor):
                recovered += 1
        return recovered

    def _take_inbox(self):
        """Results a stopping executor left in the database go first:
        their actions are not orphans (``find_orphaned_actions`` skips
        them too). A database error counts against the evidence below."""
        try:
            self._service.drain_inbox()
        except exceptions.WFEngineException as e:
            LOG.warning("Results in the result inbox not taken yet: %s", e)

    def evidence_seconds(self):
        """Seconds of unbroken database access behind the current check
        (0 when there is none)."""
        if self._ok_since is None:
            return 0.0
        return time.monotonic() - self._ok_since

    def _witnessed(self, started):
        """Extend the evidence with a round that began at ``started`` and
        just succeeded; True if it now covers a whole ``timeout``."""
        now = time.monotonic()
        failed_at = db_session.last_connection_failure()
        if (self._ok_since is None or self._last_ok is None
                or started - self._last_ok > self._max_gap
                or failed_at >= self._ok_since):
            if self._ok_since is not None:
                LOG.info("Liveness check: database access was interrupted; "
                         "no executor counts as dead before %.0fs of "
                         "working access", self._timeout)
            self._ok_since = max(started, failed_at)
        self._last_ok = now
        return now - self._ok_since >= self._timeout

    def _lose_evidence(self, why):
        if self._ok_since is not None:
            LOG.warning("Liveness check: %s; executors' silence does not "
                        "count until it has worked for %.0fs again", why,
                        self._timeout)
        self._ok_since = None
