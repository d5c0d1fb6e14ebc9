"""The RPC contract: one frozen dataclass per message.

RPC_VERSION changelog:
  1.0 - start_workflow, claim_action, on_action_complete (engine);
        run_action (executor).
  1.1 - update_execution, update_task (engine).
  1.2 - ClaimAction.is_sync, ClaimAction.executor; ActionResult.from_api;
        RunAction.callback_url, RunAction.target.
  1.3 - delete_execution (engine).
  1.4 - run_action (engine): an action outside any workflow.
  1.5 - delete_action_execution (engine).
  1.6 - claim_actions, on_actions_complete (engine) and run_actions
        (executor): the same messages, several per call.
  1.7 - StartWorkflow.wf_ex_id: a start names its execution, and one
        sent again answers with the execution it created.
  1.8 - StartWorkflow.project_id, StartAction.project_id: a start carries
        the starter's project.
  1.9 - hand_back_actions (engine): a stopping executor gives back the
        actions it still runs (ClaimAction, several per call).
  1.10 - StartWorkflow.user_id, StartAction.user_id: a start carries the
         starter's user, recorded on the rows it creates.
  1.11 - update_action (engine): pause an asynchronous action, or let a
         paused one run again (UpdateAction).
  1.12 - StartWorkflow.ticket: the start is decided on a start ticket
         (``db.tickets``), which the API may have refused meanwhile.
  1.13 - ClaimAction.started: a stopping executor hands back a claim it
         never ran (its answer came too late, or never), which the
         engine sends to another executor whatever safe-rerun says.
  1.14 - report_results (engine): results reported with the room the
         executor has (ResultReport); the answer carries the actions
         that follow, up to that room, instead of a cast of each.

A new field gets a default, so that older senders stay understood;
``from_dict`` ignores fields it does not know, so newer senders do too.
A field added after its message names its version in ``FIELDS_SINCE``:
a client sends a message that carries such a field at that version, so
an older server refuses it instead of dropping the field unseen (see
``rpc.table``, which names the version of every call).
"""
import dataclasses
import functools
from typing import Any, ClassVar

from wfengine import state_names

RPC_VERSION = "1.14"


class Message:
    """Base: conversion to and from the plain dicts that travel."""

    # Field name -> the RPC version that added it to the message.
    FIELDS_SINCE: ClassVar[dict[str, str]] = {}

    def to_dict(self):
        """The plain dict that travels: the message's own values, not
        copies. Every way a message goes serializes it (JSON on the
        broker, on the in-process bus and in the result inbox), which
        copies them; ``dataclasses.asdict`` copied them once more, deep:
        17 to 35 us a message, several messages a transition."""
        return {name: getattr(self, name) for name in _names(type(self))}

    @classmethod
    def from_dict(cls, data):
        names = _names(cls)
        return cls(**{k: v for k, v in data.items() if k in names})


@functools.cache
def _names(cls):
    """The field names of message class ``cls``, in order."""
    return tuple(f.name for f in dataclasses.fields(cls))


@dataclasses.dataclass(frozen=True)
class StartWorkflow(Message):
    """API -> engine: create and start a workflow execution.

    With ``wf_ex_id`` the execution gets that id, and a start whose
    execution exists already answers with it instead of starting another:
    a sender whose answer is late may send the same start again.
    """

    wf_identifier: str
    wf_namespace: str = ""
    wf_input: dict = dataclasses.field(default_factory=dict)
    description: str = ""
    params: dict = dataclasses.field(default_factory=dict)
    wf_ex_id: str | None = None
    # The project the execution belongs to (the starter's); None: the
    # workflow definition's.
    project_id: str | None = None
    # The user who started it (recorded, not shown); None: unknown.
    user_id: str | None = None
    # The start ticket of this request (``db.tickets``): the engine starts
    # the execution only if the API has not refused the ticket first.
    # None: the sender waits for the answer whatever it takes.
    ticket: str | None = None

    FIELDS_SINCE: ClassVar[dict[str, str]] = {"wf_ex_id": "1.7",
                                              "project_id": "1.8",
                                              "user_id": "1.10",
                                              "ticket": "1.12"}


@dataclasses.dataclass(frozen=True)
class RunAction(Message):
    """Engine -> executor: run one action execution.

    Everything the executor needs travels here: an executor reads nothing
    from the database (it only writes its heartbeat there).
    """

    action_ex_id: str
    action_name: str
    action_input: dict
    task_ex_id: str | None = None
    task_name: str | None = None
    wf_ex_id: str | None = None
    wf_name: str | None = None
    safe_rerun: bool = False
    callback_url: str | None = None
    target: str | None = None

    FIELDS_SINCE: ClassVar[dict[str, str]] = {"callback_url": "1.2",
                                              "target": "1.2"}


@dataclasses.dataclass(frozen=True)
class ClaimAction(Message):
    """Executor -> engine: may I run this action execution?

    ``claim`` is the executor's token for this one delivery, so that asking
    again after a lost answer is recognised, while a duplicate delivery
    (another token) is refused.

    Handed back (``hand_back_actions``), ``started`` False says that the
    executor never ran the action under this claim.
    """

    action_ex_id: str
    claim: str
    is_sync: bool = True
    executor: str | None = None
    started: bool = True

    FIELDS_SINCE: ClassVar[dict[str, str]] = {"is_sync": "1.2",
                                              "executor": "1.2",
                                              "started": "1.13"}


@dataclasses.dataclass(frozen=True)
class ResultReport(Message):
    """Executor -> engine: results (``ActionResult`` wire dicts), and how
    many more actions the executor would start at once (``room``).

    The answer is ``{"taken": [bool, ...], "actions": [RunAction wire
    dict, ...]}``: for each result, whether it was taken (as
    ``on_actions_complete`` answers), and at most ``room`` of the actions
    those results started, which the executor runs as if they had been
    cast to it. The others go to the executors as casts.
    """

    results: list
    room: int = 0


SUCCESS = state_names.SUCCESS
ERROR = state_names.ERROR
CANCELLED = state_names.CANCELLED
RESULT_STATES = state_names.RESULTS


@dataclasses.dataclass(frozen=True)
class ActionResult(Message):
    """Executor or API -> engine: the outcome of an action execution.

    ``state`` is SUCCESS, ERROR or CANCELLED; ``result`` the action's
    result, or for ERROR the error data; ``state_info`` a message.
    ``from_api``: pushed through the API for an asynchronous action, which
    must then still be RUNNING (else the caller hears why).
    """

    action_ex_id: str
    state: str
    result: Any = None
    state_info: str | None = None
    from_api: bool = False

    FIELDS_SINCE: ClassVar[dict[str, str]] = {"from_api": "1.2"}


@dataclasses.dataclass(frozen=True)
class UpdateExecution(Message):
    """API -> engine: change an execution's state, env or description.

    ``state``: PAUSED, RUNNING (resume), CANCELLED, SUCCESS or ERROR; None
    with ``env`` to update the env of an execution that is not running.
    """

    wf_ex_id: str
    state: str | None = None
    state_info: str | None = None
    env: dict | None = None
    description: str | None = None


@dataclasses.dataclass(frozen=True)
class UpdateTask(Message):
    """API -> engine: re-run, skip or mark a failed task.

    ``state``: RUNNING (re-run, with ``reset`` and ``env``), SKIPPED, IDLE
    (replay on resume) or SUCCESS (fixed by hand, with ``published``).
    """

    task_ex_id: str
    state: str
    reset: bool = True
    env: dict | None = None
    published: dict | None = None
    state_info: str | None = None


@dataclasses.dataclass(frozen=True)
class DeleteExecution(Message):
    """API -> engine: delete an execution (a running one only if forced)."""

    wf_ex_id: str
    force: bool = False


@dataclasses.dataclass(frozen=True)
class StartAction(Message):
    """API -> engine: run an action outside any workflow."""

    name: str
    input: dict = dataclasses.field(default_factory=dict)
    namespace: str = ""
    description: str = ""
    target: str | None = None
    project_id: str | None = None
    user_id: str | None = None

    FIELDS_SINCE: ClassVar[dict[str, str]] = {"project_id": "1.8",
                                              "user_id": "1.10"}


@dataclasses.dataclass(frozen=True)
class DeleteActionExecution(Message):
    """API -> engine: delete a finished action execution."""

    action_ex_id: str


@dataclasses.dataclass(frozen=True)
class UpdateAction(Message):
    """API -> engine: pause a RUNNING asynchronous action (``state``
    PAUSED) or let a PAUSED one run again (RUNNING); the state it is in
    already changes nothing."""

    action_ex_id: str
    state: str
