"""The engine's units of work against a real database (SQLite and PG).

An executor is played by the test: it takes the run_action messages the
engine sends and answers with claims and results, in any order, twice,
or too late, as a real one might.
"""
import datetime
import threading
import uuid

import pytest
import sqlalchemy

from tests.functional import harness

from wfengine import callbacks
from wfengine import exceptions
from wfengine.db import api as db_api
from wfengine.db import definitions
from wfengine.db import migration
from wfengine.db import models
from wfengine.db import session as db_session
from wfengine.db import unit as db_unit
from wfengine.engine import outbox
from wfengine.engine import service
from wfengine.core.lang import actions as lang_actions
from wfengine.core.lang import parser
from wfengine.rpc import messages

SEQ = """
version: '2.0'
seq:
  tasks:
    t1:
      action: std.echo output=1
      on-success: [t2]
    t2:
      action: std.echo output=2
"""


class FakeExecutors:
    """Collects what the engine sends to executors."""

    def __init__(self):
        self.sent = []

    def run_action(self, msg):
        self.sent.append(msg)

    def run_actions(self, msgs):
        self.sent.extend(msgs)


@pytest.fixture
def engine(db_url):
    migration.upgrade(db_url, "heads")
    db_session.configure(db_url)
    executors = FakeExecutors()
    box = outbox.Outbox(executors, resend_after=60, sweep_interval=60,
                        signer=callbacks.Signer("k", "http://127.0.0.1:1"))
    svc = service.EngineService(box)
    box.set_local_handler(svc.handle_local)
    svc.executors = executors
    svc.box = box
    db_session.unit_of_work(_define, SEQ)
    yield svc
    db_session.dispose()


def _define(session, text):
    for spec in parser.parse_workflows(text):
        db_api.add(session, models.WorkflowDefinition(
            id=spec.name + "-id", name=spec.name, namespace="",
            definition=text, spec=spec.to_dict(), input=""))


def _claim(svc, msg, token="c1"):
    return svc.claim_action(messages.ClaimAction(
        action_ex_id=msg.action_ex_id, claim=token))


def _succeed(svc, msg, result=None):
    return svc.on_action_complete(messages.ActionResult(
        action_ex_id=msg.action_ex_id, state="SUCCESS", result=result))


def _read(fn, *args):
    return db_session.reader(fn, *args)


def _events(session, wf_ex_id):
    rows = session.query(models.Event).filter_by(
        workflow_execution_id=wf_ex_id).order_by(models.Event.id)
    return [(e.event, e.task_name) for e in rows]


def _wf_state(session, wf_ex_id):
    return session.get(models.WorkflowExecution, wf_ex_id).state


def test_a_duplicate_result_changes_nothing(engine):
    wf = engine.start_workflow(messages.StartWorkflow(wf_identifier="seq"))
    first = engine.executors.sent[0]
    assert _claim(engine, first)
    assert _succeed(engine, first, 1) is True
    assert _succeed(engine, first, 1) is False
    assert len(engine.executors.sent) == 2, "t2 was started twice"
    second = engine.executors.sent[1]
    assert _claim(engine, second) and _succeed(engine, second, 2)
    assert _read(_wf_state, wf["id"]) == "SUCCESS"


def test_only_one_claim_wins_and_a_lost_answer_can_be_asked_again(engine):
    engine.start_workflow(messages.StartWorkflow(wf_identifier="seq"))
    msg = engine.executors.sent[0]
    assert _claim(engine, msg, "a") is True
    assert _claim(engine, msg, "b") is False
    assert _claim(engine, msg, "a") is True


def test_a_late_result_after_the_action_ended_is_refused(engine):
    engine.start_workflow(messages.StartWorkflow(wf_identifier="seq"))
    msg = engine.executors.sent[0]
    _claim(engine, msg)
    assert engine.on_action_complete(messages.ActionResult(
        action_ex_id=msg.action_ex_id, state="ERROR", result="x")) is True
    assert _succeed(engine, msg, 1) is False


def _listen(session, events, workflow_name="seq", enabled=True):
    db_api.add(session, models.Listener(
        id=str(uuid.uuid4()), workflow_name=workflow_name, events=events,
        enabled=enabled,
        url="http://127.0.0.1:1/hook", secret="whsec_x"))


def _run_seq(svc, params=None):
    wf = svc.start_workflow(messages.StartWorkflow(wf_identifier="seq",
                                                   params=params))
    for index in range(2):
        msg = svc.executors.sent[index]
        _claim(svc, msg)
        _succeed(svc, msg, index)
    return _read(_events, wf["id"])


ALL_EVENTS = [("WORKFLOW_LAUNCHED", None), ("TASK_LAUNCHED", "t1"),
              ("TASK_SUCCEEDED", "t1"), ("TASK_LAUNCHED", "t2"),
              ("TASK_SUCCEEDED", "t2"), ("WORKFLOW_SUCCEEDED", None)]


def test_events_are_recorded_in_the_order_they_happened(engine):
    db_session.unit_of_work(_listen, ["EXECUTION", "TASK"])
    assert _run_seq(engine) == ALL_EVENTS


def test_events_nobody_subscribes_to_are_not_recorded(engine):
    db_session.unit_of_work(_listen, ["TASK"], workflow_name="other")
    db_session.unit_of_work(_listen, ["TASK"], enabled=False)
    assert _run_seq(engine) == []


def test_only_the_subscribed_events_are_recorded(engine):
    db_session.unit_of_work(_listen, ["TASK_SUCCEEDED"], workflow_name=None)
    assert _run_seq(engine) == [("TASK_SUCCEEDED", "t1"),
                                ("TASK_SUCCEEDED", "t2")]


TAGGED = """
version: '2.0'
tagged:
  tags: [w]
  tasks:
    t1:
      action: std.echo output=1
      tags: [a, b]
      on-success: [t2]
    t2:
      action: std.echo output=2
"""


def _tags(session, wf_ex_id):
    wf_ex = session.get(models.WorkflowExecution, wf_ex_id)
    tasks = session.query(models.TaskExecution).filter_by(
        workflow_execution_id=wf_ex_id)
    events = session.query(models.Event).filter_by(
        workflow_execution_id=wf_ex_id)
    return (wf_ex.tags, {t.name: t.tags for t in tasks},
            {(e.task_name, tuple(e.data["tags"])) for e in events})


def test_executions_and_tasks_are_written_with_their_tags(engine):
    """As Mistral: the workflow's tags on its execution, each task's own
    on the task (``[]`` without), and in their events' data."""
    db_session.unit_of_work(_define, TAGGED)
    db_session.unit_of_work(_listen, ["EXECUTION", "TASK"], "tagged")
    wf = engine.start_workflow(messages.StartWorkflow(wf_identifier="tagged"))
    for index in range(2):
        msg = engine.executors.sent[index]
        _claim(engine, msg)
        _succeed(engine, msg, index)
    assert _read(_tags, wf["id"]) == (
        ["w"], {"t1": ["a", "b"], "t2": []},
        {(None, ("w",)), ("t1", ("a", "b")), ("t2", ())})


def _statements_sent(fn, matches):
    """``(fn(), how many statements sent meanwhile ``matches``)``."""
    seen = []

    def count(conn, cursor, statement, *args):
        if matches(statement):
            seen.append(statement)
    db_engine = db_session.get_engine()
    sqlalchemy.event.listen(db_engine, "before_cursor_execute", count)
    try:
        return fn(), len(seen)
    finally:
        sqlalchemy.event.remove(db_engine, "before_cursor_execute", count)


def _listener_reads(fn):
    """``(fn(), statements that read the listeners on their own)``: the
    lock of an execution asks whether any listener takes its events, so
    a unit only reads the listeners apart when one does."""
    return _statements_sent(
        fn, lambda stmt: stmt.lstrip().startswith("SELECT listeners."))


def test_a_result_nobody_listens_to_reads_no_listeners_apart(engine):
    db_session.unit_of_work(_listen, ["TASK"], enabled=False)
    engine.start_workflow(messages.StartWorkflow(wf_identifier="seq"))
    msg = engine.executors.sent[0]
    _claim(engine, msg)
    won, reads = _listener_reads(lambda: _succeed(engine, msg, 1))
    assert won and reads == 0


def test_a_listener_added_during_a_run_takes_the_events_after_it(engine):
    wf = engine.start_workflow(messages.StartWorkflow(wf_identifier="seq"))
    first = engine.executors.sent[0]
    _claim(engine, first)
    assert _succeed(engine, first, 0)
    db_session.unit_of_work(_listen, ["TASK", "EXECUTION"])
    second = engine.executors.sent[1]
    _claim(engine, second)
    won, reads = _listener_reads(lambda: _succeed(engine, second, 1))
    assert won and reads == 1
    assert _read(_events, wf["id"]) == [("TASK_SUCCEEDED", "t2"),
                                        ("WORKFLOW_SUCCEEDED", None)]


def test_a_notify_entry_of_the_execution_records_its_events(engine):
    notify = [{"type": "webhook", "url": "http://127.0.0.1:1/",
               "event_types": ["WORKFLOW_SUCCEEDED"]}]
    assert _run_seq(engine, {"notify": notify}) == [
        ("WORKFLOW_SUCCEEDED", None)]


def test_broadcast_publishers_record_every_event(engine):
    engine._record_all = True
    assert _run_seq(engine) == ALL_EVENTS


def test_an_api_completion_of_a_sync_action_is_refused(engine):
    engine.start_workflow(messages.StartWorkflow(wf_identifier="seq"))
    msg = engine.executors.sent[0]
    _claim(engine, msg)
    with pytest.raises(exceptions.Conflict) as err:
        engine.on_action_complete(messages.ActionResult(
            action_ex_id=msg.action_ex_id, state="SUCCESS", result=1,
            from_api=True))
    assert "synchronous" in str(err.value)


def test_a_refused_start_leaves_nothing_behind(engine):
    with pytest.raises(exceptions.InputError):
        engine.start_workflow(messages.StartWorkflow(
            wf_identifier="seq", wf_input={"unexpected": 1}))
    count = _read(lambda s: s.query(models.WorkflowExecution).count())
    assert count == 0 and engine.executors.sent == []


def _executions(session):
    return session.query(models.WorkflowExecution).count()


def test_a_start_sent_again_answers_with_the_execution_it_made(engine):
    start = messages.StartWorkflow(wf_identifier="seq", wf_ex_id="run-1")
    assert engine.start_workflow(start) == {"id": "run-1"}
    assert engine.start_workflow(start) == {"id": "run-1"}
    assert _read(_executions) == 1
    assert len(engine.executors.sent) == 1


def test_a_start_racing_its_copy_answers_with_the_copy_s_execution(
        engine, monkeypatch):
    start = messages.StartWorkflow(wf_identifier="seq", wf_ex_id="run-1")
    engine.start_workflow(start)
    # The copy's look for the execution comes before the first start's
    # commit: it inserts too, and the database refuses the second row.
    looks = []
    real = db_api.workflow_ids_of_executions

    def late_look(session, wf_ex_ids):
        looks.extend(wf_ex_ids)
        return {} if len(looks) == 1 else real(session, wf_ex_ids)
    monkeypatch.setattr(db_api, "workflow_ids_of_executions", late_look)
    assert engine.start_workflow(start) == {"id": "run-1"}
    assert looks == ["run-1", "run-1"]
    assert _read(_executions) == 1
    assert len(engine.executors.sent) == 1


def test_a_start_naming_another_workflow_s_execution_is_refused(engine):
    db_session.unit_of_work(_define, SEQ.replace("seq:", "other:"))
    engine.start_workflow(messages.StartWorkflow(wf_identifier="seq",
                                                 wf_ex_id="run-1"))
    with pytest.raises(exceptions.Conflict) as err:
        engine.start_workflow(messages.StartWorkflow(
            wf_identifier="other", wf_ex_id="run-1"))
    assert "run-1" in str(err.value) and "seq-id" in str(err.value)
    assert _read(_executions) == 1


def test_an_orphaned_action_fails_without_safe_rerun(engine):
    wf = engine.start_workflow(messages.StartWorkflow(wf_identifier="seq"))
    msg = engine.executors.sent[0]
    engine.claim_action(messages.ClaimAction(
        action_ex_id=msg.action_ex_id, claim="c", executor="ex-1"))
    assert engine.recover_orphan(msg.action_ex_id, "c", "ex-1") is True
    assert engine.recover_orphan(msg.action_ex_id, "c", "ex-1") is False
    assert _read(_wf_state, wf["id"]) == "ERROR"


SAFE = """
version: '2.0'
safe:
  tasks:
    t1:
      action: std.echo output=<% $.big %>
      safe-rerun: true
  input: [big]
"""

ADHOC = """
version: '2.0'
shout:
  base: std.echo
  base-input:
    output: <% $.word + '!' %>
  input: [word]
"""


def _define_action(session, text):
    definitions.create_action_definitions(session, [
        {"name": spec.name, "namespace": "", "definition": text,
         "spec": spec.to_dict(), "input": spec.input_signature()}
        for spec in lang_actions.parse_actions(text)])


def _make_due(session):
    session.query(models.OutboxMessage).update(
        {"next_send_at": models.utcnow() - datetime.timedelta(seconds=1)})


def _stored_payloads(session):
    return [r.payload for r in session.query(models.OutboxMessage)]


def _resend(engine):
    """Let the sweeper send again what is still in the outbox."""
    engine.executors.sent.clear()
    db_session.unit_of_work(_make_due)
    engine.box.sweep_once()
    return list(engine.executors.sent)


def test_a_lost_send_goes_again_with_the_action_s_input(engine):
    db_session.unit_of_work(_define, SAFE)
    big = "x" * 5000
    engine.start_workflow(messages.StartWorkflow(wf_identifier="safe",
                                                 wf_input={"big": big}))
    (first,) = engine.executors.sent
    assert first.action_input == {"output": big}
    # The row does not copy the input: the action execution has it.
    (stored,) = _read(_stored_payloads)
    assert "action_input" not in stored
    (again,) = _resend(engine)
    assert again.to_dict() == first.to_dict()


def test_an_ad_hoc_action_goes_again_with_its_base_input(engine):
    db_session.unit_of_work(_define_action, ADHOC)
    engine.run_action(messages.StartAction(name="shout",
                                           input={"word": "hey"}))
    (first,) = engine.executors.sent
    assert (first.action_name, first.action_input) == (
        "std.echo", {"output": "hey!"})
    (again,) = _resend(engine)
    assert (again.action_name, again.action_input) == (
        "std.echo", {"output": "hey!"})


NESTED_ADHOC = """
version: '2.0'
double:
  base: std.echo
  base-input:
    output: <% $.v %>
  input: [v]
  output: <% $ * 2 %>
plus_one:
  base: double
  base-input:
    v: <% $.u %>
  input: [u]
  output: <% $ + 1 %>
"""

CALLS_ADHOC = """
version: '2.0'
calls_adhoc:
  output:
    r: <% $.r %>
  tasks:
    t:
      action: plus_one u=5
      publish:
        r: <% task().result %>
"""


def _definition_reads(fn):
    """``(fn(), statements that read action definitions)``."""
    return _statements_sent(
        fn, lambda stmt: "FROM action_definitions" in stmt)


def test_a_result_of_an_ad_hoc_action_reads_the_definitions_once(engine):
    """The output of every layer is applied with the catalog the
    conductor then decides with: one query per layer, read once."""
    db_session.unit_of_work(_define_action, NESTED_ADHOC)
    db_session.unit_of_work(_define, CALLS_ADHOC)
    wf = engine.start_workflow(messages.StartWorkflow(
        wf_identifier="calls_adhoc"))
    (msg,) = engine.executors.sent
    assert (msg.action_name, msg.action_input) == ("std.echo",
                                                   {"output": 5})
    assert _claim(engine, msg)
    won, reads = _definition_reads(lambda: _succeed(engine, msg, 5))
    assert won
    assert reads == 2, "plus_one, then double: each level read once"
    # std.echo gives 5; double makes it 10, plus_one 11.
    assert _read(lambda s: s.get(models.WorkflowExecution,
                                 wf["id"]).output) == {"r": 11}


def test_a_result_of_an_ad_hoc_action_outside_a_workflow_gets_its_output(
        engine):
    db_session.unit_of_work(_define_action, NESTED_ADHOC)
    started = engine.run_action(messages.StartAction(name="plus_one",
                                                     input={"u": 5}))
    (msg,) = engine.executors.sent
    assert _claim(engine, msg) and _succeed(engine, msg, 5)
    assert _read(lambda s: s.get(models.ActionExecution,
                                 started["id"]).output) == {"result": 11}


def _delete_actions(session):
    session.query(models.ActionExecution).delete()


def test_a_due_send_of_an_action_that_is_gone_is_dropped(engine):
    engine.run_action(messages.StartAction(name="std.noop"))
    db_session.unit_of_work(_delete_actions)
    assert _resend(engine) == []
    assert _read(_stored_payloads) == []


def test_an_orphaned_action_runs_again_with_safe_rerun(engine):
    db_session.unit_of_work(_define, SAFE)
    wf = engine.start_workflow(messages.StartWorkflow(
        wf_identifier="safe", wf_input={"big": "b"}))
    (msg,) = engine.executors.sent
    engine.claim_action(messages.ClaimAction(
        action_ex_id=msg.action_ex_id, claim="c", executor="ex-1"))
    assert engine.recover_orphan(msg.action_ex_id, "c", "ex-1") is True
    again = engine.executors.sent[-1]
    assert again.to_dict() == msg.to_dict()
    assert _claim(engine, again, "c2") and _succeed(engine, again, "b")
    assert _read(_wf_state, wf["id"]) == "SUCCESS"


def _add_trigger(session, workflow_name):
    session.add(models.CronTrigger(
        id="ct-1", name="ct1", pattern="* * * * *",
        next_execution_time=models.utcnow(), remaining_executions=2,
        workflow_name=workflow_name, workflow_namespace="",
        workflow_input={}, workflow_params={}))


def _trigger_and_count(session):
    trigger = session.get(models.CronTrigger, "ct-1")
    return (trigger.next_execution_time, trigger.remaining_executions,
            session.query(models.WorkflowExecution).count())


@pytest.mark.parametrize("workflow,started", [("seq", 1), ("gone", 0)])
def test_a_cron_due_time_fires_once_with_its_start(engine, workflow,
                                                   started):
    db_session.unit_of_work(_add_trigger, workflow)
    due, _, _ = _read(_trigger_and_count)
    later = due + datetime.timedelta(minutes=1)
    msg = messages.StartWorkflow(wf_identifier=workflow)
    won, first = engine.fire_cron_trigger("ct-1", due, later, 1, msg)
    # The second engine to try the same due time loses it: no start.
    assert engine.fire_cron_trigger("ct-1", due, later, 1, msg) == (
        False, None)
    assert (won, first is not None) == (True, bool(started))
    assert _read(_trigger_and_count) == (later, 1, started)


def test_an_action_runs_outside_any_workflow(engine):
    started = engine.run_action(messages.StartAction(
        name="std.echo", input={"output": 7}))
    (msg,) = engine.executors.sent
    assert (msg.action_ex_id, msg.action_name, msg.action_input) == (
        started["id"], "std.echo", {"output": 7})
    assert _claim(engine, msg) and _succeed(engine, msg, 7)
    row = _read(lambda s: (s.get(models.ActionExecution, started["id"]).state,
                           s.get(models.ActionExecution,
                                 started["id"]).task_execution_id))
    assert row == ("SUCCESS", None)


def test_running_an_unknown_action_is_refused(engine):
    with pytest.raises(exceptions.ActionError) as err:
        engine.run_action(messages.StartAction(name="std.nope"))
    assert "std.nope" in str(err.value)
    assert engine.executors.sent == []


def test_only_a_finished_action_execution_can_be_deleted(engine):
    started = engine.run_action(messages.StartAction(name="std.noop"))
    (msg,) = engine.executors.sent
    delete = messages.DeleteActionExecution(action_ex_id=started["id"])
    with pytest.raises(exceptions.Conflict) as err:
        engine.delete_action_execution(delete)
    assert "RUNNING" in str(err.value)
    _claim(engine, msg)
    _succeed(engine, msg)
    engine.delete_action_execution(delete)
    assert _read(lambda s: s.get(models.ActionExecution,
                                 started["id"])) is None
    with pytest.raises(exceptions.NotFound):
        engine.delete_action_execution(delete)


REVERSE_CHILD = """
version: '2.0'
parent_of_rev:
  tasks:
    call:
      workflow: rev_child
rev_child:
  type: reverse
  tasks:
    only:
      action: std.noop
"""


def test_a_refused_sub_workflow_fails_its_task_and_leaves_nothing(engine):
    db_session.unit_of_work(_define, REVERSE_CHILD)
    wf = engine.start_workflow(messages.StartWorkflow(
        wf_identifier="parent_of_rev"))
    assert _read(_wf_state, wf["id"]) == "ERROR"
    names = _read(lambda s: [w.name for w in
                             s.query(models.WorkflowExecution)])
    assert names == ["parent_of_rev"]


EXECUTIONS_FN = """
version: '2.0'
count_them:
  output:
    done: <% executions(state => SUCCESS).len() %>
    mine: "{{ executions(id=execution().id)[0].name }}"
  tasks:
    t:
      action: std.noop
"""


def test_executions_function_reads_the_database(engine):
    db_session.unit_of_work(_define, EXECUTIONS_FN)
    first = engine.start_workflow(messages.StartWorkflow(
        wf_identifier="count_them"))
    _claim(engine, engine.executors.sent[0])
    _succeed(engine, engine.executors.sent[0])
    second = engine.start_workflow(messages.StartWorkflow(
        wf_identifier="count_them"))
    _claim(engine, engine.executors.sent[1])
    _succeed(engine, engine.executors.sent[1])
    outputs = _read(lambda s: [s.get(models.WorkflowExecution, i).output
                               for i in (first["id"], second["id"])])
    assert outputs == [{"done": 0, "mine": "count_them"},
                       {"done": 1, "mine": "count_them"}]


RECURSIVE_TASKS = """
version: '2.0'
outer:
  output:
    own: <% tasks().select($.name) %>
    all: <% tasks(execution().id, true).select($.name).orderBy($) %>
    flat: <% tasks(execution().id, true, null, true).select($.name) %>
  tasks:
    call:
      workflow: inner
inner:
  tasks:
    leaf:
      action: std.noop
"""


def test_tasks_function_reaches_into_sub_workflows(engine):
    db_session.unit_of_work(_define, RECURSIVE_TASKS)
    wf = engine.start_workflow(messages.StartWorkflow(wf_identifier="outer"))
    leaf = engine.executors.sent[0]
    _claim(engine, leaf)
    _succeed(engine, leaf)
    output = _read(lambda s: s.get(models.WorkflowExecution, wf["id"]).output)
    assert output == {"own": ["call"], "all": ["call", "leaf"],
                      "flat": ["leaf"]}


def test_claims_and_results_in_one_batch(engine):
    first = engine.start_workflow(messages.StartWorkflow(wf_identifier="seq"))
    second = engine.start_workflow(messages.StartWorkflow(
        wf_identifier="seq"))
    sent = list(engine.executors.sent)
    assert engine.claim_actions([messages.ClaimAction(
        action_ex_id=m.action_ex_id, claim="c%d" % i)
        for i, m in enumerate(sent)]) == [True, True]
    assert engine.claim_actions([messages.ClaimAction(
        action_ex_id=sent[0].action_ex_id, claim="other")]) == [False]
    results = [messages.ActionResult(action_ex_id=m.action_ex_id,
                                     state="SUCCESS", result=1)
               for m in sent]
    assert engine.on_actions_complete(results) == [True, True]
    assert engine.on_actions_complete(results) == [False, False]
    t2 = engine.executors.sent[2:]
    assert {m.task_name for m in t2} == {"t2"}
    for m in t2:
        _claim(engine, m)
    assert engine.on_actions_complete([messages.ActionResult(
        action_ex_id=m.action_ex_id, state="SUCCESS", result=2)
        for m in t2]) == [True, True]
    for wf in (first, second):
        assert _read(_wf_state, wf["id"]) == "SUCCESS"


def test_a_result_that_can_not_be_taken_does_not_hold_back_the_others(
        engine):
    engine.start_workflow(messages.StartWorkflow(wf_identifier="seq"))
    msg = engine.executors.sent[0]
    _claim(engine, msg)
    assert engine.on_actions_complete([
        messages.ActionResult(action_ex_id="no-such-action",
                              state="SUCCESS", result=0),
        messages.ActionResult(action_ex_id=msg.action_ex_id,
                              state="SUCCESS", result=1)]) == [False, True]
    assert [m.task_name for m in engine.executors.sent] == ["t1", "t2"]


FAN = """
version: '2.0'
fan:
  tasks:
    t1:
      action: std.echo output=1
      on-success: [a, b, c, far]
    a:
      action: std.echo output=a
    b:
      action: std.echo output=b
    c:
      action: std.echo output=c
    far:
      action: std.echo output=far
      target: exec-9
"""


def _report(msg, room=0):
    """An executor's report that ``msg``'s action succeeded, with
    ``room`` for more."""
    return messages.ResultReport(results=[messages.ActionResult(
        action_ex_id=msg.action_ex_id, state="SUCCESS",
        result=1).to_dict()], room=room)


def test_a_report_is_answered_with_the_actions_it_started_up_to_its_room(
        engine):
    db_session.unit_of_work(_define, FAN)
    engine.start_workflow(messages.StartWorkflow(wf_identifier="fan"))
    t1 = engine.executors.sent.pop()
    _claim(engine, t1)
    answer = engine.report_results(_report(t1, room=2))
    assert answer["taken"] == [True]
    handed = [messages.RunAction.from_dict(a) for a in answer["actions"]]
    cast = engine.executors.sent
    # Two in the answer; the third and the one with a target were cast.
    assert len(handed) == 2 and not any(m.target for m in handed)
    assert sorted(m.task_name for m in handed + cast) == [
        "a", "b", "c", "far"]
    assert [m.target for m in cast if m.task_name == "far"] == ["exec-9"]
    assert all(m.callback_url for m in handed)
    # Handed or cast, each keeps its outbox row until its result comes.
    waiting = _read(lambda s: {r.ref_id for r in s.query(
        models.OutboxMessage)})
    assert waiting == {m.action_ex_id for m in handed + cast}
    # The same report again: nothing taken, nothing handed.
    again = engine.report_results(_report(t1, room=2))
    assert again == {"taken": [False], "actions": []}


def test_a_report_with_no_room_has_every_action_cast(engine):
    engine.start_workflow(messages.StartWorkflow(wf_identifier="seq"))
    t1 = engine.executors.sent[0]
    _claim(engine, t1)
    answer = engine.report_results(_report(t1))
    assert answer == {"taken": [True], "actions": []}
    assert [m.task_name for m in engine.executors.sent] == ["t1", "t2"]


def test_results_pushed_through_the_api_are_not_taken_in_batches(engine):
    with pytest.raises(exceptions.InputError):
        engine.on_actions_complete([messages.ActionResult(
            action_ex_id="x", state="SUCCESS", from_api=True)])


def test_a_batch_claimed_under_one_token_runs_a_duplicate_doorbell_once(
        engine):
    for _ in range(2):
        engine.start_workflow(messages.StartWorkflow(wf_identifier="seq"))
    first, second = (m.action_ex_id for m in engine.executors.sent)
    batch = [messages.ClaimAction(action_ex_id=i, claim="batch")
             for i in (first, second, first)]
    assert engine.claim_actions(batch) == [True, True, False]
    # The answer was lost: the same token asks again and gets the same.
    assert engine.claim_actions(batch[:2]) == [True, True]
    assert engine.claim_actions([messages.ClaimAction(
        action_ex_id=first, claim="other")]) == [False]
    left = _read(lambda s: s.query(models.OutboxMessage).filter_by(
        kind="run_action").count())
    assert left == 0, "claimed actions must leave the outbox"


ITEMS = """
version: '2.0'
items:
  input: [names]
  output: {greetings: <% $.greetings %>}
  tasks:
    greet:
      with-items: name in <% $.names %>
      action: std.echo output=<% $.name %>
      publish: {greetings: <% task().result %>}
"""


class _Statements:
    """Counts the UPDATEs of task and action executions a unit of work
    sends."""

    def __init__(self):
        self.task_updates = 0
        self.action_updates = 0

    def __call__(self, conn, cursor, statement, *args):
        if statement.startswith("UPDATE task_executions"):
            self.task_updates += 1
        if statement.startswith("UPDATE action_executions"):
            self.action_updates += 1


def test_results_of_one_task_in_one_batch_are_decided_together(engine):
    db_session.unit_of_work(_define, ITEMS)
    names = ["a", "b", "c", "d"]
    wf = engine.start_workflow(messages.StartWorkflow(
        wf_identifier="items", wf_input={"names": names}))
    sent = engine.executors.sent
    assert engine.claim_actions([messages.ClaimAction(
        action_ex_id=m.action_ex_id, claim="b") for m in sent]) == [True] * 4
    # Reported in another order than started, one of them twice.
    by_index = sorted(sent, key=lambda m: m.action_input["output"])
    results = [messages.ActionResult(
        action_ex_id=m.action_ex_id, state="SUCCESS",
        result=m.action_input["output"].upper())
        for m in reversed(by_index)]
    counter = _Statements()
    db_engine = db_session.get_engine()
    sqlalchemy.event.listen(db_engine, "before_cursor_execute", counter)
    try:
        assert engine.on_actions_complete(results + results[:1]) == [
            True, True, True, True, False]
    finally:
        sqlalchemy.event.remove(db_engine, "before_cursor_execute", counter)
    assert counter.task_updates == 1, "the task is written once per batch"
    assert counter.action_updates == 1, "one compare-and-set per batch"
    output = _read(lambda s: s.get(models.WorkflowExecution, wf["id"]).output)
    assert output == {"greetings": ["A", "B", "C", "D"]}
    actions = _read(lambda s: [
        (a.state, a.output, a.accepted) for a in s.query(
            models.ActionExecution).filter_by(workflow_execution_id=wf["id"])])
    assert sorted(actions, key=lambda a: a[1]["result"]) == [
        ("SUCCESS", {"result": n.upper()}, True) for n in names]


FORK = """
version: '2.0'
fork:
  tasks:
    left:
      action: std.echo output=l
      publish: {left: <% task().result %>}
      on-success: [meet]
    right:
      action: std.echo output=r
      publish: {right: <% task().result %>}
      on-success: [meet]
    meet:
      join: all
      action: std.echo output="<% $.left %><% $.right %>"
      publish: {both: <% task().result %>}
"""


def test_results_of_parallel_tasks_in_one_batch_reach_their_join(engine):
    db_session.unit_of_work(_define, FORK)
    wf = engine.start_workflow(messages.StartWorkflow(wf_identifier="fork"))
    branches = list(engine.executors.sent)
    engine.claim_actions([messages.ClaimAction(
        action_ex_id=m.action_ex_id, claim="b") for m in branches])
    assert engine.on_actions_complete([messages.ActionResult(
        action_ex_id=m.action_ex_id, state="SUCCESS",
        result=m.action_input["output"]) for m in branches]) == [True, True]
    (meet,) = engine.executors.sent[2:]
    assert (meet.task_name, meet.action_input) == ("meet", {"output": "lr"})
    _claim(engine, meet)
    _succeed(engine, meet, "lr")
    assert _read(_wf_state, wf["id"]) == "SUCCESS"


def test_a_failed_item_in_a_batch_fails_its_task_once_all_have_ended(
        engine):
    db_session.unit_of_work(_define, ITEMS)
    wf = engine.start_workflow(messages.StartWorkflow(
        wf_identifier="items", wf_input={"names": ["a", "b", "c"]}))
    sent = engine.executors.sent
    engine.claim_actions([messages.ClaimAction(
        action_ex_id=m.action_ex_id, claim="b") for m in sent])
    failing = sent[1].action_ex_id
    assert engine.on_actions_complete([messages.ActionResult(
        action_ex_id=m.action_ex_id,
        state="ERROR" if m.action_ex_id == failing else "SUCCESS",
        result="boom" if m.action_ex_id == failing else "ok")
        for m in sent]) == [True] * 3
    task = _read(lambda s: [(t.state, t.state_info) for t in s.query(
        models.TaskExecution).filter_by(workflow_execution_id=wf["id"])])
    assert task == [("ERROR", "One or more actions had failed. "
                              "(1 of 3 items failed)")]
    assert _read(_wf_state, wf["id"]) == "ERROR"
    assert len(engine.executors.sent) == 3, "no item started after the end"


def test_a_result_lost_to_a_stale_state_is_an_error_not_a_quiet_no(
        engine, monkeypatch):
    engine.start_workflow(messages.StartWorkflow(wf_identifier="seq"))
    [sent] = engine.executors.sent
    assert engine.claim_actions([messages.ClaimAction(
        action_ex_id=sent.action_ex_id, claim="c")]) == [True]

    def stale(unit, wf_ex_id=None):
        raise exceptions.StaleState("the database changed under the lock")
    monkeypatch.setattr(db_unit.Unit, "write", stale)
    with pytest.raises(exceptions.StaleState):
        engine.on_actions_complete([messages.ActionResult(
            action_ex_id=sent.action_ex_id, state="SUCCESS", result=1)])


ASYNC = """
version: '2.0'
held:
  tasks:
    a:
      action: std.async_noop
      on-success: [after]
    after:
      action: std.noop
"""


def _task_states(session, wf_ex_id):
    return {t.name: t.state for t in session.query(
        models.TaskExecution).filter_by(workflow_execution_id=wf_ex_id)}


def _started_async(engine):
    db_session.unit_of_work(_define, ASYNC)
    ex = engine.start_workflow(messages.StartWorkflow(wf_identifier="held"))
    msg = engine.executors.sent[-1]
    engine.claim_action(messages.ClaimAction(
        action_ex_id=msg.action_ex_id, claim="c1", is_sync=False))
    return ex["id"], msg.action_ex_id


# Requests on the action (PAUSED / RUNNING / a completion), then the states
# of the action, of task a and of the execution (Mistral 23.0.0's, checked
# on the peer).
PAUSE_CASES = [
    ("pause", ["PAUSED"], ("PAUSED", "PAUSED", "PAUSED")),
    ("pause_twice", ["PAUSED", "PAUSED"], ("PAUSED", "PAUSED", "PAUSED")),
    ("running_changes_nothing", ["RUNNING"],
     ("RUNNING", "RUNNING", "RUNNING")),
    ("pause_then_run", ["PAUSED", "RUNNING"],
     ("RUNNING", "RUNNING", "RUNNING")),
    ("paused_then_completed", ["PAUSED", "SUCCESS"],
     ("SUCCESS", "SUCCESS", "PAUSED")),
]


@pytest.mark.parametrize("requests, expected", [c[1:] for c in PAUSE_CASES],
                         ids=[c[0] for c in PAUSE_CASES])
def test_an_async_action_paused_and_resumed_by_request(engine, requests,
                                                       expected):
    wf_ex_id, action_id = _started_async(engine)
    for state in requests:
        if state in ("PAUSED", "RUNNING"):
            engine.update_action(messages.UpdateAction(
                action_ex_id=action_id, state=state))
        else:
            engine.on_action_complete(messages.ActionResult(
                action_ex_id=action_id, state=state, result={"r": 1},
                from_api=True))
    got = _read(lambda s: (s.get(models.ActionExecution, action_id).state,
                           _task_states(s, wf_ex_id)["a"],
                           _wf_state(s, wf_ex_id)))
    assert got == expected
    if requests[-1] == "SUCCESS":
        # The result is the task's; its transitions wait for the resume.
        engine.update_execution(messages.UpdateExecution(
            wf_ex_id=wf_ex_id, state="RUNNING"))
        assert _read(_task_states, wf_ex_id) == {"a": "SUCCESS",
                                                 "after": "RUNNING"}
        assert _read(_wf_state, wf_ex_id) == "RUNNING"


def test_pausing_an_action_that_ended_is_refused(engine):
    wf_ex_id, action_id = _started_async(engine)
    engine.on_action_complete(messages.ActionResult(
        action_ex_id=action_id, state="SUCCESS", result={}, from_api=True))
    with pytest.raises(exceptions.WrongState) as err:
        engine.update_action(messages.UpdateAction(action_ex_id=action_id,
                                                   state="PAUSED"))
    assert err.value.http_code == 400
    assert "in state SUCCESS" in str(err.value)


ADHOC_OUT = """
version: '2.0'
auth:
  base: std.echo
  base-input:
    output: {content: {}}
  output: <% $.content.result %>
"""
ADHOC_WF = """
version: '2.0'
uses_auth:
  tasks:
    a:
      action: auth
      on-error: [handled]
    handled:
      action: std.noop
"""


def test_an_ad_hoc_output_that_fails_fails_the_task_at_once(engine):
    def define(session):
        _define_action(session, ADHOC_OUT)
        _define(session, ADHOC_WF)
    db_session.unit_of_work(define)
    ex = engine.start_workflow(messages.StartWorkflow(
        wf_identifier="uses_auth"))
    msg = engine.executors.sent[-1]
    _claim(engine, msg)
    _succeed(engine, msg, {"content": {}})

    def read(session):
        action = session.get(models.ActionExecution, msg.action_ex_id)
        tasks = session.query(models.TaskExecution).filter_by(
            workflow_execution_id=ex["id"]).all()
        wf_ex = session.get(models.WorkflowExecution, ex["id"])
        return action, tasks, wf_ex
    action, tasks, wf_ex = _read(read)
    assert (action.state, action.accepted) == ("ERROR", False)
    assert [(t.name, t.state) for t in tasks] == [("a", "ERROR")]
    assert tasks[0].state_info.startswith(
        "Failed to complete action [error=Can not evaluate YAQL")
    assert wf_ex.state == "ERROR"
    assert wf_ex.state_info == tasks[0].state_info


def test_an_action_run_with_input_it_can_not_take_is_refused(engine):
    with pytest.raises(exceptions.InvalidInputNames) as err:
        engine.run_action(messages.StartAction(name="std.echo",
                                               input={"nope": 1}))
    assert "missing required output" in str(err.value)
    assert "unexpected nope" in str(err.value)
    assert engine.executors.sent == []


NAMESPACED_PARENT = """
version: '2.0'
ns_parent:
  tasks:
    call:
      workflow: seq
"""


def _define_in(session, text, namespace):
    for spec in parser.parse_workflows(text):
        db_api.add(session, models.WorkflowDefinition(
            id=str(uuid.uuid4()), name=spec.name, namespace=namespace,
            definition=text, spec=spec.to_dict(), input=""))


def test_a_start_finds_its_workflow_in_its_namespace_only(engine):
    # As Mistral answers POST /v2/executions: "seq" is in the default
    # namespace, not in "ops".
    with pytest.raises(exceptions.InputError, match="seq.*namespace=ops"):
        engine.start_workflow(messages.StartWorkflow(
            wf_identifier="seq", wf_namespace="ops"))
    assert _read(lambda s: s.query(models.WorkflowExecution).count()) == 0


def test_a_sub_workflow_is_looked_for_in_the_default_namespace_too(engine):
    db_session.unit_of_work(_define_in, NAMESPACED_PARENT, "ops")
    wf = engine.start_workflow(messages.StartWorkflow(
        wf_identifier="ns_parent", wf_namespace="ops"))
    children = _read(lambda s: [
        (c.name, c.workflow_namespace)
        for c in s.query(models.WorkflowExecution).filter_by(
            root_execution_id=wf["id"])])
    assert children == [("seq", "")]


def test_starts_that_wait_together_share_a_unit_and_keep_their_refusals(
        engine, monkeypatch):
    # The first start is held inside the engine while four more queue; they
    # are then served in one batch, in which "nope" is refused: it alone
    # fails, the others run, and nothing of the refused start is kept.
    release, units = threading.Event(), []
    starts = engine._starts
    alone, many = starts._serve_one, starts._serve_many

    def held(msg):
        units.append(1)
        assert release.wait(10)
        return alone(msg)

    def counted(msgs):
        units.append(len(msgs))
        return many(msgs)
    monkeypatch.setattr(starts, "_serve_one", held)
    monkeypatch.setattr(starts, "_serve_many", counted)
    answers = {}

    def start(name):
        try:
            answers[name] = engine.start_workflow(
                messages.StartWorkflow(wf_identifier=name.split("-")[0]))
        except exceptions.InputError as e:
            answers[name] = e
    first = threading.Thread(target=start, args=("seq-0",))
    first.start()
    harness.wait_until(lambda: units, 10, "the first start")
    monkeypatch.setattr(starts, "_serve_one", alone)
    others = [threading.Thread(target=start, args=(name,))
              for name in ("seq-1", "seq-2", "nope", "seq-3")]
    for thread in others:
        thread.start()
    harness.wait_until(lambda: len(starts._waiting) == 4, 10,
                       "four starts to queue")
    release.set()
    for thread in [first] + others:
        thread.join(30)
    assert isinstance(answers.pop("nope"), exceptions.InputError)
    ids = {a["id"] for a in answers.values()}
    assert len(ids) == 4
    # The batch of four was tried, refused, and served again one by one.
    assert units[:2] == [1, 4]
    rows = _read(lambda s: {r.id: r.state for r in
                            s.query(models.WorkflowExecution)})
    assert rows == {i: "RUNNING" for i in ids}
    assert sorted(m.task_name for m in engine.executors.sent) == ["t1"] * 4


def test_a_batch_of_starts_is_one_commit(engine):
    commits = []
    sqlalchemy.event.listen(db_session.get_engine(), "commit",
                            lambda conn: commits.append(1))
    msgs = [messages.StartWorkflow(wf_identifier="seq") for _ in range(3)]
    answers = engine._starts._serve_many(msgs)
    assert len(commits) == 1
    assert len({a["id"] for a in answers}) == 3
    assert len(engine.executors.sent) == 3


def test_a_batch_answers_a_start_sent_again_with_its_execution(engine):
    earlier = engine.start_workflow(messages.StartWorkflow(
        wf_identifier="seq", wf_ex_id=str(uuid.uuid4())))
    again = str(uuid.uuid4())
    msgs = [messages.StartWorkflow(wf_identifier="seq", wf_ex_id=i)
            for i in (earlier["id"], again, again, None)]
    answers = engine._starts._serve_many(msgs)
    assert [a["id"] for a in answers[:3]] == [earlier["id"], again, again]
    ids = _read(lambda s: [r.id for r in s.query(models.WorkflowExecution)])
    assert sorted(ids) == sorted([earlier["id"], again, answers[3]["id"]])
    assert len(engine.executors.sent) == 3
