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


def _never_run(action_ex_id, claim="c"):
    return messages.ClaimAction(action_ex_id=action_ex_id, claim=claim,
                                executor="ex-1", started=False)


def _claim_of(action_ex_id):
    return base._read(lambda s: s.get(models.ActionExecution,
                                      action_ex_id).claimed_by)


def test_a_claim_handed_back_never_run_goes_to_another_executor(engine):
    # "seq" runs std.echo without safe-rerun: had it run, at most once
    # would forbid running it again; it never ran, so it is sent again.
    _, action_ex_id = _claimed_action(engine)
    assert engine.hand_back_actions([_never_run(action_ex_id)]) == [True]
    assert _action(action_ex_id)[0] == "RUNNING"
    assert _claim_of(action_ex_id) is None
    assert [m.action_ex_id for m in engine.executors.sent] == [
        action_ex_id, action_ex_id]
    # Another executor claims it and its result moves the workflow on.
    assert engine.claim_action(messages.ClaimAction(
        action_ex_id=action_ex_id, claim="c2", executor="ex-2"))
    assert engine.on_action_complete(_result(action_ex_id, 1))
    assert _action(action_ex_id) == ("SUCCESS", {"result": 1})


def test_a_claim_handed_back_under_another_token_changes_nothing(engine):
    _, action_ex_id = _claimed_action(engine)
    assert engine.hand_back_actions([_never_run(action_ex_id, "late")]) \
        == [False]
    assert _claim_of(action_ex_id) == "c"
    assert len(engine.executors.sent) == 1


def test_a_claim_handed_back_while_running_still_fails_without_safe_rerun(
        engine):
    _, action_ex_id = _claimed_action(engine)
    assert engine.hand_back_actions([messages.ClaimAction(
        action_ex_id=action_ex_id, claim="c", executor="ex-1")]) == [True]
    assert _action(action_ex_id)[0] == "ERROR"


def test_a_kept_claim_never_run_is_no_orphan_and_is_sent_again(engine):
    _, action_ex_id = _claimed_action(engine)
    executor_inbox.ResultInbox("ex-1").keep([_never_run(action_ex_id)])
    assert _orphans() == []
    assert engine.drain_inbox() == 1
    assert base._read(_inbox_size) == 0
    assert _action(action_ex_id)[0] == "RUNNING"
    assert _claim_of(action_ex_id) is None
    assert len(engine.executors.sent) == 2
    assert engine.drain_inbox() == 0


def _sent_action(svc):
    """An action sent to the executors, which none has claimed yet."""
    svc.start_workflow(messages.StartWorkflow(wf_identifier="seq"))
    return svc.executors.sent[0].action_ex_id


def test_a_claim_never_run_waits_while_its_claim_call_may_still_land(
        engine):
    engine._claim_ttl = 30
    action_ex_id = _sent_action(engine)
    executor_inbox.ResultInbox("ex-1").keep([_never_run(action_ex_id)])
    # The claim has not landed: nothing to give back yet, the row stays.
    assert engine.drain_inbox() == 0
    assert base._read(_inbox_size) == 1
    # It lands late, granted to an executor that has gone: the row keeps
    # the action from the orphan search, and the next round sends it on.
    assert engine.claim_action(messages.ClaimAction(
        action_ex_id=action_ex_id, claim="c", executor="ex-1"))
    assert _orphans() == []
    assert engine.drain_inbox() == 1
    assert base._read(_inbox_size) == 0
    assert _claim_of(action_ex_id) is None
    assert len(engine.executors.sent) == 2


def test_a_claim_never_run_is_dropped_once_its_claim_call_expired(engine):
    engine._claim_ttl = 30
    action_ex_id = _sent_action(engine)
    db_session.unit_of_work(
        db_inbox.keep, "ex-1", [_never_run(action_ex_id).to_dict()],
        models.utcnow() - datetime.timedelta(seconds=60))
    assert engine.drain_inbox() == 0
    assert base._read(_inbox_size) == 0
    assert _claim_of(action_ex_id) is None
    assert len(engine.executors.sent) == 1  # the sweeper's to send again


def test_a_claim_handed_back_before_it_landed_is_held_until_it_may_not(
        engine):
    # The executor gave up on a claim call the broker still holds: the
    # engine keeps the claim in the inbox until the call has expired.
    engine._claim_ttl = 30
    action_ex_id = _sent_action(engine)
    assert engine.hand_back_actions([_never_run(action_ex_id)]) == [True]
    assert base._read(_inbox_size) == 1
    assert engine.claim_action(messages.ClaimAction(
        action_ex_id=action_ex_id, claim="c", executor="ex-1"))
    assert _orphans() == []
    assert engine.drain_inbox() == 1
    assert _claim_of(action_ex_id) is None
    assert len(engine.executors.sent) == 2


def test_a_result_replaces_a_claim_held_for_its_action(engine):
    # The claim held for a gone executor's late call; meanwhile another
    # executor ran the action, and stopping, kept its result here.
    engine._claim_ttl = 30
    action_ex_id = _sent_action(engine)
    assert engine.hand_back_actions([_never_run(action_ex_id)]) == [True]
    assert engine.claim_action(messages.ClaimAction(
        action_ex_id=action_ex_id, claim="c2", executor="ex-2"))
    executor_inbox.ResultInbox("ex-2").keep([_result(action_ex_id, 5)])
    assert base._read(_inbox_size) == 1
    assert engine.drain_inbox() == 1
    assert _action(action_ex_id) == ("SUCCESS", {"result": 5})
