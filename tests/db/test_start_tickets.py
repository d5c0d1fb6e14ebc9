"""Start tickets against a real database (issue 17): the engine and the
API decide a start the API stopped waiting for on one key, and whichever
inserts it first wins; on PostgreSQL the second waits for the first
transaction. An API completion meets an earlier completion the API kept
in the result inbox."""
import threading
import time

import pytest
import sqlalchemy as sa

from tests.db.test_engine_service import engine  # noqa: F401 (fixture)
from tests.db import test_engine_service as base
from wfengine import exceptions
from wfengine.db import inbox as db_inbox
from wfengine.db import models
from wfengine.db import session as db_session
from wfengine.db import tickets
from wfengine.rpc import messages


def _start(ticket, wf_ex_id="run-1"):
    return messages.StartWorkflow(wf_identifier="seq", wf_ex_id=wf_ex_id,
                                  ticket=ticket)


def _refuse(ticket, wf_ex_id="run-1"):
    return db_session.unit_of_work(tickets.refuse, ticket, wf_ex_id,
                                   models.utcnow())


def _ticket_states(session):
    return dict(session.execute(sa.select(models.StartTicket.id,
                                          models.StartTicket.state)).all())


def test_a_start_the_api_refused_first_is_dropped(engine):
    assert _refuse("t1")
    with pytest.raises(exceptions.StartRefused) as caught:
        engine.start_workflow(_start("t1"))
    assert "run-1" in str(caught.value)
    assert base._read(base._executions) == 0
    assert engine.executors.sent == []
    assert base._read(_ticket_states) == {"t1": tickets.REFUSED}


def test_a_start_the_engine_took_first_is_not_refused(engine):
    assert engine.start_workflow(_start("t1")) == {"id": "run-1"}
    assert not _refuse("t1")
    assert base._read(_ticket_states) == {"t1": tickets.STARTED}
    # A copy of the start, sent again, still answers with its execution.
    assert engine.start_workflow(_start("t1")) == {"id": "run-1"}
    assert base._read(base._executions) == 1


def test_a_refused_start_sent_again_under_a_new_ticket_runs(engine):
    assert _refuse("t1")
    assert engine.start_workflow(_start("t2")) == {"id": "run-1"}
    # The first request's late copy finds the execution: nothing more.
    assert engine.start_workflow(_start("t1")) == {"id": "run-1"}
    assert base._read(base._executions) == 1
    assert len(engine.executors.sent) == 1


def test_no_refusal_for_an_execution_that_exists_whatever_its_tickets(
        engine):
    # Started long ago, or by another request with the same id.
    engine.start_workflow(messages.StartWorkflow(wf_identifier="seq",
                                                 wf_ex_id="run-1"))
    assert not _refuse("t9")


def test_a_start_without_a_ticket_writes_none(engine):
    engine.start_workflow(messages.StartWorkflow(wf_identifier="seq",
                                                 wf_ex_id="run-1"))
    assert base._read(_ticket_states) == {}


def _held(fn, *args):
    """Run ``fn(session, *args)`` in a transaction left open; returns a
    function that commits it."""
    session = db_session._sessionmaker()
    session.begin()
    fn(session, *args)

    def commit():
        session.commit()
        session.close()
    return commit


def _in_thread(fn, *args):
    done = {}

    def run():
        try:
            done["value"] = fn(*args)
        except Exception as e:  # the test looks at it
            done["error"] = e
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done


# The races below wait on PostgreSQL's unique index (SQLite has one
# writer, so they can not happen there): PostgreSQL only, never skipped.
ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"],
                                        indirect=True)


def _blocked(thread):
    time.sleep(0.5)
    return thread.is_alive()


@ON_POSTGRESQL
def test_pg_an_engine_racing_an_uncommitted_refusal_waits_and_drops(
        engine, db_url):
    commit = _held(tickets.refuse, "t1", "run-1", models.utcnow())
    thread, done = _in_thread(engine.start_workflow, _start("t1"))
    assert _blocked(thread), "the engine did not wait for the refusal"
    commit()
    thread.join(10)
    assert isinstance(done.get("error"), exceptions.StartRefused), done
    assert base._read(base._executions) == 0
    assert engine.executors.sent == []


@ON_POSTGRESQL
def test_pg_a_refusal_racing_an_uncommitted_start_waits_and_yields(
        engine, db_url):
    # The engine's side of the key, in a start not committed yet.
    commit = _held(tickets.take, "t1", "run-1", models.utcnow())
    thread, done = _in_thread(_refuse, "t1")
    assert _blocked(thread), "the refusal did not wait for the start"
    commit()
    thread.join(10)
    assert done == {"value": False}


@ON_POSTGRESQL
def test_pg_a_refusal_racing_a_start_that_rolls_back_wins(engine, db_url):
    session = db_session._sessionmaker()
    session.begin()
    tickets.take(session, "t1", "run-1", models.utcnow())
    thread, done = _in_thread(_refuse, "t1")
    assert _blocked(thread)
    session.rollback()  # the start failed (bad input, a crash)
    session.close()
    thread.join(10)
    assert done == {"value": True}


def _async_action(svc):
    """A RUNNING asynchronous action, claimed: one the API may complete."""
    svc.start_workflow(messages.StartWorkflow(wf_identifier="seq"))
    msg = svc.executors.sent[0]
    assert svc.claim_action(messages.ClaimAction(
        action_ex_id=msg.action_ex_id, claim="c", is_sync=False,
        executor="ex-1"))
    return msg.action_ex_id


def _completion(action_ex_id, output, from_api):
    return messages.ActionResult(action_ex_id=action_ex_id, state="SUCCESS",
                                 result=output, from_api=from_api)


def _output(session, action_ex_id):
    return session.get(models.ActionExecution, action_ex_id).output


def test_a_completion_kept_by_the_api_comes_before_a_later_one(engine):
    action_ex_id = _async_action(engine)
    assert db_session.unit_of_work(
        db_inbox.keep_one, "api",
        _completion(action_ex_id, "kept", False).to_dict(), models.utcnow())
    with pytest.raises(exceptions.LostRace):
        engine.on_action_complete(_completion(action_ex_id, "later", True))
    assert base._read(_output, action_ex_id) == {"result": "kept"}
    assert engine.drain_inbox() == 0


def test_a_kept_completion_that_lost_meanwhile_is_dropped_in_silence(
        engine):
    action_ex_id = _async_action(engine)
    db_session.unit_of_work(
        db_inbox.keep_one, "api",
        _completion(action_ex_id, "kept", False).to_dict(), models.utcnow())
    # Another result won first (the action's timeout, say).
    assert engine.on_action_complete(_completion(action_ex_id, "other",
                                                 False))
    assert engine.drain_inbox() == 1
    assert base._read(_output, action_ex_id) == {"result": "other"}
    assert base._read(lambda s: s.query(models.ResultInbox).count()) == 0
