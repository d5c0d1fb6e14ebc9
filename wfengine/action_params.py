"""What an action execution's ``params`` column holds, as one typed record.

The engine writes it when it plans a run, the database reads it for a
with-items task's item results, the API for a task's result and the outbox
for the message to an executor. The keys are spelled here only; every
layer goes through :class:`ActionParams`. A leaf: it imports nothing of
wfengine.
"""
import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class Adhoc:
    """An ad-hoc action called through its base action."""

    id: str
    base: str
    base_input: Any = None


@dataclasses.dataclass(frozen=True)
class ActionParams:
    """The params of one action execution.

    :ivar index: the item's index, for an item of a with-items task.
    :ivar gen: the with-items dispatch the item belongs to (a re-run of
        the task starts a new one); stored only with ``index``.
    :ivar safe_rerun: the action may run again if its executor is lost.
    :ivar target: the executor it must run on, if any.
    :ivar adhoc: the ad-hoc action it calls, if any.
    """

    index: int | None = None
    gen: int = 0
    safe_rerun: bool = False
    target: str | None = None
    adhoc: Adhoc | None = None

    @classmethod
    def from_row(cls, params):
        """The record of a stored ``params`` value (None or a dict)."""
        params = params or {}
        adhoc = params.get("adhoc")
        return cls(index=params.get("index"), gen=params.get("gen", 0),
                   safe_rerun=bool(params.get("safe_rerun")),
                   target=params.get("target"),
                   adhoc=Adhoc(adhoc["id"], adhoc["base"],
                               adhoc.get("base_input"))
                   if adhoc else None)

    def to_row(self):
        """The value to store: only the keys that say something; None if
        there is none."""
        params = {}
        if self.index is not None:
            params["index"] = self.index
            params["gen"] = self.gen
        if self.safe_rerun:
            params["safe_rerun"] = True
        if self.target:
            params["target"] = self.target
        if self.adhoc:
            params["adhoc"] = {"id": self.adhoc.id, "base": self.adhoc.base,
                               "base_input": self.adhoc.base_input}
        return params or None

    @property
    def is_item(self):
        """True for an item of a with-items task."""
        return self.index is not None

    def action_to_run(self, name):
        """The name of the action an executor runs for action ``name``."""
        return self.adhoc.base if self.adhoc else name

    def input_to_run(self, action_input):
        """The input an executor runs the action with: an ad-hoc action's
        base action takes the input its definition made of the task's."""
        return self.adhoc.base_input if self.adhoc else action_input


def is_item(params):
    """True if a stored ``params`` value is an item's."""
    return "index" in (params or {})


def latest_item_runs(runs, generation):
    """The rule for "an item's result": its latest run in the generation.

    :param runs: ``(params, state, output)`` of a with-items task's action
        executions, oldest first (``params`` as stored).
    :param generation: the dispatch whose items count.
    :returns: ``{index: (state, output)}`` of each item's latest run of
        that generation (an item run again counts with its latest run).
    """
    latest = {}
    for params, state, output in runs:
        record = ActionParams.from_row(params)
        if record.is_item and record.gen == generation:
            latest[record.index] = (state, output)
    return latest


def latest_generation(params_list):
    """The newest with-items dispatch among stored ``params`` values."""
    return max((ActionParams.from_row(p).gen for p in params_list),
               default=0)
