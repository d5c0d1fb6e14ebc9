"""The result inbox: results no engine answered for, kept in the
database until an engine takes them.

Two writers keep results here. An executor, when its graceful stop ends
with results that no engine answered for (DESIGN.md rule 5: a graceful
stop is not a death, and what finished must not be lost), and with the
claims it never ran because no engine answered them in time: a claim
the engine committed but whose answer the broker lost would otherwise
look like the running action of a dead executor. The API, when no engine
answered the completion of an asynchronous action within ``[api]
engine_answer_timeout`` (``api.engine_deadline``). Engines take the rows
as they take reported results, in the same unit of work that deletes
them, so the engine remains the only writer of execution state (rule 11).

A row holds the wire dict of a ``messages.ActionResult`` or, for a claim
never run, of a ``messages.ClaimAction`` (``started`` False).
"""
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from wfengine.db import models
from wfengine.rpc import messages

_INBOX = models.ResultInbox.__table__
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def keep(session, executor, results, now):
    """Store ``results`` (wire dicts of ``messages.ActionResult`` or of
    claims never run) of ``executor``; a row already stored for an action
    stays as it is (a duplicate is never taken twice anyway), but for a
    claim never run, which a result of the action replaces."""
    if not results:
        return
    _drop_claims_of(session, [r["action_ex_id"] for r in results
                              if "claim" not in r])
    insert = _INSERTS[session.get_bind().dialect.name](_INBOX)
    session.execute(
        insert.on_conflict_do_nothing(
            index_elements=[_INBOX.c.action_execution_id]),
        [{"action_execution_id": r["action_ex_id"], "executor": executor,
          "result": r, "created_at": now} for r in results])


def _drop_claims_of(session, action_ex_ids):
    """A result replaces a claim never run held for its action (the
    action ran elsewhere since): delete such rows first."""
    if not action_ex_ids:
        return
    claims = [row.action_execution_id for row in session.execute(
        sa.select(_INBOX.c.action_execution_id, _INBOX.c.result).where(
            _INBOX.c.action_execution_id.in_(action_ex_ids)))
        if "claim" in row.result]
    if claims:
        session.execute(sa.delete(_INBOX).where(
            _INBOX.c.action_execution_id.in_(claims)))


def keep_one(session, keeper, result, now):
    """Store one result (a wire dict) unless a result is stored for its
    action already; True if this one was stored."""
    insert = _INSERTS[session.get_bind().dialect.name](_INBOX)
    done = session.execute(insert.values(
        action_execution_id=result["action_ex_id"], executor=keeper,
        result=result, created_at=now).on_conflict_do_nothing(
            index_elements=[_INBOX.c.action_execution_id]))
    return done.rowcount == 1


def message(wire):
    """The message a row holds: a ``messages.ClaimAction`` for a claim
    never run, else a ``messages.ActionResult``."""
    if "claim" in wire:
        return messages.ClaimAction.from_dict(wire)
    return messages.ActionResult.from_dict(wire)


def lock_action(session, action_ex_id):
    """The action execution ``action_ex_id`` (``id``, ``state``,
    ``is_sync``, ``claimed_by``), its row locked against changes until
    this transaction ends (an engine completing it meanwhile is waited
    for), or None if there is none."""
    action = models.ActionExecution.__table__
    return session.execute(
        sa.select(action.c.id, action.c.state, action.c.is_sync,
                  action.c.claimed_by)
        .where(action.c.id == action_ex_id)
        .with_for_update(read=True)).first()


def take(session, limit, action_ex_ids=None):
    """Up to ``limit`` stored rows (wire dicts), oldest first, deleted
    in this transaction; rows another engine is taking are skipped.
    ``action_ex_ids``: only the results of these actions."""
    return [r.result for r in take_rows(session, limit, action_ex_ids)]


def take_rows(session, limit, action_ex_ids=None):
    """:func:`take`, with each row's ``created_at`` beside its
    ``result``."""
    stmt = (sa.select(_INBOX.c.action_execution_id, _INBOX.c.result,
                      _INBOX.c.created_at)
            .order_by(_INBOX.c.created_at).limit(limit)
            .with_for_update(skip_locked=True))
    if action_ex_ids is not None:
        stmt = stmt.where(_INBOX.c.action_execution_id.in_(action_ex_ids))
    rows = session.execute(stmt).all()
    if rows:
        session.execute(sa.delete(_INBOX).where(
            _INBOX.c.action_execution_id.in_(
                [r.action_execution_id for r in rows])))
    return rows


def held():
    """A clause for ``find_orphaned_actions``: the action of
    ``models.ActionExecution`` has a result, or its claim never run,
    waiting here."""
    return sa.exists().where(
        _INBOX.c.action_execution_id == models.ActionExecution.id)
