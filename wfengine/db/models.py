"""SQLAlchemy models: the tables and nothing else (no behaviour).

Names follow Mistral's (``wf_ex``, ``task_ex``, ``action_ex``, ``state``,
``state_info``) so that the API maps them one to one. Large JSON columns
(spec, input, output, context, published) are deferred where a listing
never shows them, so lists stay cheap.
"""
import datetime

import sqlalchemy as sa
from sqlalchemy import orm

DEFAULT_PROJECT = "<default-project>"


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Base(orm.DeclarativeBase):
    pass


def _id_column(**kw):
    return orm.mapped_column(sa.String(36), primary_key=True, **kw)


def _user_column():
    """The user who created the row (None: unknown, as in noauth mode and
    for rows older than authentication). Not shown by the API: Mistral
    records no user on its objects."""
    return orm.mapped_column(sa.String(255), nullable=True)


def _json(deferred=False, nullable=True):
    return orm.mapped_column(sa.JSON, nullable=nullable, deferred=deferred)


class TimestampMixin:
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        sa.DateTime, default=utcnow, nullable=False)
    updated_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime, default=None, onupdate=utcnow)


class WorkflowDefinition(TimestampMixin, Base):
    """A workflow as created through ``POST /v2/workflows``."""

    __tablename__ = "workflow_definitions"
    __table_args__ = (
        sa.UniqueConstraint("name", "namespace", "project_id",
                            name="uq_workflow_definitions_name"),
    )

    id = _id_column()
    name = orm.mapped_column(sa.String(255), nullable=False)
    namespace = orm.mapped_column(sa.String(255), nullable=False, default="")
    definition = orm.mapped_column(sa.Text, nullable=False, deferred=True)
    spec = _json(deferred=True)
    input = orm.mapped_column(sa.Text)
    tags = _json()
    scope = orm.mapped_column(sa.String(80), nullable=False, default="private")
    project_id = orm.mapped_column(sa.String(80), nullable=False,
                                   default=DEFAULT_PROJECT)
    user_id = _user_column()


class WorkflowExecution(TimestampMixin, Base):
    """One run of a workflow; ``context`` holds its input and vars."""

    __tablename__ = "workflow_executions"
    __table_args__ = (
        sa.Index("ix_wf_ex_created_at", "created_at"),
        sa.Index("ix_wf_ex_state_created_at", "state", "created_at"),
        sa.Index("ix_wf_ex_name_created_at", "name", "created_at"),
        sa.Index("ix_wf_ex_root_execution_id", "root_execution_id"),
        sa.Index("ix_wf_ex_task_execution_id", "task_execution_id"),
        sa.Index("ix_wf_ex_updated_at", "updated_at"),
        sa.Index("ix_wf_ex_project_id_created_at", "project_id",
                 "created_at"),
    )

    id = _id_column()
    name = orm.mapped_column(sa.String(255), nullable=False)
    workflow_id = orm.mapped_column(sa.String(36))
    workflow_namespace = orm.mapped_column(sa.String(255), nullable=False,
                                           default="")
    description = orm.mapped_column(sa.String(255), nullable=False,
                                    default="")
    spec = _json(deferred=True)
    state = orm.mapped_column(sa.String(20), nullable=False)
    state_info = orm.mapped_column(sa.Text)
    tags = _json()
    input = _json(deferred=True)
    output = _json(deferred=True)
    params = _json(deferred=True)
    context = _json(deferred=True)
    task_execution_id = orm.mapped_column(sa.String(36))
    root_execution_id = orm.mapped_column(sa.String(36))
    project_id = orm.mapped_column(sa.String(80), nullable=False,
                                   default=DEFAULT_PROJECT)
    user_id = _user_column()


class TaskExecution(TimestampMixin, Base):
    """One task of a workflow execution.

    ``in_context`` is the data the task started with (the published
    variables of the tasks that led to it); ``published`` what it added.
    ``runtime_context`` holds engine bookkeeping (join arrivals, retry
    counters, with-items progress).
    """

    __tablename__ = "task_executions"
    __table_args__ = (
        sa.Index("ix_task_ex_wf_ex_id_name", "workflow_execution_id", "name"),
        sa.Index("ix_task_ex_wf_ex_id_state", "workflow_execution_id",
                 "state"),
        sa.Index("ix_task_ex_state", "state"),
        sa.Index("ix_task_ex_project_id_created_at", "project_id",
                 "created_at"),
        sa.Index("ix_task_ex_created_at", "created_at"),
    )

    id = _id_column()
    name = orm.mapped_column(sa.String(255), nullable=False)
    type = orm.mapped_column(sa.String(10), nullable=False, default="ACTION")
    workflow_execution_id = orm.mapped_column(
        sa.String(36), sa.ForeignKey("workflow_executions.id",
                                     ondelete="CASCADE"), nullable=False)
    workflow_name = orm.mapped_column(sa.String(255))
    workflow_id = orm.mapped_column(sa.String(36))
    workflow_namespace = orm.mapped_column(sa.String(255), nullable=False,
                                           default="")
    state = orm.mapped_column(sa.String(20), nullable=False)
    state_info = orm.mapped_column(sa.Text)
    tags = _json()
    in_context = _json(deferred=True)
    published = _json(deferred=True)
    runtime_context = _json(deferred=True)
    processed = orm.mapped_column(sa.Boolean, nullable=False, default=False)
    started_at = orm.mapped_column(sa.DateTime)
    finished_at = orm.mapped_column(sa.DateTime)
    project_id = orm.mapped_column(sa.String(80), nullable=False,
                                   default=DEFAULT_PROJECT)
    user_id = _user_column()


class ActionExecution(TimestampMixin, Base):
    """One run of an action for a task.

    ``claimed_by`` is set, by compare-and-set, when an executor takes the
    action: that claim is what makes a sync action run at most once.
    ``executor`` names the executor running it; its heartbeats tell
    whether it still does.
    """

    __tablename__ = "action_executions"
    __table_args__ = (
        sa.Index("ix_action_ex_task_execution_id", "task_execution_id"),
        sa.Index("ix_action_ex_state", "state"),
        sa.Index("ix_action_ex_created_at", "created_at"),
        sa.Index("ix_action_ex_project_id_created_at", "project_id",
                 "created_at"),
    )

    id = _id_column()
    name = orm.mapped_column(sa.String(255), nullable=False)
    description = orm.mapped_column(sa.String(255), nullable=False,
                                    default="")
    task_execution_id = orm.mapped_column(
        sa.String(36), sa.ForeignKey("task_executions.id",
                                     ondelete="CASCADE"))
    workflow_execution_id = orm.mapped_column(sa.String(36))
    workflow_name = orm.mapped_column(sa.String(255))
    workflow_namespace = orm.mapped_column(sa.String(255), nullable=False,
                                           default="")
    task_name = orm.mapped_column(sa.String(255))
    state = orm.mapped_column(sa.String(20), nullable=False)
    state_info = orm.mapped_column(sa.Text)
    tags = _json()
    accepted = orm.mapped_column(sa.Boolean, nullable=False, default=False)
    is_sync = orm.mapped_column(sa.Boolean, nullable=False, default=True)
    input = _json(deferred=True)
    output = _json(deferred=True)
    params = _json(deferred=True)
    claimed_by = orm.mapped_column(sa.String(255))
    claimed_at = orm.mapped_column(sa.DateTime)
    executor = orm.mapped_column(sa.String(255))
    project_id = orm.mapped_column(sa.String(80), nullable=False,
                                   default=DEFAULT_PROJECT)
    user_id = _user_column()


class OutboxMessage(Base):
    """Something that must be sent after the transaction that wrote it.

    Written in the same transaction as the state change it follows, sent
    after commit, and sent again by a sweeper until acknowledged (the row
    is then deleted). ``ref_id`` is the id of what the message is about,
    which is also the key its receiver de-duplicates on.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_next_send_at", "next_send_at"),
        sa.Index("ix_outbox_ref_id", "ref_id"),
        sa.Index("ix_outbox_created_at", "created_at"),
    )

    id = orm.mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    kind = orm.mapped_column(sa.String(40), nullable=False)
    ref_id = orm.mapped_column(sa.String(36), nullable=False)
    payload = _json(nullable=False)
    created_at = orm.mapped_column(sa.DateTime, default=utcnow,
                                   nullable=False)
    next_send_at = orm.mapped_column(sa.DateTime, nullable=False)
    attempts = orm.mapped_column(sa.Integer, nullable=False, default=0)


class Event(Base):
    """A workflow or task event, written with the state change causing it.

    The notifier delivers events after commit (an outbox): ``id`` orders
    them, so the events of one execution are delivered in the order they
    happened. ``data`` is a snapshot of the execution or task row's fields
    at that moment.
    """

    __tablename__ = "events"
    __table_args__ = (
        sa.Index("ix_events_dispatched_id", "dispatched", "id"),
        sa.Index("ix_events_workflow_execution_id", "workflow_execution_id"),
        sa.Index("ix_events_created_at", "created_at"),
    )

    id = orm.mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    uuid = orm.mapped_column(sa.String(36), nullable=False, unique=True)
    event = orm.mapped_column(sa.String(40), nullable=False)
    workflow_execution_id = orm.mapped_column(sa.String(36), nullable=False)
    root_execution_id = orm.mapped_column(sa.String(36))
    task_execution_id = orm.mapped_column(sa.String(36))
    workflow_name = orm.mapped_column(sa.String(255))
    task_name = orm.mapped_column(sa.String(255))
    state = orm.mapped_column(sa.String(20), nullable=False)
    state_info = orm.mapped_column(sa.Text)
    data = _json(deferred=True)
    dispatched = orm.mapped_column(sa.Boolean, nullable=False, default=False)
    created_at = orm.mapped_column(sa.DateTime, default=utcnow,
                                   nullable=False)


class Environment(TimestampMixin, Base):
    """Named variables a workflow execution can use as its ``env``."""

    __tablename__ = "environments"
    __table_args__ = (
        sa.UniqueConstraint("name", "project_id",
                            name="uq_environments_name"),
    )

    id = _id_column()
    name = orm.mapped_column(sa.String(200), nullable=False)
    description = orm.mapped_column(sa.Text)
    variables = _json(deferred=True)
    scope = orm.mapped_column(sa.String(80), nullable=False, default="private")
    project_id = orm.mapped_column(sa.String(80), nullable=False,
                                   default=DEFAULT_PROJECT)
    user_id = _user_column()


class ActionDefinition(TimestampMixin, Base):
    """An action users can call: a built-in (``is_system``) or ad-hoc one.

    Built-in actions are mirrored here so that lists page and filter like
    any other resource; ``spec`` holds an ad-hoc action's parsed form.
    """

    __tablename__ = "action_definitions"
    __table_args__ = (
        sa.UniqueConstraint("name", "namespace", "project_id",
                            name="uq_action_definitions_name"),
    )

    id = _id_column()
    name = orm.mapped_column(sa.String(255), nullable=False)
    namespace = orm.mapped_column(sa.String(255), nullable=False, default="")
    description = orm.mapped_column(sa.Text)
    definition = orm.mapped_column(sa.Text, deferred=True)
    spec = _json(deferred=True)
    input = orm.mapped_column(sa.Text)
    tags = _json()
    is_system = orm.mapped_column(sa.Boolean, nullable=False, default=False)
    workbook_name = orm.mapped_column(sa.String(255))
    scope = orm.mapped_column(sa.String(80), nullable=False, default="private")
    project_id = orm.mapped_column(sa.String(80), nullable=False,
                                   default=DEFAULT_PROJECT)
    user_id = _user_column()


class Workbook(TimestampMixin, Base):
    """A workbook: workflows and ad-hoc actions defined in one text."""

    __tablename__ = "workbooks"
    __table_args__ = (
        sa.UniqueConstraint("name", "namespace", "project_id",
                            name="uq_workbooks_name"),
    )

    id = _id_column()
    name = orm.mapped_column(sa.String(255), nullable=False)
    namespace = orm.mapped_column(sa.String(255), nullable=False, default="")
    definition = orm.mapped_column(sa.Text, nullable=False, deferred=True)
    spec = _json(deferred=True)
    tags = _json()
    scope = orm.mapped_column(sa.String(80), nullable=False, default="private")
    project_id = orm.mapped_column(sa.String(80), nullable=False,
                                   default=DEFAULT_PROJECT)
    user_id = _user_column()


class CronTrigger(TimestampMixin, Base):
    """Starts a workflow on a cron ``pattern``; a durable timer.

    ``next_execution_time`` is claimed by compare-and-set, so that of
    several engines exactly one fires each due time.
    """

    __tablename__ = "cron_triggers"
    __table_args__ = (
        sa.UniqueConstraint("name", "project_id",
                            name="uq_cron_triggers_name"),
        sa.Index("ix_cron_triggers_next_execution_time",
                 "next_execution_time"),
    )

    id = _id_column()
    name = orm.mapped_column(sa.String(200), nullable=False)
    pattern = orm.mapped_column(sa.String(100))
    first_execution_time = orm.mapped_column(sa.DateTime)
    next_execution_time = orm.mapped_column(sa.DateTime, nullable=False)
    remaining_executions = orm.mapped_column(sa.Integer)
    workflow_name = orm.mapped_column(sa.String(255))
    workflow_id = orm.mapped_column(sa.String(36))
    workflow_namespace = orm.mapped_column(sa.String(255), nullable=False,
                                           default="")
    workflow_input = _json(deferred=True)
    workflow_params = _json(deferred=True)
    scope = orm.mapped_column(sa.String(80), nullable=False, default="private")
    project_id = orm.mapped_column(sa.String(80), nullable=False,
                                   default=DEFAULT_PROJECT)
    user_id = _user_column()
    # keystone mode: the trust from the creator to the service user the
    # trigger fires with (Mistral's trust_id).
    trust_id = orm.mapped_column(sa.String(80))


class EventTrigger(TimestampMixin, Base):
    """Starts a workflow when a notification of type ``event`` arrives on
    ``exchange``/``topic`` of the messaging transport (Mistral's event
    triggers; the engines' listener is ``engine/event_triggers.py``).

    One per (exchange, topic, event, workflow, project), as in Mistral.
    """

    __tablename__ = "event_triggers"
    __table_args__ = (
        sa.UniqueConstraint("exchange", "topic", "event", "workflow_id",
                            "project_id", name="uq_event_triggers_event"),
        sa.Index("ix_event_triggers_project_id_workflow_id", "project_id",
                 "workflow_id"),
    )

    id = _id_column()
    name = orm.mapped_column(sa.String(200))
    workflow_id = orm.mapped_column(sa.String(36), nullable=False)
    workflow_input = _json()
    workflow_params = _json()
    exchange = orm.mapped_column(sa.String(80), nullable=False)
    topic = orm.mapped_column(sa.String(80), nullable=False)
    event = orm.mapped_column(sa.String(80), nullable=False)
    scope = orm.mapped_column(sa.String(80), nullable=False, default="private")
    project_id = orm.mapped_column(sa.String(80), nullable=False,
                                   default=DEFAULT_PROJECT)
    user_id = _user_column()
    # keystone mode: the trust the trigger starts its workflow with.
    trust_id = orm.mapped_column(sa.String(80))


class Listener(TimestampMixin, Base):
    """A standing webhook subscription (``/v2/listeners``).

    ``workflow_name`` None means every workflow; ``events`` holds the
    categories and event names subscribed to; ``secret`` is the Standard
    Webhooks signing secret (``whsec_...``), never shown after creation.
    """

    __tablename__ = "listeners"
    __table_args__ = (
        sa.Index("ix_listeners_workflow_name", "workflow_name"),
    )

    id = _id_column()
    workflow_name = orm.mapped_column(sa.String(255))
    events = _json(nullable=False)
    url = orm.mapped_column(sa.String(2048), nullable=False)
    method = orm.mapped_column(sa.String(10), nullable=False, default="POST")
    headers = _json()
    secret = orm.mapped_column(sa.String(255), nullable=False)
    description = orm.mapped_column(sa.String(255), nullable=False,
                                    default="")
    enabled = orm.mapped_column(sa.Boolean, nullable=False, default=True)
    project_id = orm.mapped_column(sa.String(80), nullable=False,
                                   default=DEFAULT_PROJECT)
    user_id = _user_column()


class Delivery(Base):
    """One event to deliver to one target, and how its attempts went.

    The notifier writes it when it fans an event out. ``target`` names
    the receiver (``listener:<id>``, ``notify:<root id>:<index>``,
    ``publisher:<name>``): deliveries of one target and one execution go
    out in ``event_id`` order. A notifier holds the delivery it attempts
    (``claimed_by`` until ``claimed_until``), so only one attempts it at a
    time. ``params`` is the target's own configuration for targets that
    are not listeners (url, headers of a Mistral ``notify`` entry).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        sa.Index("ix_deliveries_state_next_attempt_at", "state",
                 "next_attempt_at"),
        sa.Index("ix_deliveries_order", "target", "workflow_execution_id",
                 "event_id"),
        sa.Index("ix_deliveries_created_at", "created_at"),
        sa.Index("ix_deliveries_listener_created_at", "listener_id",
                 "created_at"),
    )

    id = _id_column()
    event_id = orm.mapped_column(sa.Integer, nullable=False)
    event = orm.mapped_column(sa.String(40), nullable=False)
    workflow_execution_id = orm.mapped_column(sa.String(36), nullable=False)
    task_execution_id = orm.mapped_column(sa.String(36))
    target = orm.mapped_column(sa.String(120), nullable=False)
    publisher = orm.mapped_column(sa.String(40), nullable=False)
    listener_id = orm.mapped_column(
        sa.String(36), sa.ForeignKey("listeners.id", ondelete="CASCADE"))
    params = _json(deferred=True)
    state = orm.mapped_column(sa.String(20), nullable=False)
    attempts = orm.mapped_column(sa.Integer, nullable=False, default=0)
    last_status_code = orm.mapped_column(sa.Integer)
    last_error = orm.mapped_column(sa.Text)
    next_attempt_at = orm.mapped_column(sa.DateTime, nullable=False)
    claimed_by = orm.mapped_column(sa.String(255))
    claimed_until = orm.mapped_column(sa.DateTime)
    created_at = orm.mapped_column(sa.DateTime, default=utcnow,
                                   nullable=False)
    delivered_at = orm.mapped_column(sa.DateTime)
    updated_at = orm.mapped_column(sa.DateTime)


class ServiceKey(Base):
    """A secret shared by every process of a deployment (callback tokens).

    Made once, on first use, by whichever process needs it first.
    """

    __tablename__ = "service_keys"

    name = orm.mapped_column(sa.String(80), primary_key=True)
    value = orm.mapped_column(sa.String(255), nullable=False)
    created_at = orm.mapped_column(sa.DateTime, default=utcnow,
                                   nullable=False)


class ExecutorHeartbeat(Base):
    """The last sign of life of an executor process.

    Written by the executor straight to the database, so that an outage of
    the broker can not make a live executor look dead (DESIGN.md rule 5).
    """

    __tablename__ = "executor_heartbeats"

    name = orm.mapped_column(sa.String(255), primary_key=True)
    heartbeat_at = orm.mapped_column(sa.DateTime, nullable=False)
    started_at = orm.mapped_column(sa.DateTime, nullable=False)


class Lease(Base):
    """A job that one process at a time may do (the retention passes):
    ``holder`` has it until ``expires_at`` unless it renews it."""

    __tablename__ = "leases"

    name = orm.mapped_column(sa.String(80), primary_key=True)
    holder = orm.mapped_column(sa.String(255), nullable=False)
    expires_at = orm.mapped_column(sa.DateTime, nullable=False)


class ResultInbox(Base):
    """An action's result that its executor could not hand to any engine
    before it stopped (a graceful stop with the engines out of reach).

    The executor writes it, with its heartbeat still beating; engines
    take it as they take a reported result and delete the row (the
    engine stays the only writer of execution state). While a row is
    here the liveness check leaves its action alone.
    """

    __tablename__ = "result_inbox"

    action_execution_id = orm.mapped_column(sa.String(36), primary_key=True)
    executor = orm.mapped_column(sa.String(255), nullable=False)
    # The ``messages.ActionResult`` as it would have travelled.
    result = _json(nullable=False)
    created_at = orm.mapped_column(sa.DateTime, nullable=False)


class StartTicket(Base):
    """Who decided a start that the API stopped waiting for: the engine
    that ran it (``started``) or the API that refused it (``refused``).

    One ticket per start request through the API (its id travels with
    the start); the first of the two inserts wins on the primary key, so
    a start answered 503 never runs and one that ran is answered 201
    (``db.tickets``). Not execution state: the execution itself is
    written by the engine only.
    """

    __tablename__ = "start_tickets"
    __table_args__ = (
        sa.Index("ix_start_tickets_created_at", "created_at"),
    )

    id = _id_column()
    workflow_execution_id = orm.mapped_column(sa.String(36), nullable=False)
    state = orm.mapped_column(sa.String(16), nullable=False)
    created_at = orm.mapped_column(sa.DateTime, nullable=False)
