"""Queries of the retention passes: leases, expired executions, old rows.

Each function takes a session and never commits. Deletes are set-based:
one statement per table for a whole batch (at most ``limit`` rows, or the
trees of a batch of expired executions), each finding its rows through an
index, so its caller's transaction stays short and locks few pages.
"""
import datetime

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy import orm

from wfengine.db import api as db_api
from wfengine.db import models
from wfengine import state_names

# The states an execution ends in: only these are ever removed.
FINAL_STATES = state_names.RESULTS

_wf = models.WorkflowExecution


# ---- leases ----------------------------------------------------------------

def claim_lease(session, name, holder, seconds):
    """Take or renew lease ``name`` for ``holder``; True if it holds it
    now. Another holder's lease is taken only once it has expired."""
    now = models.utcnow()
    until = now + datetime.timedelta(seconds=seconds)
    row = session.execute(sa.select(models.Lease).where(
        models.Lease.name == name).with_for_update()).scalar_one_or_none()
    if row is None:
        try:
            with session.begin_nested():
                session.add(models.Lease(name=name, holder=holder,
                                         expires_at=until))
        except sa_exc.IntegrityError:
            return False  # another process made it first
        return True
    if row.holder != holder and row.expires_at > now:
        return False
    row.holder, row.expires_at = holder, until
    return True


def lease_holder(session, name):
    """The holder of lease ``name`` if it has not expired, else None."""
    return session.execute(sa.select(models.Lease.holder).where(
        models.Lease.name == name,
        models.Lease.expires_at > models.utcnow())).scalar_one_or_none()


def release_lease(session, name, holder):
    session.execute(sa.delete(models.Lease).where(
        models.Lease.name == name, models.Lease.holder == holder))


# ---- expired executions ----------------------------------------------------

def _finished_roots(states):
    """Finished root executions, none of whose descendants still runs."""
    child = orm.aliased(_wf)
    running_child = sa.select(child.id).where(
        child.root_execution_id == _wf.id,
        child.state.not_in(FINAL_STATES)).exists()
    return sa.select(_wf.id).where(
        _wf.task_execution_id.is_(None), _wf.state.in_(states),
        ~running_child)


def _expired(states, older_than, max_finished):
    """The statements choosing expired roots: those updated before
    ``older_than`` (a datetime, or None; oldest first), and those beyond
    the ``max_finished`` most recently updated (0: no limit)."""
    chosen = []
    if older_than is not None:
        chosen.append(_finished_roots(states).where(
            _wf.updated_at < older_than).order_by(_wf.updated_at))
    if max_finished:
        chosen.append(_finished_roots(states).order_by(
            _wf.updated_at.desc(), _wf.id).offset(max_finished))
    return chosen


def expired_executions(session, states, older_than, max_finished, limit):
    """Ids of root executions the expiration policy removes, at most
    ``limit`` (see :func:`_expired`)."""
    found = []
    for stmt in _expired(states, older_than, max_finished):
        if len(found) < limit:
            found += session.execute(stmt.limit(limit)).scalars().all()
    return list(dict.fromkeys(found))[:limit]


def count_expired(session, states, older_than, max_finished):
    """How many root executions the policy would remove now."""
    stmts = _expired(states, older_than, max_finished)
    if not stmts:
        return 0
    union = sa.union(*[sa.select(chosen.c.id) for chosen in (
        stmt.subquery() for stmt in stmts)]).subquery()
    return session.execute(
        sa.select(sa.func.count()).select_from(union)).scalar_one()


def delete_expired(session, ids, states):
    """Delete the executions ``ids`` that still qualify once locked (a
    rerun may have woken one up meanwhile), with their trees; one that
    an engine holds is skipped, not waited for. Returns how many roots
    went."""
    roots = session.execute(
        _finished_roots(states).where(_wf.id.in_(ids))
        .with_for_update(of=_wf, skip_locked=True)).scalars().all()
    db_api.delete_trees(session, roots)
    return len(roots)


# ---- old bookkeeping rows --------------------------------------------------

def _old_events(before):
    """Events fanned out before ``before`` that no pending delivery needs."""
    event, delivery = models.Event, models.Delivery
    oldest_needed = sa.select(sa.func.min(delivery.event_id)).where(
        delivery.state == state_names.DELIVERY_PENDING).scalar_subquery()
    return sa.select(event.id).where(
        event.dispatched.is_(True), event.created_at < before,
        event.id < sa.func.coalesce(oldest_needed, 2 ** 62))


def _old_deliveries(before):
    """Delivery records finished (DELIVERED, FAILED) and made before
    ``before``."""
    delivery = models.Delivery
    return sa.select(delivery.id).where(
        delivery.state.in_(state_names.DELIVERY_ENDED),
        delivery.created_at < before)


def _orphaned_outbox(before):
    """Outbox rows made before ``before`` about no existing execution."""
    outbox = models.OutboxMessage
    alive = [sa.select(m.id).where(m.id == outbox.ref_id).exists()
             for m in (models.ActionExecution, models.TaskExecution, _wf)]
    return sa.select(outbox.id).where(
        outbox.created_at < before, *[~a for a in alive])


def _old_heartbeats(before):
    """Heartbeats of executors silent since ``before`` with no action
    RUNNING on them."""
    beat, action = models.ExecutorHeartbeat, models.ActionExecution
    busy = sa.select(action.id).where(
        action.executor == beat.name,
        action.state == state_names.RUNNING).exists()
    return sa.select(beat.name).where(beat.heartbeat_at < before, ~busy)


def _old_tickets(before):
    """Start tickets made before ``before``: long enough ago that no copy
    of their start can still reach an engine."""
    ticket = models.StartTicket
    return sa.select(ticket.id).where(ticket.created_at < before)


# table: (model, key column, rows aged out before a datetime)
OLD_ROWS = {
    "events": (models.Event, models.Event.id, _old_events),
    "deliveries": (models.Delivery, models.Delivery.id, _old_deliveries),
    "outbox": (models.OutboxMessage, models.OutboxMessage.id,
               _orphaned_outbox),
    "executor_heartbeats": (models.ExecutorHeartbeat,
                            models.ExecutorHeartbeat.name, _old_heartbeats),
    "start_tickets": (models.StartTicket, models.StartTicket.id,
                      _old_tickets),
}


def delete_old(session, table, before, limit):
    """Delete at most ``limit`` rows of ``table`` (a key of
    :data:`OLD_ROWS`) aged out before ``before``, in one statement;
    returns how many went."""
    model, key, rows = OLD_ROWS[table]
    chosen = rows(before).order_by(key).limit(limit)
    result = session.execute(sa.delete(model).where(key.in_(
        chosen.scalar_subquery())).execution_options(
        synchronize_session=False))
    return result.rowcount


def count_old(session, table, before):
    """How many rows of ``table`` are aged out before ``before``."""
    return session.execute(sa.select(sa.func.count()).select_from(
        OLD_ROWS[table][2](before).subquery())).scalar_one()
