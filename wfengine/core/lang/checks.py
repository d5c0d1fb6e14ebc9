"""Semantic checks of a built workflow, beyond its JSON shape.

Each check appends ``"<path>: <problem>"`` lines to a
:class:`report.Problems`; none raises.
"""

import json
import re

from wfengine.core import expressions
from wfengine.core.lang import report
from wfengine.core.lang import spec

_WITH_ITEMS_RE = re.compile(r"^\s*[A-Za-z_]\w*\s+in\s+(\S.*)$", re.DOTALL)
_DIRECT_ONLY = ("join", "on-success", "on-error", "on-complete", "on-skip")


def check_workflow(body, wf, problems):
    """Run every semantic check on ``wf`` built from the raw ``body``."""
    _check_task_names(wf, problems)
    for name, task_body in _task_bodies(body):
        path = report.join_path("tasks", name)
        _check_exclusive(task_body, path, problems)
        _check_type_specific(wf.type, task_body, path, problems)
        _check_with_items(task_body.get("with-items"), path, problems)
    _check_type_specific(wf.type, _mapping(body.get("task-defaults")),
                         "task-defaults", problems)
    if wf.type == spec.REVERSE:
        _check_requires(wf, problems)
    else:
        _check_has_start(wf, problems)
    check_expressions(body, "", problems)


def check_expressions(value, path, problems):
    """Report every expression in ``value`` that does not compile."""
    if isinstance(value, str):
        for message in expressions.validate(value):
            problems.add(path, message)
    elif isinstance(value, dict):
        for key, item in value.items():
            child = report.join_path(path, str(key))
            check_expressions(key, child, problems)
            check_expressions(item, child, problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_expressions(item, report.join_path(path, index), problems)


def _task_bodies(body):
    tasks = _mapping(body.get("tasks"))
    return [(n, b) for n, b in tasks.items()
            if isinstance(n, str) and isinstance(b, dict)]


def _check_task_names(wf, problems):
    for name in wf.tasks:
        path = report.join_path("tasks", name)
        # A task may be named like an engine command (Mistral takes it);
        # a transition to that name is the command, as in Mistral.
        if not report.NAME_RE.match(name):
            problems.add(path, "invalid task name '%s': use letters, digits,"
                               " '_', '.' or '-'" % name)


def _check_exclusive(task_body, path, problems):
    if "action" in task_body and "workflow" in task_body:
        problems.add(path, "'action' and 'workflow' are mutually exclusive")


def _check_type_specific(wf_type, task_body, path, problems):
    if wf_type == spec.REVERSE:
        for key in _DIRECT_ONLY:
            if key in task_body:
                problems.add(report.join_path(path, key),
                             "only allowed in direct workflows")
    elif "requires" in task_body:
        problems.add(report.join_path(path, "requires"),
                     "only allowed in reverse workflows")


def _check_with_items(value, path, problems):
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        return
    for index, item in enumerate(items):
        if not isinstance(item, str):
            continue
        item_path = report.join_path(path, "with-items")
        if isinstance(value, list):
            item_path = report.join_path(item_path, index)
        match = _WITH_ITEMS_RE.match(item)
        if not match:
            problems.add(item_path, "expected '<var> in <collection>', got"
                                    " '%s'" % item)
        elif match.group(1).startswith("["):
            # An inline list: JSON, as Mistral reads it.
            try:
                json.loads(match.group(1))
            except ValueError as e:
                problems.add(item_path, "Invalid array in 'with-items' "
                             "clause: %s, error: %s" % (match.group(1), e))


def _check_requires(wf, problems):
    for name, task in wf.tasks.items():
        for required in task.requires:
            if required not in wf.tasks:
                problems.add("tasks.%s.requires" % name,
                             "unknown task '%s'" % required)
    cycle = _find_cycle({n: t.requires for n, t in wf.tasks.items()})
    if cycle:
        problems.add("tasks", "'requires' forms a cycle: %s"
                     % " -> ".join(cycle))


def _check_has_start(wf, problems):
    if wf.tasks and not wf.get_start_task_names():
        problems.add("tasks", "no task to start with: every task is the"
                              " target of a transition")


def _find_cycle(graph):
    """One cycle of ``graph`` (name -> names) as a list, or None.

    Iterative depth-first search, so long chains cannot hit the Python
    recursion limit.
    """
    done = set()
    for start in graph:
        if start not in done:
            cycle = _cycle_from(start, graph, done)
            if cycle:
                return cycle
    return None


def _cycle_from(start, graph, done):
    path = [start]
    on_path = {start}
    iterators = [iter(graph[start])]
    while iterators:
        nxt = next(iterators[-1], None)
        if nxt is None:
            node = path.pop()
            on_path.discard(node)
            done.add(node)
            iterators.pop()
            continue
        if nxt in on_path:
            return path[path.index(nxt):] + [nxt]
        if nxt in graph and nxt not in done:
            path.append(nxt)
            on_path.add(nxt)
            iterators.append(iter(graph[nxt]))
    return None


def _mapping(value):
    return value if isinstance(value, dict) else {}
