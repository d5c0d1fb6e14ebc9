"""Runs one action and turns whatever happens into an ``ActionResult``."""
import logging

from wfengine.actions import base
from wfengine.actions import loader
from wfengine.rpc import messages

LOG = logging.getLogger(__name__)


def is_sync(action_name):
    """False for an action whose result is pushed later through the API.

    An unknown action counts as synchronous: running it reports the error.
    """
    try:
        return loader.get_action_class(action_name).is_sync()
    except Exception:
        return True


def is_pure(action_name):
    """True for an action the executor may run without claiming it
    (``Action.is_pure``); an unknown action is not."""
    try:
        return loader.get_action_class(action_name).is_pure()
    except Exception:
        return False


def run(msg):
    """Run the action of ``messages.RunAction``; never raises.

    :returns: ``messages.ActionResult`` with SUCCESS or ERROR; for an
        asynchronous action that started fine, None (its result comes
        later through the API).
    """
    try:
        action = _instantiate(msg.action_name, msg.action_input)
        outcome = action.run(base.ActionContext(
            action_ex_id=msg.action_ex_id, task_ex_id=msg.task_ex_id,
            task_name=msg.task_name, wf_ex_id=msg.wf_ex_id,
            wf_name=msg.wf_name, callback_url=msg.callback_url))
        error = outcome.error if isinstance(outcome, base.Result) else None
        if error is not None:
            error = base.ensure_json(error, msg.action_name)
            return _result(msg, messages.ERROR, error, _error_text(error))
        if not action.is_sync():
            return None
        if isinstance(outcome, base.Result):
            outcome = outcome.data
        outcome = base.ensure_json(outcome, msg.action_name)
    except Exception as e:
        # The message, not the input: inputs may carry secrets.
        LOG.debug("Action %s (%s) failed: %s", msg.action_ex_id,
                  msg.action_name, type(e).__name__)
        text = "%s: %s" % (type(e).__name__, e) if str(e) else type(e).__name__
        return _result(msg, messages.ERROR, text, text)
    return _result(msg, messages.SUCCESS, outcome, None)


def _instantiate(name, action_input):
    cls = loader.get_action_class(name)
    try:
        return cls(**(action_input or {}))
    except TypeError as e:
        raise TypeError("Invalid input for action %s: %s" % (name, e)) from e


def _error_text(error):
    return error if isinstance(error, str) else str(error)


def _result(msg, state, result, state_info):
    return messages.ActionResult(action_ex_id=msg.action_ex_id, state=state,
                                 result=result, state_info=state_info)
