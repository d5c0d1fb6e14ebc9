"""Action calls: from a plan to an executor, and from a result back.

An ad-hoc action becomes a call of its base action when planned, and its
``output`` is applied to the result; ``keep-result: false`` keeps no
result; a result pushed through the API must be for a RUNNING, claimed,
asynchronous action; a with-items task's results are read when its last
item ends.
"""
from wfengine import exceptions
from wfengine.db import api as db_api
from wfengine.db import scope as db_scope
from wfengine.engine import adhoc
from wfengine.engine import persist
from wfengine.engine import states
from wfengine.engine import with_items


def kept(session, wf_ex, action_ex, result):
    """The result to store: none for a task with ``keep-result: false``
    (its publish still sees it)."""
    if wf_ex is None:
        return result
    task_spec = persist.workflow_spec(session, wf_ex).tasks.get(
        action_ex.task_name)
    return None if task_spec and task_spec.keep_result is False else result


def outcome(session, action_ex, msg):
    """``(state, result, state_info)``, with an ad-hoc action's ``output``
    applied to a successful result."""
    adhoc_call = (action_ex.params or {}).get("adhoc")
    if not adhoc_call or msg.state != states.SUCCESS:
        return msg.state, msg.result, msg.state_info
    try:
        return (msg.state, adhoc.transform(session, adhoc_call["id"],
                                           msg.result), msg.state_info)
    except (exceptions.ExpressionError, exceptions.NotFound) as e:
        text = "Can not apply the output of action %s: %s" % (
            action_ex.name, e)
        return states.ERROR, text, text


def resolve_plan(session, wf_ex, cond, plan):
    """Turn calls of ad-hoc actions into calls of their base actions.

    A call that can not be made (no such action, input that does not fit)
    fails its run right here, which may plan further runs: those are
    resolved in turn.
    """
    done = 0
    while done < len(plan.run_actions):
        run = plan.run_actions[done]
        runtime = {"env": cond.wf.env,
                   "execution": {"id": wf_ex.id, "name": wf_ex.name}}
        try:
            # Ad-hoc actions as the execution's project sees them (its
            # own, shared ones, built-in ones).
            with db_scope.use(_project_scope(wf_ex)):
                run.base_name, run.base_input, run.adhoc_id = adhoc.resolve(
                    session, run.name, run.input, wf_ex.workflow_namespace,
                    runtime)
            done += 1
        except (exceptions.ActionError, exceptions.InputError,
                exceptions.ExpressionError) as e:
            cond.reject_action(run, str(e))


def _project_scope(wf_ex):
    project = getattr(wf_ex, "project_id", None)
    return None if project is None else db_scope.Scope(project)


def check_completable(action_ex):
    """An API completion needs a RUNNING, claimed, asynchronous action."""
    if action_ex.state != states.RUNNING:
        raise exceptions.Conflict(
            "Action execution %s is %s: only a RUNNING asynchronous action "
            "can be completed" % (action_ex.id, action_ex.state))
    if action_ex.is_sync or not action_ex.claimed_by:
        raise exceptions.Conflict(
            "Action execution %s (%s) is synchronous, or not started yet: "
            "its result comes from the executor that runs it"
            % (action_ex.id, action_ex.name))


def item_results(session, task, succeeded):
    """A with-items task's results, loaded only when this result ends it."""
    progress = task and task.runtime_context.get(with_items.KEY)
    if not progress or not with_items.completes(progress, succeeded):
        return None
    return db_api.get_item_results(
        session, task.id, task.runtime_context.get(with_items.GENERATION, 0))
