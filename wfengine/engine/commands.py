"""What the conductor decides: value objects, no behaviour.

The conductor returns a ``Plan``: rows to create, state changes to make
and messages to send. The engine service applies the plan in one unit of
work (state changes through ``states.transition`` and a compare-and-set,
messages as outbox rows), so that the decision is pure and testable.
"""
import dataclasses
from typing import Any


@dataclasses.dataclass
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


@dataclasses.dataclass
class RunAction:
    """An action execution to create and hand to an executor."""

    id: str
    task_ex_id: str
    task_name: str
    name: str
    input: dict
    safe_rerun: bool = False


@dataclasses.dataclass
class TaskChange:
    """A change to an existing (or just planned) task execution."""

    task_ex_id: str
    event: str | None = None
    state_info: str | None = None
    published: dict | None = None
    processed: bool | None = None
    runtime_context: dict | None = None
    in_context: dict | None = None


@dataclasses.dataclass
class WorkflowChange:
    """A change of the workflow execution's state, with its output."""

    event: str
    state_info: str | None = None
    output: Any = None


@dataclasses.dataclass
class Plan:
    """Everything one conductor call decided, in the order to apply it."""

    new_tasks: list = dataclasses.field(default_factory=list)
    task_changes: list = dataclasses.field(default_factory=list)
    run_actions: list = dataclasses.field(default_factory=list)
    workflow_change: WorkflowChange | None = None
    context: dict | None = None
