"""Start tickets: one key on which the API and the engine decide a start
the API stopped waiting for.

The API sends a start with a ticket id (one per request). The engine
inserts the ticket ``started`` in the transaction that creates the
execution; the API, once it has waited ``[api] engine_answer_timeout``
without an answer, inserts it ``refused``. The first insert wins on the
primary key (on PostgreSQL the second waits for the first transaction,
then finds the row): a start the API answered 503 is dropped by the
engine, and a start that ran is answered 201. The tickets are not
execution state; the retention passes remove old ones.
"""
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from wfengine.db import models
from wfengine.db import statements

STARTED = "started"
REFUSED = "refused"

_TICKETS = models.StartTicket.__table__
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _insert(session, ticket, wf_ex_id, state, now):
    """Insert the ticket in ``state``; the state it has now (this one
    if the insert won, else the one of the insert that came first)."""
    dialect = statements.connection(session).dialect.name
    done = statements.run(session, statements.once(
        ("ticket", dialect), lambda: _INSERTS[dialect](_TICKETS).values(
            id=sa.bindparam("id"),
            workflow_execution_id=sa.bindparam("wf_ex_id"),
            state=sa.bindparam("state"), created_at=sa.bindparam("now"))
        .on_conflict_do_nothing(index_elements=[_TICKETS.c.id])),
        {"id": ticket, "wf_ex_id": wf_ex_id, "state": state, "now": now})
    if done.rowcount == 1:
        return state
    return session.execute(sa.select(_TICKETS.c.state).where(
        _TICKETS.c.id == ticket)).scalar_one()


def take(session, ticket, wf_ex_id, now):
    """The engine's side, in the unit of work that creates execution
    ``wf_ex_id``: True if it may start it, False if the API refused this
    start already (the engine then creates nothing)."""
    return _insert(session, ticket, wf_ex_id, STARTED, now) == STARTED


def refuse(session, ticket, wf_ex_id, now):
    """The API's side, at its deadline: True if the start is refused now
    (no engine will run it under this ticket); False if an engine started
    it, or execution ``wf_ex_id`` exists anyway (started by another
    request with the same id, or so long ago that its ticket is gone)."""
    if _insert(session, ticket, wf_ex_id, REFUSED, now) != REFUSED:
        return False
    exists = session.execute(sa.select(models.WorkflowExecution.id).where(
        models.WorkflowExecution.id == wf_ex_id)).first()
    return exists is None
