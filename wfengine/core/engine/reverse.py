"""Reverse workflows: run what a target task requires, then the target.

A reverse workflow names dependencies (``requires``) instead of
transitions; an execution names its target in ``params.task_name``. Only
the target and what it requires, transitively, run. Pure.
"""
from wfengine import exceptions


def check_target(wf_spec, params):
    """The target task of a reverse workflow execution.

    :raises InputError: no ``task_name`` in params, or an unknown one.
    """
    target = (params or {}).get("task_name")
    if not target:
        raise exceptions.MissingField(
            what="Reverse workflow '%s'" % wf_spec.name,
            fields="the target task in params.task_name (one of: %s)"
            % ", ".join(wf_spec.tasks))
    if target not in wf_spec.tasks:
        raise exceptions.NotAllowedValue(
            field="params.task_name for workflow '%s'" % wf_spec.name,
            allowed=", ".join(wf_spec.tasks))
    return target


def needed(wf_spec, target):
    """The target and every task it requires, directly or not."""
    found, todo = set(), [target]
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(wf_spec.tasks[name].requires)
    return found


def start_names(wf_spec, target):
    """Needed tasks that require nothing, in definition order."""
    wanted = needed(wf_spec, target)
    return [n for n in wf_spec.tasks
            if n in wanted and not wf_spec.tasks[n].requires]


def ready_after(wf_spec, target, finished, succeeded, started):
    """Needed tasks that ``finished`` was the last requirement of."""
    wanted = needed(wf_spec, target)
    return [n for n in wf_spec.tasks
            if n in wanted and n not in started
            and finished in wf_spec.tasks[n].requires
            and all(r in succeeded for r in wf_spec.tasks[n].requires)]
