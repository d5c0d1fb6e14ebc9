"""``with-items``: one action execution per item, bounded concurrency. Pure.

A task's progress lives in its ``runtime_context["with_items"]``:
``count`` items, ``concurrency`` (how many may run at once), ``started``,
``succeeded`` and ``failed``. Items start in index order; a failed item
does not stop the others (as in Mistral): the task ends when every item
has, and fails if any did.

Without a ``concurrency``, at most IN_FLIGHT items run at once and they
start in batches (``batched``): more start once half of those running have
ended. So a task of 50,000 items keeps the engine's memory and each event's
work bounded, and the item list is evaluated once per batch, not per item.
"""
import json
import re

from wfengine.core import expressions
from wfengine import exceptions

KEY = "with_items"
# Incremented each time all items are dispatched afresh (a retry, a reset
# re-run); action executions carry it, so results are read per generation.
GENERATION = "items_gen"
IN_FLIGHT = 1000
_ITEM = re.compile(r"^\s*([A-Za-z_]\w*)\s+in\s+(.+?)\s*$", re.DOTALL)


def _clauses(raw):
    clauses = raw if isinstance(raw, (list, tuple)) else [raw]
    parsed = []
    for clause in clauses:
        match = _ITEM.match(clause) if isinstance(clause, str) else None
        if not match:
            raise exceptions.InvalidTaskValue(
                field="with-items", expected="written 'name in <list>'",
                kind="a %s of another form" % type(clause).__name__)
        parsed.append(match.groups())
    return parsed


def _inline_list(source):
    """``i in [1, 2, 3]``: a JSON list written in place (as Mistral reads
    it), else None."""
    if not source.startswith("["):
        return None
    try:
        return json.loads(source)
    except ValueError as e:
        raise exceptions.ExpressionError(
            "Invalid array in 'with-items' clause: %s, error: %s"
            % (source, e)) from e


def expand(raw, ctx, runtime):
    """Evaluate ``with-items`` into a list of per-item variable dicts.

    Several clauses are zipped, as Mistral does; their lists must have the
    same length.
    """
    names, lists = [], []
    for name, source in _clauses(raw):
        values = _inline_list(source)
        if values is None:
            values = expressions.evaluate(source, ctx, runtime)
        if isinstance(values, (str, dict)) or not hasattr(values, "__iter__"):
            raise exceptions.InvalidTaskValue(
                field="with-items '%s'" % name, expected="a list",
                kind=type(values).__name__)
        names.append(name)
        lists.append(list(values))
    if len({len(values) for values in lists}) > 1:
        raise exceptions.InvalidTaskValue(
            field="with-items lists", expected="of the same length",
            kind=", ".join("%s: %d" % (n, len(v))
                           for n, v in zip(names, lists)))
    return [dict(zip(names, values)) for values in zip(*lists)]


def start(count, concurrency):
    """Progress of a task about to start ``count`` items."""
    progress = {"count": count, "started": 0, "succeeded": 0, "failed": 0}
    if concurrency:
        progress["concurrency"] = min(int(concurrency), count)
    else:
        progress["concurrency"] = min(IN_FLIGHT, count)
        progress["batched"] = True
    return progress


def take_next(progress):
    """Indexes to start now; marks them started."""
    running = progress["started"] - progress["succeeded"] - progress["failed"]
    room = max(progress["concurrency"] - running, 0)
    if progress.get("batched") and running and \
            room < progress["concurrency"] // 2:
        return []
    first = progress["started"]
    last = min(first + room, progress["count"])
    progress["started"] = last
    return list(range(first, last))


def record(progress, succeeded):
    """Count one item as finished."""
    progress["succeeded" if succeeded else "failed"] += 1


def finished(progress):
    """True when no item runs and none is left to start."""
    done = progress["succeeded"] + progress["failed"]
    return done == progress["started"] == progress["count"]


def completes(progress, succeeded):
    """Would recording this result finish the task? (nothing is changed)"""
    trial = dict(progress)
    record(trial, succeeded)
    return finished(trial)


def reopen(progress, failed_indexes):
    """Re-run only the failed items: returns the indexes to start now."""
    progress["failed"] = 0
    return sorted(set(failed_indexes))
