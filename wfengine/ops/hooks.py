"""Connects the metrics recorded inside units of work to their commits."""
from sqlalchemy import event
from sqlalchemy import orm

from wfengine import metrics

_installed = []


def install():
    """Record queued metrics after a commit, drop them after a rollback."""
    if _installed:
        return
    event.listen(orm.Session, "after_commit", metrics.run_pending)
    event.listen(orm.Session, "after_rollback", metrics.drop_pending)
    _installed.append(True)
