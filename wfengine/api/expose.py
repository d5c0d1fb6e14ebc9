"""Controllers exposed through WSME: ``@expose(ReturnType, ArgType...,
body=BodyType, status_code=...)``.

A thin layer on WSME's own: the types of a method are recorded with
``wsme.signature`` (its ``FunctionDefinition``), the request body is
converted and checked by WSME (``wsme.rest.json.fromjson`` on the body's
type) and the answer is rendered by WSME (``wsme.rest.json.tojson`` of the
return type). What it does not take from ``wsmeext.pecan.wsexpose`` is the
error path: an error raised by a controller, or WSME's refusal of a body,
reaches the API's error hook (``errors.ErrorHook``) like any other, so
every error keeps Mistral's shape, its status, its ``Retry-After`` and its
log level. A WSME refusal becomes an ``InputError`` (400) that names the
field and what it must be, never the value sent.

``direct=True`` declares the return type but hands back the controller's
dict as it is: the lists whose fields and field order the client chooses
(``fields=...``, ``include_output``) and that dashboards poll, and the
GET of one execution, task or action execution, which clients poll (a
test holds those answers to WSME's rendering, byte for byte); see
``doc/source/architecture.rst``.
"""
import functools
import inspect

import pecan
from pecan import util as pecan_util
import wsme
from wsme import exc as wsme_exc
from wsme.rest import json as wsme_json
from wsme import types as wtypes

from wfengine.api import resources
from wfengine import exceptions


def expose(return_type=None, *arg_types, body=None, status_code=200,
           direct=False):
    """Expose a controller method with WSME types.

    :param return_type: the WSME type of the answer; None: no body.
    :param arg_types: WSME types of the positional (path) arguments.
    :param body: the WSME type of the JSON request body, passed to the
        method as its keyword-only argument ``body``.
    :param status_code: the status of a success.
    :param direct: the answer is already the wire dict (see above).
    """
    def decorate(func):
        wsme.signature(return_type, *arg_types, body=body,
                       status_code=status_code)(func)
        definition = wsme.api.FunctionDefinition.get(func)
        definition.resolve_types(wtypes.registry)

        @functools.wraps(func)
        def call(self, *args, **kwargs):
            if definition.body_type is not None:
                kwargs["body"] = read_body(definition.body_type)
            result = func(self, *args, **kwargs)
            pecan.response.status = definition.status_code
            return _render(definition.return_type, result, direct)

        pecan.expose("json" if return_type is not None else None)(call)
        spec = inspect.getfullargspec(func)
        pecan_util._cfg(call)["argspec"] = spec._replace(
            kwonlyargs=[], kwonlydefaults=None)
        call._wsme_definition = definition
        return call
    return decorate


def _render(return_type, result, direct):
    if isinstance(result, wsme.api.Response):  # this answer's own type
        return_type, result = result.return_type, result.obj
    if return_type is None:
        return ""
    if direct:
        return result
    return wsme_json.tojson(return_type, typed(return_type, result))


def typed(datatype, value):
    """``value`` (the wire dict) as an object of WSME type ``datatype``.

    :raises wsme.exc.ClientSideError: the value does not fit the type (an
        error of the server: the API answers 500).
    """
    if isinstance(value, wtypes.Base) or value is None:
        return value
    return wsme_json.fromjson(datatype, value)


def read_body(datatype):
    """The request's JSON body as an object of WSME type ``datatype``.

    :raises InputError: not a JSON object, an unknown field, a field of
        the wrong type.
    """
    data = resources.parse_json_body(pecan.request.body)
    try:
        return wsme_json.fromjson(datatype, data)
    except wsme_exc.UnknownAttribute as e:
        allowed = getattr(datatype, "_allowed", ())
        raise exceptions.UnknownFields(
            where=getattr(datatype, "_what", "request body"),
            fields=", ".join(sorted(e.attributes)),
            allowed=", ".join(allowed)) from e
    except wsme_exc.InvalidInput as e:
        # WSME's own wording may repeat the value: ours says what the
        # field must be, WSME's is replaced by the field's type.
        told = str(e.msg or "")
        raise exceptions.InvalidField(
            field="Field '%s'" % e.fieldname, kind=type(e.value).__name__,
            expected=told[len("must be "):] if told.startswith("must be ")
            else "of the type the API declares") from e
