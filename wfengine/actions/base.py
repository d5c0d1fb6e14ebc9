"""The interface every action implements.

An action is a class registered under a name in the ``wfengine.actions``
entry-point group. The executor instantiates it with the task's evaluated
input as keyword arguments and calls ``run``.
"""
import dataclasses
import json
import math
from typing import Any

from wfengine import exceptions


@dataclasses.dataclass
class Result:
    """What ``run`` may return to say explicitly whether it failed.

    ``error`` set means the action failed; it becomes the task's result and
    its message the action execution's ``state_info``.
    """

    data: Any = None
    error: Any = None


class ActionContext:
    """Facts about the execution an action runs for (ids and names).

    ``callback_url`` is where an asynchronous action's result is to be
    sent (``PUT`` on the action execution); None when unknown.
    """

    def __init__(self, action_ex_id=None, task_ex_id=None, task_name=None,
                 wf_ex_id=None, wf_name=None, callback_url=None):
        self.action_ex_id = action_ex_id
        self.task_ex_id = task_ex_id
        self.task_name = task_name
        self.wf_ex_id = wf_ex_id
        self.wf_name = wf_name
        self.callback_url = callback_url


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

    @classmethod
    def is_pure(cls):
        """True for an action whose run only computes its result from its
        input (no effect outside the process, no result pushed later):
        running it twice gives the same result and does nothing else, so
        an executor may run it without claiming it first. The engine still
        takes one result per action execution (its compare-and-set), and
        a lost one is sent again by the outbox sweeper."""
        return False


def ensure_json(value, action_name=None):
    """Check that ``value`` can be stored as an action result (JSON).

    Allowed are None, bool, int, finite float, str, lists and tuples of
    allowed values, and dicts whose keys are str, int, float, bool or None
    (JSON turns them into strings) and whose values are allowed, nested at
    most ``MAX_JSON_DEPTH`` levels deep.

    :param value: an action's result, or a ``Result``'s data or error.
    :param action_name: the action's name, for the message.
    :returns: ``value`` unchanged.
    :raises ActionError: something in it is not JSON; the message names
        the action, the path inside the value and the type found.
    """
    problem = _json_problem(value, "$")
    if problem is not None:
        path, found = problem
        raise exceptions.ResultNotJSON(action=action_name or "(unnamed)",
                                       path=path, found=found)
    return value


_KEYS = (str, int, float, bool, type(None))
# Lists and dicts inside each other; deeper results are refused because
# the JSON encoder and decoders recurse and would fail later, elsewhere.
MAX_JSON_DEPTH = 200


def _json_problem(value, path):
    # Iterative, so that a deeply nested value cannot exhaust the stack.
    # A trail is (parent trail, step): linked, so a deep value does not
    # cost a path string per level. ``open_ids`` are the containers on the
    # current path (a cycle comes back to one of them).
    stack, open_ids = [(value, (None, path), 0)], set()
    while stack:
        item, trail, depth = stack.pop()
        if depth is None:
            open_ids.discard(id(item))
            continue
        problem = _scalar_problem(item)
        if problem is None and isinstance(item, (list, tuple, dict)):
            problem = _open(item, trail, depth, stack, open_ids)
        if problem is not None:
            return _render(trail), problem
    return None


def _open(item, trail, depth, stack, open_ids):
    if id(item) in open_ids:
        return "a reference to itself (a cycle)"
    if depth >= MAX_JSON_DEPTH:
        return "nested deeper than %d levels" % MAX_JSON_DEPTH
    open_ids.add(id(item))
    # A None depth marks the moment the container is left again.
    stack.append((item, trail, None))
    pairs = item.items() if isinstance(item, dict) else enumerate(item)
    for key, child in pairs:
        if isinstance(item, dict):
            if not isinstance(key, _KEYS):
                return "a dict with a key of type %s" % type(key).__name__
            step = "[%s]" % json.dumps(str(key))
        else:
            step = "[%d]" % key
        stack.append((child, (trail, step), depth + 1))
    return None


def _render(trail):
    steps = []
    while trail is not None:
        trail, step = trail
        steps.append(step)
    return "".join(reversed(steps))


def _scalar_problem(item):
    if isinstance(item, float) and not math.isfinite(item):
        return "the float %r (NaN and infinity are not JSON)" % item
    if isinstance(item, (str, int, float, bool, type(None), list, tuple,
                         dict)):
        return None
    return "of type %s" % type(item).__name__
