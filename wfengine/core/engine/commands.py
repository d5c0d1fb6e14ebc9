"""What the conductor decides: value objects, no behaviour.

The conductor builds a ``Plan`` (rows to create, state changes to make,
messages to send) as it decides, and hands the writer its frozen form, a
``Decision``: records that carry every value to write (each task's moves
and final columns, each message's fields), so that the writer
(``persist.apply_plan``) applies it in one unit of work (compare-and-set
writes, outbox rows) without asking the conductor anything. The decision
is pure and testable.
"""
import dataclasses
from typing import Any, Mapping


@dataclasses.dataclass(frozen=True)
class NewTask:
    """A task execution to create."""

    id: str
    name: str
    state: str
    type: str = "ACTION"
    in_context: dict = dataclasses.field(default_factory=dict)
    runtime_context: dict = dataclasses.field(default_factory=dict)
    state_info: str | None = None
    published: dict | None = None
    processed: bool = False


@dataclasses.dataclass(frozen=True)
class RunAction:
    """An action execution to create and hand to an executor."""

    id: str
    task_ex_id: str
    task_name: str
    name: str
    input: dict
    safe_rerun: bool = False
    index: int | None = None
    target: str | None = None
    # The with-items generation of an item's run (0 for a plain run).
    gen: int = 0
    # An ad-hoc action runs its base action: set when the conductor
    # plans the call, with its ``catalog.ActionCatalog``.
    base_name: str | None = None
    base_input: dict | None = None
    adhoc_id: str | None = None


@dataclasses.dataclass(frozen=True)
class StartSubworkflow:
    """A sub-workflow execution to start for a task (``index``: the item
    of a with-items task it runs, 0 otherwise, as Mistral's params)."""

    task_ex_id: str
    task_name: str
    workflow_name: str
    input: dict
    index: int = 0


@dataclasses.dataclass(frozen=True)
class ScheduleTimer:
    """Wake the engine for a task after ``delay`` seconds.

    ``kind`` is one of ``TIMER_KINDS``; the timer is a durable row, fired
    once by whichever engine is alive, no earlier than due.
    """

    kind: str
    task_ex_id: str
    delay: float


RUN_TASK = "run_task"
COMPLETE_TASK = "complete_task"
TASK_TIMEOUT = "task_timeout"
TIMER_KINDS = (RUN_TASK, COMPLETE_TASK, TASK_TIMEOUT)


@dataclasses.dataclass(frozen=True)
class AbortActions:
    """End the still-running action executions of a task.

    ``event`` is ``fail`` (a timeout) or ``cancel``; their late results
    then lose the compare-and-set and are rejected.
    """

    task_ex_id: str
    state_info: str
    event: str = "fail"


@dataclasses.dataclass(frozen=True)
class TaskChange:
    """A task execution changed: by ``event`` from state ``before`` to
    ``after``, or (``event`` None) only in its data, in state ``before``.

    The conductor's journal; the decision turns a task's changes into one
    ``TaskWrite``.
    """

    task_ex_id: str
    event: str | None = None
    before: str | None = None
    after: str | None = None


@dataclasses.dataclass(frozen=True)
class Move:
    """One move of a state machine: ``before`` --``event``--> ``after``."""

    before: str
    event: str
    after: str


@dataclasses.dataclass(frozen=True)
class TaskWrite:
    """One task execution to write, with every value it is written with.

    :ivar created: a new row (inserted in state ``start``), else an update
        guarded by a compare-and-set on ``start``, the state it was read in.
    :ivar moves: its ``Move`` records in order (each event recorded once);
        they lead from ``start`` to ``state``.
    :ivar values: the columns to write besides ``state``:
        ``state_info``, ``runtime_context``, ``processed``, and the large
        fields (``in_context``, ``published``) that changed.
    :ivar published: what the task has published, for event records;
        None if the decision did not read it.
    :ivar times: when the task was created, started and finished, as
        read (event records, finished-task metrics).
    """

    id: str
    name: str
    type: str
    created: bool
    start: str
    state: str
    moves: tuple = ()
    values: Mapping = dataclasses.field(default_factory=dict)
    published: dict | None = None
    times: tuple = (None, None, None)

    @property
    def events(self):
        return tuple(m.event for m in self.moves)


@dataclasses.dataclass(frozen=True)
class WorkflowChange:
    """A change of the workflow execution's state (``before`` --``event``->
    ``after``), with its output."""

    event: str
    state_info: str | None = None
    output: Any = None
    before: str | None = None
    after: str | None = None


@dataclasses.dataclass
class Plan:
    """Everything one conductor call decided, in the order to apply it.

    ``params`` is the execution's new ``params`` (an env update), and
    ``context`` its new context (global variables published), or None.
    """

    new_tasks: list = dataclasses.field(default_factory=list)
    task_changes: list = dataclasses.field(default_factory=list)
    run_actions: list = dataclasses.field(default_factory=list)
    subworkflows: list = dataclasses.field(default_factory=list)
    timers: list = dataclasses.field(default_factory=list)
    aborts: list = dataclasses.field(default_factory=list)
    workflow_changes: list = dataclasses.field(default_factory=list)
    params: dict | None = None
    context: dict | None = None

    @property
    def workflow_change(self):
        """The last change of the workflow execution, or None."""
        return self.workflow_changes[-1] if self.workflow_changes else None

    def freeze(self, tasks=()):
        """The plan as the writer receives it: a ``Decision``, with
        ``tasks`` (``TaskWrite`` records) for its journal of task
        changes."""
        return Decision(tasks=tuple(tasks), **{
            f.name: tuple(value) if isinstance(value, list) else value
            for f in dataclasses.fields(self)
            if f.name not in ("new_tasks", "task_changes")
            for value in (getattr(self, f.name),)})


@dataclasses.dataclass(frozen=True)
class Decision:
    """A finished plan, frozen: what one conductor decision hands to the
    writer (``persist.apply_plan``). ``tasks`` are the ``TaskWrite``
    records of the tasks it created or changed (those read first, in the
    order of their first change, then the new ones in order); the other
    fields are those of ``Plan``, its lists made tuples of the frozen
    records above."""

    tasks: tuple = ()
    run_actions: tuple = ()
    subworkflows: tuple = ()
    timers: tuple = ()
    aborts: tuple = ()
    workflow_changes: tuple = ()
    params: dict | None = None
    context: dict | None = None

    @property
    def workflow_change(self):
        """The last change of the workflow execution, or None."""
        return self.workflow_changes[-1] if self.workflow_changes else None
