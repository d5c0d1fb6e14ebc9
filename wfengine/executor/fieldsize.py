"""The size limit of stored fields, applied to action results.

An action's result becomes a stored field (the action execution's
``output``, then its task's ``result``); ``[engine]
execution_field_size_limit_kb`` bounds it as Mistral does. The executor
checks each result before reporting it, so a result over the limit never
travels to the engine nor reaches the database: the action fails instead,
with a message that names the limit (the task fails with it, and may be
retried like any failed action).
"""
import dataclasses

from wfengine import conf
from wfengine import jsonsafe
from wfengine.conf import limits
from wfengine.rpc import messages


def checked(result):
    """``result`` (a ``messages.ActionResult`` or None), or the failure
    that replaces it when its data is over the field size limit."""
    limit = limits.field_size_limit(conf.CONF)
    if result is None or limit is None:
        return result
    size = jsonsafe.size_over(result.result, limit)
    if size is None:
        return result
    info = ("Action result is larger than the limit of %d KiB for stored "
            "fields ([engine] execution_field_size_limit_kb): more than %d "
            "bytes as JSON; it was not stored"
            % (limit // 1024, size))
    return dataclasses.replace(result, state=messages.ERROR, result=info,
                               state_info=info)
