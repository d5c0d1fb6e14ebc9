"""The interface every action implements.

An action is a class registered under a name in the ``wfengine.actions``
entry-point group. The executor instantiates it with the task's evaluated
input as keyword arguments and calls ``run``.
"""
import dataclasses
from typing import Any


@dataclasses.dataclass
class Result:
    """What ``run`` may return to say explicitly whether it failed.

    ``error`` set means the action failed; it becomes the task's result and
    its message the action execution's ``state_info``.
    """

    data: Any = None
    error: Any = None


class ActionContext:
    """Facts about the execution an action runs for (ids and names)."""

    def __init__(self, action_ex_id=None, task_ex_id=None, task_name=None,
                 wf_ex_id=None, wf_name=None):
        self.action_ex_id = action_ex_id
        self.task_ex_id = task_ex_id
        self.task_name = task_name
        self.wf_ex_id = wf_ex_id
        self.wf_name = wf_name


class Action:
    """Base class of actions.

    Subclasses take their input as keyword arguments in ``__init__`` (so
    that a wrong input fails before anything runs) and implement ``run``.
    """

    def run(self, context):
        """Do the work.

        :param context: an ``ActionContext``.
        :returns: the result (any JSON-serializable value), or a ``Result``.
        :raises Exception: the action failed; the message becomes the
            task's error.
        """
        raise NotImplementedError

    @classmethod
    def is_sync(cls):
        """False for actions completed later through the API."""
        return True
