"""Notifications: listeners, the fan-out of events, webhook deliveries.

Listeners are definitions the API writes; deliveries are written by the
notifier only (the API reads them). Claims of events and deliveries skip
rows another notifier holds (FOR UPDATE SKIP LOCKED on PostgreSQL). Every
function takes the session; none commits.
"""
import uuid

import sqlalchemy as sa
from sqlalchemy import orm

from wfengine.db import _common
from wfengine.db import api as db_api
from wfengine.db import listing
from wfengine.db import models
from wfengine.db import statements
from wfengine import exceptions
from wfengine import state_names


# Events: the fan-out.

# The notifier asks this and has_due_deliveries every poll interval, idle
# or not: statements built once and run on the connection, so that an
# idle round holds the interpreter for microseconds, not milliseconds.
_EVENT = models.Event.__table__
_ANY_EVENT = sa.select(_EVENT.c.id).where(
    _EVENT.c.dispatched.is_(False)).limit(1)


def has_events(session):
    """Whether any event still waits to be fanned out."""
    return session.connection().execute(_ANY_EVENT).first() is not None


def claim_events(session, limit):
    """Up to ``limit`` undispatched events, oldest first, locked until
    commit (rows another notifier is fanning out are skipped)."""
    model = models.Event
    stmt = (sa.select(model).where(model.dispatched.is_(False))
            .order_by(model.id).limit(limit)
            .options(orm.undefer(model.data))
            .with_for_update(skip_locked=True))
    return list(session.execute(stmt).scalars())


def mark_dispatched(session, event_ids):
    """Record that the events ``event_ids`` were fanned out."""
    model = models.Event
    session.execute(sa.update(model).where(model.id.in_(list(event_ids)))
                    .values(dispatched=True)
                    .execution_options(synchronize_session=False))


def enabled_listeners(session, workflow_names):
    """Enabled listeners of every workflow or of one of ``workflow_names``."""
    model = models.Listener
    stmt = sa.select(model).where(
        model.enabled.is_(True),
        sa.or_(model.workflow_name.is_(None),
               model.workflow_name.in_(list(workflow_names))))
    return list(session.execute(stmt).scalars())


_LISTENER = models.Listener.__table__
_SUBSCRIBED = sa.select(_LISTENER.c.events).where(
    _LISTENER.c.enabled.is_(True),
    sa.or_(_LISTENER.c.workflow_name.is_(None),
           _LISTENER.c.workflow_name == sa.bindparam("name")))


def subscribed_events(session, workflow_name):
    """The ``events`` lists of the enabled listeners of ``workflow_name``
    or of every workflow (the engine asks this per unit of work: a
    statement built once)."""
    return list(statements.connection(session).execute(
        _SUBSCRIBED, {"name": workflow_name}).scalars())


def execution_params(session, wf_ex_ids):
    """``{workflow execution id: params}`` of the executions given."""
    model = models.WorkflowExecution
    stmt = sa.select(model.id, model.params).where(
        model.id.in_(list(wf_ex_ids)))
    return {row.id: row.params for row in session.execute(stmt)}


# Deliveries.

def _due_conditions():
    """Deliveries that may be attempted at ``:now``, in order per target
    and execution: none of theirs before them is still pending, and no
    event of their execution before them still waits to be fanned out."""
    d = models.Delivery
    earlier = orm.aliased(models.Delivery)
    event = models.Event
    now = sa.bindparam("now")
    pending_before = sa.exists().where(
        earlier.target == d.target,
        earlier.workflow_execution_id == d.workflow_execution_id,
        earlier.state == state_names.DELIVERY_PENDING, earlier.event_id < d.event_id)
    unfanned_before = sa.exists().where(
        event.workflow_execution_id == d.workflow_execution_id,
        event.dispatched.is_(False), event.id < d.event_id)
    return (d.state == state_names.DELIVERY_PENDING, d.next_attempt_at <= now,
            sa.or_(d.claimed_until.is_(None), d.claimed_until < now),
            ~pending_before, ~unfanned_before)


_DUE = _due_conditions()
_ANY_DUE = sa.select(models.Delivery.id).where(*_DUE).limit(1)


def has_due_deliveries(session, now):
    """Whether some delivery may be attempted now."""
    return session.connection().execute(
        _ANY_DUE, {"now": now}).first() is not None


def claim_deliveries(session, holder, now, until, limit):
    """Claim up to ``limit`` due deliveries for ``holder`` until ``until``.

    Each claim counts as an attempt (a notifier that dies mid-attempt
    still used it up). Rows another notifier holds are skipped.

    :returns: the claimed Delivery rows (with ``params`` loaded).
    """
    d = models.Delivery
    stmt = (sa.select(d).where(*_DUE).order_by(d.event_id).limit(limit)
            .options(orm.undefer(d.params))
            .with_for_update(skip_locked=True, of=d))
    rows = list(session.execute(stmt, {"now": now}).scalars())
    for row in rows:
        row.claimed_by = holder
        row.claimed_until = until
        row.attempts += 1
        row.updated_at = now
    return rows


def get_events(session, event_ids):
    """``{event id: Event}`` with their data."""
    model = models.Event
    stmt = (sa.select(model).where(model.id.in_(list(event_ids)))
            .options(orm.undefer(model.data)))
    return {row.id: row for row in session.execute(stmt).scalars()}


def get_listeners(session, listener_ids):
    """``{listener id: Listener}`` (deleted ones are missing)."""
    model = models.Listener
    stmt = sa.select(model).where(model.id.in_(list(listener_ids)))
    return {row.id: row for row in session.execute(stmt).scalars()}


def record_attempt(session, delivery_id, holder, **values):
    """Record an attempt's outcome and release the claim (compare-and-set).

    :returns: False if ``holder`` no longer held the delivery (its claim
        ran out and another notifier took it): nothing is changed then.
    """
    model = models.Delivery
    stmt = (sa.update(model)
            .where(model.id == delivery_id, model.claimed_by == holder,
                   model.state == state_names.DELIVERY_PENDING)
            .values(claimed_by=None, claimed_until=None, **values)
            .execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount == 1


def reset_delivery(session, listener_id, delivery_id, from_state, to_state,
                   now):
    """Put one of a listener's deliveries from ``from_state`` back to
    ``to_state``, due at ``now`` (compare-and-set on the state; the
    attempts made so far are kept).

    :returns: ``(row, changed)``: the Delivery row (as it is now) and
        whether it was in ``from_state`` and changed.
    :raises NotFound: the listener has no such delivery.
    """
    model = models.Delivery
    row = session.execute(sa.select(model).where(
        model.id == delivery_id, model.listener_id == listener_id)
    ).scalar_one_or_none()
    if row is None:
        raise exceptions.NotFound(
            kind="Delivery", id="%s, listener_id=%s" % (delivery_id,
                                                       listener_id))
    stmt = (sa.update(model)
            .where(model.id == delivery_id, model.state == from_state)
            .values(state=to_state, next_attempt_at=now, claimed_by=None,
                    claimed_until=None, updated_at=now)
            .execution_options(synchronize_session=False))
    changed = session.execute(stmt).rowcount == 1
    session.refresh(row)
    return row, changed


def list_deliveries(session, listener_id, limit=None, marker=None):
    """A page of one listener's deliveries, newest first."""
    return listing.list_rows(session, models.Delivery,
                             {"listener_id": listener_id}, limit, marker,
                             ["created_at", "event_id"], ["desc", "desc"])


# Listeners: the API's writes.

def create_listener(session, values):
    """Create a listener from ``values`` (Listener columns); the row."""
    values = dict(values)
    values.setdefault("id", str(uuid.uuid4()))
    row = db_api.add(session, models.Listener(**values))
    db_api.flush(session)
    return row


def get_listener(session, listener_id):
    """One listener; :raises NotFound: no such listener."""
    return _common.get_by_id(session, models.Listener, listener_id,
                             "Listener")


def update_listener(session, listener_id, values):
    """Change the columns ``values`` of a listener; the row.

    :raises NotFound: no such listener.
    """
    row = get_listener(session, listener_id)
    return _common.set_columns(session, row, values)


def delete_listener(session, listener_id):
    """Delete a listener and its deliveries; :raises NotFound: none."""
    row = get_listener(session, listener_id)
    session.execute(sa.delete(models.Delivery)
                    .where(models.Delivery.listener_id == row.id)
                    .execution_options(synchronize_session=False))
    session.delete(row)
    session.flush()
