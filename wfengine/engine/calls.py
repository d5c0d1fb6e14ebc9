"""Action results: from an executor back to the conductor.

An ad-hoc action's ``output`` is applied to its result (the call was
turned into one of its base action when planned, with the conductor's
``ActionCatalog``); ``keep-result: false`` keeps no result (an item's,
until its task ends); a result pushed through the API must be for a
RUNNING, claimed, asynchronous action (``callbacks.check_completable``);
a with-items task's results are read when its last item ends.
"""
from wfengine import action_params
from wfengine import exceptions
from wfengine.db import api as db_api
from wfengine.db import snapshots as db_snapshots
from wfengine.engine import adhoc
from wfengine.engine import snapshot
from wfengine.core.engine import states
from wfengine.core.engine import with_items


def kept(unit, wf_ex, action_ex, result):
    """The result to store: none for a task with ``keep-result: false``
    (its publish still sees it). An item's is kept until its with-items
    task ends, for the task's publish reads the items' results then
    (``forget_items``)."""
    if wf_ex is None or action_params.is_item(action_ex.params):
        return result
    return None if _drops_results(unit, wf_ex, action_ex.task_name) \
        else result


def forget_items(unit, wf_ex, task):
    """A with-items task with ``keep-result: false`` ended: drop the
    results its items kept (``kept``)."""
    if _drops_results(unit, wf_ex, task.name):
        db_api.forget_item_results(unit.session, task.id)


def _drops_results(unit, wf_ex, task_name):
    task_spec = snapshot.workflow_spec(unit, wf_ex).tasks.get(task_name)
    return bool(task_spec and task_spec.keep_result is False)


def outcome(unit, action_ex, msg, wf_ex=None):
    """``(state, result, state_info, accepted)``, with an ad-hoc action's
    ``output`` applied to a successful result.

    ``accepted`` is False when the ``output`` can not be applied: as in
    Mistral, the action fails, its result is not the task's (which has
    none), and its task is failed at once, whatever handlers it has.

    :param wf_ex: the workflow execution the action is of, if any: its
        ``output`` is then applied with the catalog of the execution that
        the conductor decides with (read once for both).
    """
    adhoc_call = action_params.ActionParams.from_row(action_ex.params).adhoc
    if not adhoc_call or msg.state != states.SUCCESS:
        return msg.state, msg.result, msg.state_info, True
    actions = None if wf_ex is None else adhoc.for_execution(
        unit, wf_ex, snapshot.workflow_spec(unit, wf_ex))
    try:
        return (msg.state, adhoc.transform(unit.session, adhoc_call.id,
                                           msg.result, actions=actions),
                msg.state_info, True)
    except (exceptions.ExpressionError, exceptions.NotFound) as e:
        # Mistral's words.
        text = "Failed to complete action [error=%s, action=%s, task=%s]" % (
            e, action_ex.name, action_ex.task_name)
        return states.ERROR, text, text, False


def item_results(unit, task, succeeded):
    """A with-items task's results, loaded only when this result ends it."""
    progress = task and task.runtime_context.get(with_items.KEY)
    if not progress or not with_items.completes(progress, succeeded):
        return None
    return db_snapshots.get_item_results(
        unit.session, task.id,
        task.runtime_context.get(with_items.GENERATION, 0))
