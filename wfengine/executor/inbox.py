"""The executor's side of the result inbox (``db.inbox``).

The second of the executor's two database writes (the first is its
heartbeat): results that no engine answered for before a graceful stop
ended, and the claims it never ran, are kept in the database, where
engines take them, instead of being lost (DESIGN.md rule 5). The
executor reads nothing there.
"""
from wfengine.db import inbox as db_inbox
from wfengine.db import models
from wfengine.db import session as db_session


class ResultInbox:
    """Keeps the results of executor ``name`` in the database."""

    def __init__(self, name):
        self._name = name

    def keep(self, results):
        """Store ``messages.ActionResult`` records and claims never run
        (``messages.ClaimAction``, ``started`` False) in one transaction,
        retried on transient errors like any unit of work."""
        db_session.unit_of_work(db_inbox.keep, self._name,
                                [r.to_dict() for r in results],
                                models.utcnow())
