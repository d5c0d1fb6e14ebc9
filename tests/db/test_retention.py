"""Retention on PostgreSQL: the execution expiration policy and the
age-based purges, chunked, by the one engine holding the lease."""
import datetime
import types
import uuid

import pytest
import sqlalchemy as sa

from wfengine.db import migration
from wfengine.db import models
from wfengine.db import session as db_session
from wfengine.engine import retention

NOW = models.utcnow()


def ago(**kw):
    return NOW - datetime.timedelta(**kw)


def conf(**policy):
    values = dict(evaluation_interval=1, older_than=None,
                  max_finished_executions=0, batch_size=0, ignored_states=[])
    values.update(policy.pop("expiration", {}))
    opts = dict(interval=3600, events_older_than=0, deliveries_older_than=0,
                outbox_orphans_older_than=0, heartbeats_older_than=0,
                start_tickets_older_than=0, chunk_size=2, chunk_pause=0.0,
                chunk_share=1.0)
    opts.update(policy)
    return types.SimpleNamespace(
        execution_expiration_policy=types.SimpleNamespace(**values),
        retention=types.SimpleNamespace(**opts))


@pytest.fixture
def db(postgresql_url):
    migration.upgrade(postgresql_url, "heads")
    db_session.configure(postgresql_url)
    yield postgresql_url
    db_session.dispose()


def _run(fn, *args):
    return db_session.unit_of_work(lambda s: fn(s, *args))


def execution(state, updated, root=None, parent_task=None):
    """A workflow execution with one task and one action execution."""
    wf_id, task_id, action_id = (str(uuid.uuid4()) for _ in range(3))

    def add(session):
        session.add(models.WorkflowExecution(
            id=wf_id, name="wf", state=state, spec={}, root_execution_id=root,
            task_execution_id=parent_task, created_at=updated,
            updated_at=updated))
        session.flush()
        session.add(models.TaskExecution(
            id=task_id, name="t", workflow_execution_id=wf_id, state=state))
        session.flush()
        session.add(models.ActionExecution(
            id=action_id, name="std.noop", task_execution_id=task_id,
            workflow_execution_id=wf_id, state=state))
        session.add(models.OutboxMessage(
            kind="run_action", ref_id=action_id, payload={},
            next_send_at=NOW))
    db_session.unit_of_work(add)
    return types.SimpleNamespace(id=wf_id, task_id=task_id,
                                 action_id=action_id)


def with_child(state, child_state, updated):
    root = execution(state, updated)
    child = execution(child_state, updated, root=root.id,
                      parent_task=root.task_id)
    return root, child


def existing(ids):
    def read(session):
        return set(session.execute(sa.select(models.WorkflowExecution.id).where(
            models.WorkflowExecution.id.in_(ids))).scalars())
    return db_session.reader(read)


def count(model):
    return db_session.reader(
        lambda s: s.execute(sa.select(sa.func.count()).select_from(
            model)).scalar())


def test_older_than_removes_finished_trees_only(db):
    old_ok, old_ok_child = with_child("SUCCESS", "SUCCESS", ago(hours=3))
    old_error = execution("ERROR", ago(hours=3))
    old_cancelled = execution("CANCELLED", ago(hours=3))
    recent = execution("SUCCESS", ago(minutes=5))
    running = execution("RUNNING", ago(hours=3))
    busy_root, busy_child = with_child("ERROR", "RUNNING", ago(hours=3))
    passes = retention.Retention(conf(expiration={
        "older_than": 60, "ignored_states": ["CANCELLED"]}), "engine-a")
    assert passes.expire_executions() == {"executions": 2}
    kept = existing([e.id for e in (old_ok, old_ok_child, old_error,
                                    old_cancelled, recent, running,
                                    busy_root, busy_child)])
    assert kept == {old_cancelled.id, recent.id, running.id, busy_root.id,
                    busy_child.id}
    # Tasks, action executions and their outbox rows went with them.
    assert count(models.TaskExecution) == 5
    assert count(models.ActionExecution) == 5
    assert count(models.OutboxMessage) == 5


def test_max_finished_executions_keeps_the_newest(db):
    runs = [execution("SUCCESS", ago(minutes=m)) for m in (50, 40, 30, 20)]
    running = execution("RUNNING", ago(minutes=60))
    passes = retention.Retention(conf(expiration={
        "max_finished_executions": 2}), "engine-a")
    assert passes.expire_executions() == {"executions": 2}
    assert existing([r.id for r in runs] + [running.id]) == {
        runs[2].id, runs[3].id, running.id}


def test_batch_size_bounds_one_evaluation(db):
    runs = [execution("SUCCESS", ago(hours=2)) for _ in range(5)]
    passes = retention.Retention(conf(expiration={
        "older_than": 60, "batch_size": 3}), "engine-a")
    assert passes.expire_executions() == {"executions": 3}
    assert passes.expire_executions() == {"executions": 2}
    assert existing([r.id for r in runs]) == set()


def test_one_engine_at_a_time(db):
    execution("SUCCESS", ago(hours=2))
    first = retention.Retention(conf(expiration={"older_than": 60}), "a")
    second = retention.Retention(conf(expiration={"older_than": 60}), "b")
    assert first.run_due() == {"executions": 1}
    execution("SUCCESS", ago(hours=2))
    assert second.run_due() == {}  # "a" holds the lease
    # The lease runs out (its holder died): "b" takes over.
    _run(lambda s: s.execute(sa.update(models.Lease).values(
        expires_at=ago(seconds=1))))
    assert second.run_due() == {"executions": 1}
    execution("SUCCESS", ago(hours=2))
    assert first.run_due(force=True) == {}
    assert second.run_due(force=True) == {"executions": 1}
    second.stop()  # releases it
    assert count(models.Lease) == 0


def _bookkeeping(session):
    ev = dict(uuid=None, event="WORKFLOW_SUCCEEDED",
              workflow_execution_id="gone", state="SUCCESS")
    for i, (age, dispatched) in enumerate([
            (ago(days=3), True), (ago(days=3), True), (ago(days=3), True),
            (ago(days=3), False), (ago(minutes=1), True)]):
        session.add(models.Event(id=i + 1, created_at=age,
                                 dispatched=dispatched,
                                 **dict(ev, uuid=str(uuid.uuid4()))))
    for i, (age, state, event_id) in enumerate([
            (ago(days=3), "DELIVERED", 1), (ago(days=3), "FAILED", 1),
            (ago(days=3), "PENDING", 3), (ago(minutes=1), "DELIVERED", 5)]):
        session.add(models.Delivery(
            id="d%d" % i, event_id=event_id, event="WORKFLOW_SUCCEEDED",
            workflow_execution_id="gone", target="publisher:x",
            publisher="webhook", state=state, next_attempt_at=age,
            created_at=age))
    for i in range(3):
        session.add(models.OutboxMessage(
            kind="timer", ref_id="gone-%d" % i, payload={},
            created_at=ago(days=3), next_send_at=ago(days=3)))
    session.add(models.ExecutorHeartbeat(
        name="old", heartbeat_at=ago(days=3), started_at=ago(days=4)))
    session.add(models.ExecutorHeartbeat(
        name="alive", heartbeat_at=NOW, started_at=ago(days=4)))
    for i, (age, state) in enumerate([(ago(hours=2), "refused"),
                                      (ago(hours=2), "started"),
                                      (ago(minutes=1), "refused")]):
        session.add(models.StartTicket(id="t%d" % i,
                                       workflow_execution_id="gone",
                                       state=state, created_at=age))


def test_purges_age_out_bookkeeping_rows_in_chunks(db):
    live = execution("RUNNING", ago(days=3))  # its outbox row is old, live
    _run(lambda s: s.execute(sa.update(models.OutboxMessage).values(
        created_at=ago(days=3))))
    db_session.unit_of_work(_bookkeeping)
    passes = retention.Retention(conf(
        events_older_than=24, deliveries_older_than=24,
        outbox_orphans_older_than=24, heartbeats_older_than=24,
        start_tickets_older_than=1), "a")
    assert passes.run_due() == {"events": 2, "deliveries": 2, "outbox": 3,
                                "executor_heartbeats": 1,
                                "start_tickets": 2}
    # Event 3 has a pending delivery, event 4 is not fanned out yet, event
    # 5 is recent.
    assert db_session.reader(lambda s: sorted(s.execute(
        sa.select(models.Event.id)).scalars())) == [3, 4, 5]
    assert count(models.Delivery) == 2
    assert db_session.reader(lambda s: s.execute(sa.select(
        models.OutboxMessage.ref_id)).scalars().all()) == [live.action_id]
    assert db_session.reader(lambda s: s.execute(sa.select(
        models.ExecutorHeartbeat.name)).scalars().all()) == ["alive"]
    assert db_session.reader(lambda s: s.execute(sa.select(
        models.StartTicket.id)).scalars().all()) == ["t2"]


def _statements_during(fn):
    """(result of ``fn()``, the DELETE statements it sent)."""
    sent = []
    engine = db_session.get_engine()

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("DELETE"):
            sent.append(statement.split()[2])

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        return fn(), sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("trees", [1, 12])
def test_one_batch_is_one_delete_per_table_however_many_trees(db, trees):
    for _ in range(trees):
        with_child("SUCCESS", "SUCCESS", ago(hours=3))
    passes = retention.Retention(conf(chunk_size=50, expiration={
        "older_than": 60}), "engine-a")
    removed, deletes = _statements_during(passes.expire_executions)
    assert removed == {"executions": trees}
    assert deletes == ["outbox", "action_executions", "task_executions",
                       "workflow_executions"]
    assert count(models.WorkflowExecution) == 0
    assert count(models.TaskExecution) == 0
    assert count(models.ActionExecution) == 0
    assert count(models.OutboxMessage) == 0


def test_an_aged_out_table_is_one_delete_per_chunk(db):
    db_session.unit_of_work(_bookkeeping)
    passes = retention.Retention(conf(chunk_size=100,
                                      deliveries_older_than=24), "a")
    removed, deletes = _statements_during(passes.purge)
    assert removed == {"deliveries": 2}
    assert deletes == ["deliveries"]


def test_a_tree_an_engine_holds_is_skipped_not_waited_for(db):
    held, free = (execution("SUCCESS", ago(hours=3)) for _ in range(2))
    engine = sa.create_engine(db)
    try:
        with engine.connect() as other:
            other.execute(sa.text(
                "SELECT id FROM workflow_executions WHERE id = :id "
                "FOR UPDATE"), {"id": held.id})
            passes = retention.Retention(conf(chunk_size=50, expiration={
                "older_than": 60}), "engine-a")
            assert passes.expire_executions() == {"executions": 1}
            other.rollback()
        assert existing([held.id, free.id]) == {held.id}
        assert passes.expire_executions() == {"executions": 1}
    finally:
        engine.dispose()


def test_count_is_what_a_pass_would_remove(db):
    for _ in range(3):
        with_child("SUCCESS", "SUCCESS", ago(hours=3))
    execution("SUCCESS", ago(minutes=5))
    execution("RUNNING", ago(hours=3))
    db_session.unit_of_work(_bookkeeping)
    passes = retention.Retention(conf(
        events_older_than=24, deliveries_older_than=24,
        expiration={"older_than": 60, "max_finished_executions": 3,
                    "batch_size": 1}), "a")
    # Older than an hour: 3 roots; beyond the 3 newest finished: 1 of
    # them (the 4 finished roots, newest first: the recent one, then 3).
    counts = passes.count()
    assert counts == {"executions": 3, "events": 2, "deliveries": 2}
    assert count(models.WorkflowExecution) == 8   # nothing removed
    # batch_size bounds a pass, not the count.
    assert passes.expire_executions() == {"executions": 1}
    assert passes.count()["executions"] == 2
