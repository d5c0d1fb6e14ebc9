"""The outbox: messages written with the state change that needs them,
sent after commit, sent again by a sweeper until acknowledged (DESIGN.md
rule 1). Its kinds are named here, with the table.
"""
import collections
import datetime

import sqlalchemy as sa

from wfengine.db import models
from wfengine.db import statements as st

# Sent to executors.
RUN_ACTION = "run_action"
# Handled by an engine itself.
TIMER = "timer"
START_SUBWORKFLOW = "start_subworkflow"
SUBWORKFLOW_DONE = "subworkflow_done"
WORKFLOW_COMMAND = "workflow_command"
PARENT_RERUN = "parent_rerun"
ENGINE_KINDS = (TIMER, START_SUBWORKFLOW, SUBWORKFLOW_DONE, WORKFLOW_COMMAND,
                PARENT_RERUN)

_OUTBOX = models.OutboxMessage.__table__
OutboxRow = collections.namedtuple(
    "OutboxRow", "id kind ref_id payload next_send_at attempts")
_OUTBOX_ADD = _OUTBOX.insert()


def row_values(kind, ref_id, payload, next_send_at):
    """The columns of a new outbox row."""
    return {"kind": kind, "ref_id": ref_id, "payload": payload,
            "created_at": models.utcnow(), "next_send_at": next_send_at,
            "attempts": 0}


def add(session, kind, ref_id, payload, next_send_at):
    """Write a message to send after commit; returns it as an ``OutboxRow``.

    The writer sends it right after commit; ``next_send_at`` is when a
    sweeper sends it if it is still not acknowledged by then. (A unit of
    work may stage one instead: ``Unit.outbox_later``.)
    """
    result = st.run(session, _OUTBOX_ADD,
                    row_values(kind, ref_id, payload, next_send_at))
    return OutboxRow(result.inserted_primary_key[0], kind, ref_id, payload,
                     next_send_at, 0)


def ack(session, kind, ref_ids):
    """Drop the outbox rows of ``kind`` about any of ``ref_ids``: they
    arrived."""
    ref_ids = sorted(set(ref_ids))
    if not ref_ids:
        return
    stmt = st.once(("ack", st.arity(ref_ids)), lambda: _OUTBOX.delete().where(
        _OUTBOX.c.kind == sa.bindparam("kind"),
        st.in_(_OUTBOX.c.ref_id, "refs", st.arity(ref_ids))))
    params = {"kind": kind}
    params.update(st.in_params("refs", ref_ids))
    st.write_later(session, stmt, params)


def take(session, row_id):
    """Delete one outbox row; True if this call took it (exactly once)."""
    model = models.OutboxMessage
    stmt = (sa.delete(model).where(model.id == row_id)
            .execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount == 1


def claim_due(session, now, resend_after, limit=100,
                     max_delay=300.0):
    """Rows whose send is due; pushes their next send further on.

    The pause before the next send doubles with each attempt (from
    ``resend_after`` up to ``max_delay`` seconds): a receiver that is only
    slow, with a long queue, is not flooded with copies. On PostgreSQL rows
    locked by another sweeper are skipped, so two engines never send the
    same row in the same round.
    """
    model = models.OutboxMessage
    stmt = (sa.select(model).where(model.next_send_at <= now)
            .order_by(model.next_send_at).limit(limit)
            .with_for_update(skip_locked=True))
    rows = list(session.execute(stmt).scalars())
    for row in rows:
        row.attempts += 1
        pause = min(resend_after * 2 ** (row.attempts - 1), max_delay)
        row.next_send_at = now + datetime.timedelta(seconds=pause)
    return rows
