"""Queries of the retention passes: leases, expired executions, old rows.

Each function takes a session and never commits; each deleting function
removes at most ``limit`` rows, so its caller's transaction stays short.
"""
import datetime

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy import orm

from wfengine.db import api as db_api
from wfengine.db import models
from wfengine.db import snapshots as db_snapshots
from wfengine import exceptions
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


def expired_executions(session, states, older_than, max_finished, limit):
    """Ids of root executions the expiration policy removes, at most
    ``limit``: updated before ``older_than`` (a datetime, or None), or
    beyond the ``max_finished`` most recently updated (0: no limit)."""
    found = []
    if older_than is not None:
        found += session.execute(_finished_roots(states).where(
            _wf.updated_at < older_than).order_by(_wf.updated_at).limit(
            limit)).scalars().all()
    if max_finished and len(found) < limit:
        found += session.execute(_finished_roots(states).order_by(
            _wf.updated_at.desc(), _wf.id).offset(max_finished).limit(
            limit)).scalars().all()
    return list(dict.fromkeys(found))[:limit]


def delete_expired(session, ids, states):
    """Delete the executions ``ids`` that still qualify once locked (a
    rerun may have woken one up meanwhile); returns how many went."""
    deleted = 0
    for wf_ex_id in ids:
        try:
            wf_ex = db_snapshots.lock_workflow_execution(session, wf_ex_id)
        except exceptions.NotFound:
            continue
        still = session.execute(_finished_roots(states).where(
            _wf.id == wf_ex_id)).scalar_one_or_none()
        if still is None:
            continue
        db_api.delete_workflow_execution(session, wf_ex, FINAL_STATES)
        deleted += 1
    return deleted


# ---- old bookkeeping rows --------------------------------------------------

def delete_old_events(session, before, limit):
    """Events fanned out before ``before`` that no pending delivery needs."""
    event, delivery = models.Event, models.Delivery
    oldest_needed = sa.select(sa.func.min(delivery.event_id)).where(
        delivery.state == "PENDING").scalar_subquery()
    ids = sa.select(event.id).where(
        event.dispatched.is_(True), event.created_at < before,
        event.id < sa.func.coalesce(oldest_needed, 2 ** 62)).order_by(
        event.id).limit(limit)
    return _delete_ids(session, event, event.id, ids)


def delete_old_deliveries(session, before, limit):
    """Delivery records finished (DELIVERED, FAILED) and made before
    ``before``."""
    delivery = models.Delivery
    ids = sa.select(delivery.id).where(
        delivery.state.in_(("DELIVERED", "FAILED")),
        delivery.created_at < before).limit(limit)
    return _delete_ids(session, delivery, delivery.id, ids)


def delete_orphaned_outbox(session, before, limit):
    """Outbox rows made before ``before`` about no existing execution."""
    outbox = models.OutboxMessage
    alive = [sa.select(m.id).where(m.id == outbox.ref_id).exists()
             for m in (models.ActionExecution, models.TaskExecution, _wf)]
    ids = sa.select(outbox.id).where(
        outbox.created_at < before, *[~a for a in alive]).limit(limit)
    return _delete_ids(session, outbox, outbox.id, ids)


def delete_old_heartbeats(session, before, limit):
    """Heartbeats of executors silent since ``before`` with no action
    RUNNING on them."""
    beat, action = models.ExecutorHeartbeat, models.ActionExecution
    busy = sa.select(action.id).where(action.executor == beat.name,
                                      action.state == state_names.RUNNING).exists()
    names = sa.select(beat.name).where(beat.heartbeat_at < before,
                                       ~busy).limit(limit)
    return _delete_ids(session, beat, beat.name, names)


def _delete_ids(session, model, key, ids):
    chosen = session.execute(ids).scalars().all()
    if not chosen:
        return 0
    session.execute(sa.delete(model).where(key.in_(chosen)).execution_options(
        synchronize_session=False))
    return len(chosen)
