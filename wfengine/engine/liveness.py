"""Finds the actions of executors that stopped sending heartbeats.

Any engine may run the check; each orphaned action is then recovered in a
unit of work of its own that re-checks the claim it saw, so an action is
recovered once even when several engines look at the same moment.
"""
import datetime

from wfengine.db import api as db_api
from wfengine.db import models
from wfengine.db import session as db_session
from wfengine import periodic

class LivenessChecker:
    """Every ``interval`` seconds, recovers actions silent for ``timeout``."""

    def __init__(self, service, timeout, interval):
        self._service = service
        self._timeout = timeout
        self._periodic = periodic.Periodic("liveness-check", interval,
                                           self.check_once)
        self.start = self._periodic.start
        self.stop = self._periodic.stop

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
