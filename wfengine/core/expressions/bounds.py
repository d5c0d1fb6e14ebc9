"""The bounds every expression runs within, in both syntaxes.

An expression is untrusted code. A deadline checked between Python steps
does not stop work done inside one C call (a regular expression that
backtracks, ``10 ** 4000000``, a join with a huge separator): such a call
holds the interpreter lock, so nothing else in the process runs until it
returns. The bounds therefore come in two kinds:

* before each operation whose cost is decided by its operands, a check of
  the size of what it would build (:func:`check_size`, :func:`check_product`,
  :func:`check_power`, :func:`check_shift`, :func:`check_join`,
  :func:`check_format`, :func:`check_replace`), and regular expressions run
  by the ``regex`` package without the interpreter lock and with a
  timeout, ended by the deadline (:func:`run_timed`); every C call then
  has bounded operands and ends soon;
* between steps, the wall-clock deadline of the evaluation (:func:`check`),
  and a cap on the size of every value an expression returns
  (:func:`check_value`).

The limits are process-wide and set once at start-up by
:func:`configure` (the service maps its options onto them); nothing here
reads configuration or a database.
"""

import concurrent.futures
import contextvars
import dataclasses
import itertools
import math
import re
import time

from wfengine import metrics


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one evaluation may spend.

    :param time_limit: seconds of wall-clock time per evaluation.
    :param value_size: size of any value an expression builds or returns,
        counted as characters of text (numbers, ``null`` and each
        container count a few).
    :param iterators: elements of one collection YAQL may walk.
    :param int_bits: bits of an integer an operator may build.
    """

    time_limit: float = 5.0
    value_size: int = 1024 * 1024
    iterators: int = 1000000
    int_bits: int = 100000


# The options these fields come from, for messages that say what to raise.
OPTION_NAMES = {
    "time_limit": "[expressions] time_limit",
    "value_size": "[expressions] value_size_limit",
    "iterators": "[expressions] limit_iterators",
    "int_bits": "[expressions] int_bits_limit",
}

_limits = Limits()
_deadline = contextvars.ContextVar("wfengine_expression_deadline",
                                   default=None)
# Scalars and containers cost at least this much in :func:`check_value`.
_ITEM_COST = 4
# CPU seconds a timed call gets inline before it moves to a helper.
_INLINE_SLICE = 0.05
_helpers = concurrent.futures.ThreadPoolExecutor(
    max_workers=8, thread_name_prefix="wfengine-expression")
_END = object()


class LimitExceeded(Exception):
    """An expression went past one of the bounds of :class:`Limits`."""

    def __init__(self, field, what):
        self.field = field
        metrics.expression_limit_hit(field)
        value = getattr(_limits, field)
        super().__init__("%s exceeds the limit of %s (%s)"
                         % (what, _format_limit(field, value),
                            OPTION_NAMES[field]))


def _format_limit(field, value):
    units = {"time_limit": " seconds", "value_size": " characters",
             "iterators": " elements", "int_bits": " bits"}
    shown = "%d" % value if float(value).is_integer() else "%g" % value
    return shown + units[field]


def configure(limits):
    """Set the limits of every later evaluation in this process."""
    global _limits
    _limits = limits


def current():
    """The :class:`Limits` in force."""
    return _limits


class _Deadline:
    """``with deadline():`` (a class: cheaper than a generator-based
    context manager on a path every evaluation takes)."""

    __slots__ = ("token",)

    def __enter__(self):
        self.token = None
        if _deadline.get() is None:
            self.token = _deadline.set(time.monotonic() + _limits.time_limit)

    def __exit__(self, *exc):
        if self.token is not None:
            _deadline.reset(self.token)


def deadline():
    """Run the block within the time limit of one evaluation.

    Nested evaluations (an expression inside a function of another) share
    the outermost deadline.
    """
    return _Deadline()


def check():
    """Raise LimitExceeded when the running evaluation is past its time."""
    due = _deadline.get()
    if due is not None and time.monotonic() > due:
        raise LimitExceeded("time_limit", "the evaluation time")


def remaining():
    """Seconds the running evaluation may still take (at least a little,
    so that a timeout, not a zero, ends what is given it)."""
    due = _deadline.get()
    if due is None:
        return _limits.time_limit
    return max(due - time.monotonic(), 0.001)


def run_timed(call):
    """``call(timeout)``, ended by the deadline of the evaluation.

    ``call`` must stop by itself after ``timeout`` seconds of CPU time and
    run without the interpreter lock (the ``regex`` package's
    ``timeout=`` and ``concurrent=True``). CPU time is not wall-clock
    time on a busy machine, so ``call`` first gets a short slice inline
    (almost every regular expression ends within it); one that needs
    more runs on a helper thread while this one waits at most until the
    deadline. If the deadline passes first, the evaluation fails at once
    and the helper ends on its own timeout, shortly after.
    """
    try:
        return call(min(remaining(), _INLINE_SLICE))
    except TimeoutError:
        pass
    budget = remaining()
    future = _helpers.submit(call, budget)
    try:
        return future.result(timeout=budget)
    except (TimeoutError, concurrent.futures.TimeoutError):
        raise LimitExceeded("time_limit", "the evaluation time") from None


def check_size(size, what):
    """Refuse to build a value of ``size`` characters or items."""
    if size > _limits.value_size:
        raise LimitExceeded("value_size", "%s would build %d, which"
                            % (what, size))


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_sequence(value):
    return isinstance(value, (str, bytes, list, tuple))


def check_product(left, right):
    """Before ``left * right``: integers, or a sequence repeated."""
    if _is_int(left) and _is_int(right):
        bits = left.bit_length() + right.bit_length()
        if bits > _limits.int_bits:
            raise LimitExceeded("int_bits", "'*' of integers of %d bits"
                                % bits)
        return
    for seq, count in ((left, right), (right, left)):
        if _is_sequence(seq) and _is_int(count):
            check_size(len(seq) * max(count, 0), "repeating a sequence")


def check_power(base, exponent, modulo=None):
    """Before ``base ** exponent`` (or ``pow``): the bits of the result.

    Floats overflow at once and a modulus keeps the result small: only
    integer powers can grow without end.
    """
    if modulo is not None or not (_is_int(base) and _is_int(exponent)):
        return
    if exponent <= 0 or abs(base) <= 1:
        return
    bits = exponent * max(abs(base).bit_length() - 1, 1)
    if bits > _limits.int_bits:
        raise LimitExceeded("int_bits", "a power of about %d bits" % bits)


def check_shift(value, count):
    """Before ``value << count``."""
    if _is_int(value) and _is_int(count) and value and \
            value.bit_length() + count > _limits.int_bits:
        raise LimitExceeded("int_bits", "a shift to %d bits"
                            % (value.bit_length() + count))


def check_join(separator, items):
    """Before ``separator.join(items)`` (``items`` already a list)."""
    if not isinstance(separator, str):
        return
    total = len(separator) * max(len(items) - 1, 0)
    check_size(total, "the separators of a join")
    try:
        total += sum(map(len, items))  # texts: counted in C
    except TypeError:
        total += sum(len(item) if isinstance(item, str) else _ITEM_COST
                     for item in items)
    check_size(total, "a join")


def check_concat(parts):
    """Before joining ``parts`` (strings) end to end."""
    check_size(sum(len(p) if isinstance(p, str) else _ITEM_COST
                   for p in parts), "a concatenation")


# A %-style or {}-style conversion with a huge width or precision, or a
# '*' width taken from the arguments.
_HUGE_FORMAT_RE = re.compile(
    r"%(?:\([^)]*\))?[#0\- +]*(\*|\d*\.?\*|\d{7,}|\d*\.\d{7,})"
    r"|{[^{}]*:[^{}]*(\d{7,}|{)")


def check_format(template):
    """Before ``template % args`` or ``template.format(...)``: no huge or
    computed widths and no nested width fields."""
    if isinstance(template, str) and _HUGE_FORMAT_RE.search(template):
        raise LimitExceeded("value_size", "format string '%s' asks for a "
                            "width or precision that" % template[:60])


def check_replace(text, old, new, count=-1):
    """Before ``text.replace(old, new)``."""
    if isinstance(text, str) and isinstance(new, str) and \
            isinstance(old, str):
        found = text.count(old) if old else len(text) + 1
        if _is_int(count) and count >= 0:
            found = min(found, count)
        check_size(len(text) + found * max(len(new) - len(old), 0),
                   "a replace")


def check_value(value):
    """Raise LimitExceeded if ``value`` is larger than the value cap, and
    ValueError if it holds NaN or an infinity (not JSON: stored, it would
    make the field unreadable).

    Walks the value without recursion and stops as soon as it is over, so
    the cost is bounded by the cap, not by the value (each item costs at
    least a little, wide containers included). Written for speed: every
    evaluation's result goes through here.
    """
    budget = _limits.value_size
    stack = [(value,)]
    while stack and budget >= 0:
        item = stack.pop()
        children = itertools.chain.from_iterable(item.items()) \
            if isinstance(item, dict) else item
        for child in children:
            kind = type(child)
            if kind is str:
                budget -= len(child) + 2
            elif kind in _CONTAINERS or isinstance(child, _CONTAINER_BASES):
                budget -= _ITEM_COST
                stack.append(child)
            elif isinstance(child, int) and child.bit_length() > 64:
                budget -= _big_int_cost(child)
            elif isinstance(child, str):
                budget -= len(child) + 2
            else:
                if kind is float and not math.isfinite(child):
                    raise ValueError("%r is not a JSON number: values must "
                                     "be JSON (no NaN or Infinity)" % child)
                budget -= _ITEM_COST
            if budget < 0:
                break
    if budget < 0:
        raise LimitExceeded("value_size", "a value")
    return value


_CONTAINER_BASES = (dict, list, tuple, set, frozenset)
_CONTAINERS = frozenset(_CONTAINER_BASES)


def _big_int_cost(number):
    if number.bit_length() > _limits.int_bits:
        raise LimitExceeded("int_bits", "an integer of %d bits"
                            % number.bit_length())
    return _ITEM_COST + number.bit_length() // 3
