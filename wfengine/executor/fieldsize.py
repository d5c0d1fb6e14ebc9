"""The size limit of stored fields, applied to action results.

An action's result becomes a stored field (the action execution's
``output``, then its task's ``result``); :mod:`wfengine.core.fieldsize` bounds
it. The executor checks each result before reporting it, so a result over
the limit never travels to the engine nor reaches the database: the action
fails instead, with a message that names the limit (the task fails with
it, and may be retried like any failed action). The API does the same for
an asynchronous action's output (``wfengine.api.fieldsize``).
"""
import dataclasses

from wfengine.core import fieldsize
from wfengine.rpc import messages


def checked(result):
    """``result`` (a ``messages.ActionResult`` or None), or the failure
    that replaces it when its data is over the field size limit."""
    if result is None:
        return result
    size = fieldsize.size_over(result.result)
    if size is None:
        return result
    info = fieldsize.message(fieldsize.ACTION_OUTPUT, size)
    return dataclasses.replace(result, state=messages.ERROR, result=info,
                               state_info=info)
