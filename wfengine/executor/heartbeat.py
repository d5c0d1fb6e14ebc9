"""An executor's heartbeat, written straight to the database.

The one database write an executor makes. Heartbeats do not travel over
the broker, so a broker outage can not make a live executor look dead
(DESIGN.md rule 5); the engines' liveness check reads them.
"""
import logging
import threading

from wfengine.db import api as db_api
from wfengine.db import models
from wfengine.db import session as db_session

LOG = logging.getLogger(__name__)


class Heartbeat:
    """Writes ``name``'s heartbeat every ``interval`` seconds."""

    def __init__(self, name, interval):
        self._name = name
        self._interval = interval
        self._started_at = models.utcnow()
        self._stop = threading.Event()
        self._thread = None

    def beat(self):
        db_session.unit_of_work(db_api.executor_heartbeat, self._name,
                                self._started_at)

    def start(self):
        self.beat()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="executor-heartbeat")
        self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _run(self):
        while not self._stop.wait(self._interval):
            try:
                self.beat()
            except Exception:
                # The database is away: nothing to write to. The engines
                # can not tell either, until it is back; then we beat again.
                LOG.warning("Executor heartbeat failed", exc_info=True)
