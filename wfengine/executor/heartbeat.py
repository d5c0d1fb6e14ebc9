"""An executor's heartbeat, written straight to the database.

The one database write an executor makes. Heartbeats do not travel over
the broker, so a broker outage can not make a live executor look dead
(DESIGN.md rule 5); the engines' liveness check reads them.
"""

from wfengine.db import api as db_api
from wfengine.db import models
from wfengine.db import session as db_session
from wfengine import periodic

class Heartbeat:
    """Writes ``name``'s heartbeat every ``interval`` seconds."""

    def __init__(self, name, interval):
        self._name = name
        self._started_at = models.utcnow()
        self._periodic = periodic.Periodic("executor-heartbeat", interval,
                                           self.beat)
        self.stop = self._periodic.stop

    def beat(self):
        db_session.unit_of_work(db_api.executor_heartbeat, self._name,
                                self._started_at)

    def start(self):
        """Beat now (an executor that can not reach the database does not
        start), then every ``interval`` seconds."""
        self.beat()
        self._periodic.start()
