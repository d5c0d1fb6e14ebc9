"""The size limit of stored fields, for what clients send.

:mod:`wfengine.core.fieldsize` bounds every field stored for an execution; the
API applies it to what clients send. Input, params and variables over it
are refused with 400 (nothing has started yet). An asynchronous action's
output over it fails the action, as the executor fails a result over it
and as Mistral does: the completion is turned into a failure that names
the limit, and the action, its task and (as any failed task without a
handler) the execution end in ERROR.

A completion whose body is larger than ``[api] max_request_body_size`` is
not read (it is never held in memory): the action fails the same way, its
message naming the body limit, since a client that sends more than that
can not complete the action with it anyway. With the defaults (both
1 MiB) such an output is over the field limit too.
"""
import io
import json
import re

from wfengine.core import fieldsize
from wfengine import state_names as states

# PUT /v2/action_executions/<id>: the completion of an asynchronous action.
_COMPLETION = re.compile(r"^/v2/action_executions/[^/]+/?$")


def check(name, value):
    """Refuse a field stored as is (input, params, variables) over
    the limit.

    :raises FieldSizeLimitExceeded: (a 400) naming the field and the limit.
    """
    fieldsize.check("field %r" % name, value, "the request is refused")


def completion(values):
    """The keyword arguments of an action's completion (``state``,
    ``output``, ``state_info``), or those of the failure that replaces it
    when its output is over the limit."""
    size = fieldsize.size_over(values["output"])
    if size is None:
        return values
    info = fieldsize.message(fieldsize.ACTION_OUTPUT, size)
    return {"state": states.ERROR, "output": info, "state_info": info}


def is_completion(environ):
    """Whether the WSGI request completes an action execution."""
    return environ.get("REQUEST_METHOD") == "PUT" and bool(
        _COMPLETION.match(environ.get("PATH_INFO", "")))


def mark_oversized(environ, size, limit):
    """Hand a completion on without its body of ``size`` bytes (or
    more, over ``limit``): the body is replaced by the failure that
    completes the action instead, naming the body limit, and takes the
    completion's usual path (its token, its project, the engine)."""
    info = ("Field size limit exceeded: the request body completing the "
            "action execution is at least %d bytes, over the limit of %d "
            "bytes ([api] max_request_body_size); it was not read nor "
            "stored" % (size, limit))
    body = json.dumps({"state": states.ERROR, "output": info,
                       "state_info": info}).encode()
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
