"""What the conductor decides: value objects, no behaviour.

The conductor builds a ``Plan`` (rows to create, state changes to make,
messages to send) and hands the writer its frozen form, a ``Decision``.
The engine service applies it in one unit of work (state changes through
``states.transition`` and a compare-and-set, messages as outbox rows), so
that the decision is pure and testable.
"""
import dataclasses
from typing import Any


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
    # An ad-hoc action runs its base action: set when the conductor
    # resolves the call (``Conductor.resolve_calls``).
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
    """A task execution changed: by ``event``, or (None) only in its data.

    The values are the task's view as the plan ends; the engine writes
    that once, checking the events of every change against the table.
    """

    task_ex_id: str
    event: str | None = None


@dataclasses.dataclass(frozen=True)
class WorkflowChange:
    """A change of the workflow execution's state, with its output."""

    event: str
    state_info: str | None = None
    output: Any = None


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

    def freeze(self):
        """The plan as the writer receives it: a ``Decision``."""
        return Decision(**{
            f.name: tuple(value) if isinstance(value, list) else value
            for f in dataclasses.fields(self)
            for value in (getattr(self, f.name),)})


@dataclasses.dataclass(frozen=True)
class Decision:
    """A finished plan, frozen: what one conductor decision hands to the
    writer (``persist.apply_plan``). The fields are those of ``Plan``,
    its lists made tuples of the frozen records above."""

    new_tasks: tuple = ()
    task_changes: tuple = ()
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
