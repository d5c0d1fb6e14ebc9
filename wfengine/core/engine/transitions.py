"""Which transitions a finished task follows, and what it publishes. Pure."""
from wfengine.core import expressions
from wfengine.core.engine import states


def clauses(task_spec, state):
    """The transitions to consider after a task ended in ``state``."""
    if state == states.SKIPPED:
        return list(task_spec.on_skip or task_spec.on_success or ())
    own = task_spec.on_success if state == states.SUCCESS \
        else task_spec.on_error
    return list(own or ()) + list(task_spec.on_complete or ())


def clause_name(task_spec, state, target):
    """The clause (``on-success``...) a transition taken after ``state``
    comes from."""
    if any(t is target for t in task_spec.on_complete or ()):
        return "on-complete"
    return {states.SUCCESS: "on-success", states.ERROR: "on-error",
            states.SKIPPED: "on-skip"}.get(state, "on-complete")


def handles_error(task_spec, chosen):
    """Whether the transitions taken after a failure handle it: only an
    ``on-error`` transition does; ``on-complete`` ones run but the
    workflow still fails (as in Mistral)."""
    on_error = {id(t) for t in task_spec.on_error or ()}
    return any(id(t) in on_error for t in chosen)


SCOPES = ("branch", "global", "atomic")


def publish_spec(task_spec, state):
    """What a task publishes when it ends in ``state``, as
    ``(branch, global)``.

    The task-level ``publish`` (``publish-on-error``, ``publish-on-skip``)
    and the ``publish`` of the matching on-clause (and of ``on-complete``
    for success and error) go to the task's branch; an on-clause's publish
    written with scopes (``branch``, ``global``, ``atomic``) sends its
    ``global`` part to the whole execution (read with ``global()``).
    """
    if state == states.SUCCESS:
        own, clauses = task_spec.publish, (task_spec.on_success_publish,
                                           task_spec.on_complete_publish)
    elif state == states.SKIPPED:
        own, clauses = task_spec.publish_on_skip, (
            task_spec.on_skip_publish,)
    else:
        own, clauses = task_spec.publish_on_error, (
            task_spec.on_error_publish, task_spec.on_complete_publish)
    branch, shared = dict(own or {}), {}
    for part in clauses:
        part = part or {}
        if part and set(part) <= set(SCOPES):
            branch.update(part.get("branch") or {})
            branch.update(part.get("atomic") or {})
            shared.update(part.get("global") or {})
        else:
            branch.update(part)
    return branch, shared


def chosen(candidates, ctx, runtime):
    """The transitions whose condition holds (no condition: always)."""
    return [t for t in candidates if t.condition is None
            or bool(expressions.evaluate(t.condition, ctx, runtime))]


def run_failure(error, wf_name, task_name):
    """state_info of a task the engine could not run, in Mistral's words."""
    return "Failed to run task [error=%s, wf=%s, task=%s]" % (
        error, wf_name, task_name)


def completion_failure(error, wf_name, task_name):
    """state_info of a task whose completion failed (its publish)."""
    return "Failed to handle action completion [error=%s, wf=%s, task=%s]" \
        % (error, wf_name, task_name)


def failure_info(failed):
    lines = ["Failure caused by error in tasks: %s"
             % ", ".join(t.name for t in failed), ""]
    for task in failed:
        lines.append("  %s [task_ex_id=%s] -> %s"
                     % (task.name, task.id, task.state_info))
    return "\n".join(lines)
