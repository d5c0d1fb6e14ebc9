"""The result inbox: the results a stopping executor could not hand to
an engine, kept in the database until an engine takes them.

An executor writes here only when its graceful stop ends with results
that no engine answered for (DESIGN.md rule 5: a graceful stop is not a
death, and what finished must not be lost). Engines take the rows as
they take reported results, in the same unit of work that deletes them,
so the engine remains the only writer of execution state (rule 11).
"""
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from wfengine.db import models

_INBOX = models.ResultInbox.__table__
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def keep(session, executor, results, now):
    """Store ``results`` (``messages.ActionResult`` wire dicts) of
    ``executor``; a result already stored for an action stays as it is
    (a duplicate is never taken twice anyway)."""
    if not results:
        return
    insert = _INSERTS[session.get_bind().dialect.name](_INBOX)
    session.execute(
        insert.on_conflict_do_nothing(
            index_elements=[_INBOX.c.action_execution_id]),
        [{"action_execution_id": r["action_ex_id"], "executor": executor,
          "result": r, "created_at": now} for r in results])


def take(session, limit):
    """Up to ``limit`` stored results (wire dicts), oldest first, deleted
    in this transaction; rows another engine is taking are skipped."""
    stmt = (sa.select(_INBOX.c.action_execution_id, _INBOX.c.result)
            .order_by(_INBOX.c.created_at).limit(limit)
            .with_for_update(skip_locked=True))
    rows = session.execute(stmt).all()
    if rows:
        session.execute(sa.delete(_INBOX).where(
            _INBOX.c.action_execution_id.in_(
                [r.action_execution_id for r in rows])))
    return [r.result for r in rows]


def held():
    """A clause for ``find_orphaned_actions``: the action of
    ``models.ActionExecution`` has a result waiting here."""
    return sa.exists().where(
        _INBOX.c.action_execution_id == models.ActionExecution.id)
