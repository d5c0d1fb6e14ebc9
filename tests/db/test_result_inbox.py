"""The result inbox against a real database (SQLite and PG): what a
stopping executor keeps there is taken by an engine once, as a reported
result would be, and its action is no orphan meanwhile (issue 17)."""
import datetime

import sqlalchemy as sa

from tests.db.test_engine_service import engine  # noqa: F401 (fixture)
from tests.db import test_engine_service as base
from wfengine.db import api as db_api
from wfengine.db import inbox as db_inbox
from wfengine.db import models
from wfengine.db import session as db_session
from wfengine.executor import inbox as executor_inbox
from wfengine.rpc import messages


def _claimed_action(svc):
    wf = svc.start_workflow(messages.StartWorkflow(wf_identifier="seq"))
    msg = svc.executors.sent[0]
    assert svc.claim_action(messages.ClaimAction(
        action_ex_id=msg.action_ex_id, claim="c", executor="ex-1"))
    return wf["id"], msg.action_ex_id


def _result(action_ex_id, output):
    return messages.ActionResult(action_ex_id=action_ex_id,
                                 state="SUCCESS", result=output)


def _orphans():
    # Every claimed action counts as silent: only the inbox holds it back.
    return [row[0] for row in base._read(
        db_api.find_orphaned_actions,
        models.utcnow() + datetime.timedelta(seconds=60))]


def _action(action_ex_id):
    return base._read(lambda s: tuple(s.execute(
        sa.select(models.ActionExecution.state,
                  models.ActionExecution.output).where(
            models.ActionExecution.id == action_ex_id)).one()))


def _inbox_size(session):
    return session.query(models.ResultInbox).count()


def test_a_kept_result_is_taken_once_and_moves_the_workflow_on(engine):
    wf_ex_id, action_ex_id = _claimed_action(engine)
    executor_inbox.ResultInbox("ex-1").keep([_result(action_ex_id, 1)])
    assert _orphans() == []
    assert engine.drain_inbox() == 1
    assert engine.drain_inbox() == 0
    assert base._read(_inbox_size) == 0
    assert _action(action_ex_id) == ("SUCCESS", {"result": 1})
    # t2 was sent: the workflow went on from the kept result.
    assert len(engine.executors.sent) == 2
    assert base._read(base._wf_state, wf_ex_id) == "RUNNING"


def test_a_result_kept_twice_is_one_row_and_a_late_one_changes_nothing(
        engine):
    _, action_ex_id = _claimed_action(engine)
    box = executor_inbox.ResultInbox("ex-1")
    box.keep([_result(action_ex_id, 1)])
    box.keep([_result(action_ex_id, 2)])
    assert base._read(_inbox_size) == 1
    assert engine.on_action_complete(_result(action_ex_id, 3))
    assert engine.drain_inbox() == 1
    assert _action(action_ex_id) == ("SUCCESS", {"result": 3})


def test_the_result_of_an_action_deleted_meanwhile_is_dropped(engine):
    db_session.unit_of_work(db_inbox.keep, "ex-1", [
        _result("no-such-action", 1).to_dict()], models.utcnow())
    assert engine.drain_inbox() == 0
    assert base._read(_inbox_size) == 0


def test_without_a_kept_result_a_silent_executor_s_action_is_an_orphan(
        engine):
    _, action_ex_id = _claimed_action(engine)
    assert _orphans() == [action_ex_id]
