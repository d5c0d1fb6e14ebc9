"""The size limit of stored fields (``[engine]
execution_field_size_limit_kb``, Mistral's option).

Every large field of an execution (an action's input and result, a
task's published variables, an execution's input, params and output) is
stored as JSON text; the limit bounds that text, byte for byte, as the
column stores it. Each place that makes such a value asks :func:`check`
before the value is written anywhere: the executor for action results,
the API for what clients send, the engine's conductor for what
expressions make. Over the limit, the value is never stored: the task
fails (or the request is refused with a 400) with a message that starts
with Mistral's words and names the limit.

A leaf, like :mod:`wfengine.core.jsonsafe`: the limit is handed over with
:func:`configure` (the services do it at start-up from the option).
"""
import itertools
import json

from wfengine import exceptions

OPTION = "[engine] execution_field_size_limit_kb"
_KIB = 1024

# How messages name the stored fields.
ACTION_OUTPUT = "the result of the action execution (field 'output')"
ACTION_INPUT = "the input of the action execution (field 'input')"
TASK_PUBLISHED = "the published variables of the task (field 'published')"
GLOBAL_PUBLISHED = ("the variables published globally (field 'context' of "
                    "the workflow execution)")
WF_OUTPUT = "the output of the workflow execution (field 'output')"
SUBWORKFLOW_INPUT = ("the input of the sub-workflow execution (field "
                     "'input')")

_limit = 1024 * _KIB
_END = object()


def configure(limit_bytes):
    """Set the limit in bytes (None: no limit, Mistral's -1)."""
    global _limit
    _limit = limit_bytes


def stored_size(value):
    """Bytes of ``value`` as JSON text, as a JSON column stores it
    (``json.dumps`` with its defaults: ASCII only)."""
    return len(json.dumps(value, default=str).encode("utf-8"))


def _at_least(value, limit):
    """A count that never exceeds the JSON text's size of ``value``:
    one byte per character of a string plus its quotes, two per
    container, one per other scalar (a digit per 3.33 bits of an int);
    stops as soon as it passes ``limit``."""
    size = 0
    stack = [iter((value,))]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
            continue
        if isinstance(item, str):
            size += len(item) + 2
        elif isinstance(item, dict):
            size += 2
            stack.append(itertools.chain.from_iterable(item.items()))
        elif isinstance(item, (list, tuple)):
            size += 2
            stack.append(iter(item))
        elif isinstance(item, int) and not isinstance(item, bool):
            size += max(1, item.bit_length() * 3 // 10)
        else:
            size += 1
        if size > limit:
            return size
    return size


def size_over(value):
    """None when ``value`` as stored JSON fits the limit, else a size in
    bytes, over the limit, that its JSON text is known to reach. Exact,
    and bounded in cost by the limit rather than by the value: a walk
    that stops at the limit first (it counts a lower bound of the JSON
    text), then, for what is left, the JSON text itself."""
    if _limit is None:
        return None
    bound = _at_least(value, _limit)
    if bound > _limit:
        return bound
    # The text is at most a few times the count (escapes of non-ASCII
    # characters, digits of floats): measured exactly.
    try:
        size = stored_size(value)
    except ValueError:
        # Not JSON at all (an integer too long to print): left to the
        # checks of what makes it, as before.
        return None
    return size if size > _limit else None


def message(what, size, outcome="it was not stored"):
    """The failure text for ``what`` (e.g. "field 'output' of the action
    execution"), Mistral's words first."""
    return exceptions.FieldSizeLimitExceeded.template.format(
        **_fields(what, size, outcome))


def _fields(what, size, outcome):
    return {"what": what, "size": size, "limit": _limit // _KIB,
            "option": OPTION, "outcome": outcome}


def check(what, value, outcome="it was not stored"):
    """Raise :class:`exceptions.FieldSizeLimitExceeded` if ``value`` is
    over the limit.

    :param what: names the field and its owner, for the message.
    """
    size = size_over(value)
    if size is not None:
        raise exceptions.FieldSizeLimitExceeded(
            **_fields(what, size, outcome))
