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
        sa.Index("ix_task_ex_state", "state"),
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


class ActionExecution(TimestampMixin, Base):
    """One run of an action for a task.

    ``claimed_by`` is set, by compare-and-set, when an executor takes the
    action: that claim is what makes a sync action run at most once.
    """

    __tablename__ = "action_executions"
    __table_args__ = (
        sa.Index("ix_action_ex_task_execution_id", "task_execution_id"),
        sa.Index("ix_action_ex_state", "state"),
        sa.Index("ix_action_ex_created_at", "created_at"),
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
    project_id = orm.mapped_column(sa.String(80), nullable=False,
                                   default=DEFAULT_PROJECT)


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
