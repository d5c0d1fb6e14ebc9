"""The OpenAPI 3 document of the v2 API, served at ``/v2/openapi.json``.

Schemas are generated from the WSME types the controllers are exposed
with (:mod:`wfengine.api.wstypes`): resources, lists, request bodies and
answers, so they cannot drift from what the API reads and answers. The
routes are declared here, once.
"""
from wsme import types as wtypes

from wfengine.api.controllers.v2 import action_executions
from wfengine.api.controllers.v2 import actions
from wfengine.api.controllers.v2 import cron_triggers
from wfengine.api.controllers.v2 import environments
from wfengine.api.controllers.v2 import event_triggers
from wfengine.api.controllers.v2 import execution_report
from wfengine.api.controllers.v2 import executions
from wfengine.api.controllers.v2 import sub_executions
from wfengine.api.controllers.v2 import tasks
from wfengine.api.controllers.v2 import workbooks
from wfengine.api.controllers.v2 import workflows
from wfengine.api import resources
from wfengine.api import wstypes

VERSION = "2.0"

_ERROR = {"$ref": "#/components/schemas/Error"}
_TEXT_BODY = {"required": True,
              "content": {"text/plain": {"schema": {"type": "string"}}}}
_SCOPE = {"name": "scope", "in": "query",
          "schema": {"type": "string", "enum": list(resources.SCOPES)}}
_NAMESPACE = {"name": "namespace", "in": "query", "schema": {"type": "string"}}
_FORCE = {"name": "force", "in": "query", "schema": {"type": "boolean"}}

# (collection, spec, controller, path parameter, methods on the
# collection, methods on one item, kind of write body).
_RESOURCES = (
    ("workflows", resources.WORKFLOW, workflows.WorkflowsController,
     "identifier", ("get", "post", "put"), ("get", "put", "delete"), "text"),
    ("executions", resources.EXECUTION, executions.ExecutionsController,
     "id", ("get", "post"), ("get", "delete"), "json"),
    ("tasks", resources.TASK, tasks.TasksController, "id", ("get",),
     ("get",), None),
    ("action_executions", resources.ACTION_EXECUTION,
     action_executions.ActionExecutionsController, "id", ("get",),
     ("get",), None),
    ("environments", resources.ENVIRONMENT,
     environments.EnvironmentsController, "name", ("get", "post", "put"),
     ("get", "delete"), "json"),
    ("actions", resources.ACTION, actions.ActionsController, "identifier",
     ("get", "post", "put"), ("get", "delete"), "text"),
    ("workbooks", resources.WORKBOOK, workbooks.WorkbooksController, "name",
     ("get", "post", "put"), ("get", "delete"), "text"),
    ("cron_triggers", resources.CRON_TRIGGER,
     cron_triggers.CronTriggersController, "identifier", ("get", "post"),
     ("get", "delete"), "json"),
    ("event_triggers", resources.EVENT_TRIGGER,
     event_triggers.EventTriggersController, "id", ("get", "post"),
     ("get", "put", "delete"), "json"),
)
# Lists of one parent's children: (parent, child, spec, controller).
_CHILD_LISTS = (
    ("executions", "tasks", resources.TASK, tasks.ExecutionTasksController),
    ("tasks", "action_executions", resources.ACTION_EXECUTION,
     action_executions.TaskActionExecutionsController),
    ("tasks", "workflow_executions", resources.EXECUTION,
     executions.TaskExecutionsController),
)
# Types named in answers that are not a resource's or a list's.
_OTHER_TYPES = (wstypes.Validation, wstypes.ExecutionReport)

_SCALARS = {wtypes.text: "string", bool: "boolean", int: "integer",
            float: "number"}


def schema_of(datatype, nullable=True):
    """The JSON schema of a value of WSME type ``datatype`` (a complex
    type: a reference to its component)."""
    if isinstance(datatype, wstypes.Strict):
        return dict(datatype.schema)
    if wtypes.iscomplex(datatype):
        return _ref(datatype)
    if isinstance(datatype, wtypes.ArrayType):
        schema = {"type": "array",
                  "items": schema_of(datatype.item_type, False)}
    elif isinstance(datatype, wtypes.DictType):
        schema = {"type": "object"}
    else:
        schema = {"type": _SCALARS[datatype]}
    if nullable:
        schema["nullable"] = True
    return schema


def type_schema(datatype, names=None):
    """The JSON schema of WSME complex type ``datatype`` (only the
    attributes ``names``, if given)."""
    attrs = [a for a in wtypes.list_attributes(datatype)
             if names is None or a.name in names]
    schema = {"type": "object",
              "properties": {a.name: schema_of(a.datatype, not a.mandatory)
                             for a in attrs}}
    required = [a.name for a in attrs if a.mandatory]
    if required:
        schema["required"] = required
    return schema


def _ref(datatype):
    return {"$ref": "#/components/schemas/%s" % datatype.__name__}


def _json(schema, description="OK"):
    return {"description": description,
            "content": {"application/json": {"schema": schema}}}


def _errors(*codes):
    names = {400: "Invalid request", 404: "Not found", 405: "Not allowed",
             409: "Conflict", 413: "Body too large"}
    return {str(c): _json(_ERROR, names[c]) for c in codes}


def _list_parameters(spec):
    params = [{"name": name, "in": "query", "schema": {"type": "string"}}
              for name in ("marker", "sort_keys", "sort_dirs", "fields",
                           "nulls")]
    params.append({"name": "limit", "in": "query",
                   "schema": {"type": "integer", "minimum": 1,
                              "maximum": 1000}})
    params += [{"name": name, "in": "query", "schema": {"type": "string"}}
               for name in sorted(spec.filters)]
    return params


def _definition(method):
    """The WSME function definition a controller method is exposed with."""
    return method._wsme_definition


def _answer(method, code=None):
    """``{status: response}`` of a controller method's success."""
    definition = _definition(method)
    status = str(code or definition.status_code)
    if definition.return_type is None:
        return {status: {"description": "Deleted"}}
    return {status: _json(schema_of(definition.return_type))}


def _write_body(method, kind):
    body = _definition(method).body_type
    if body is None:
        return _TEXT_BODY if kind == "text" else None
    schema = type_schema(body, body._allowed)
    if body._required:
        schema["required"] = list(body._required)
    return {"required": True,
            "content": {"application/json": {"schema": schema}}}


def _write_parameters(kind):
    return [_SCOPE, _NAMESPACE] if kind == "text" else []


def _collection_ops(collection, spec, controller, methods, kind):
    ops = {}
    if "get" in methods:
        ops["get"] = {"operationId": "list_%s" % collection,
                      "parameters": _list_parameters(spec),
                      "responses": dict(_answer(controller.get_all),
                                        **_errors(400))}
    for method in ("post", "put"):
        if method not in methods:
            continue
        handler = getattr(controller, method)
        ops[method] = {
            "operationId": "%s_%s" % ("create" if method == "post"
                                      else "update", collection),
            "parameters": _write_parameters(kind),
            "requestBody": _write_body(handler, kind),
            "responses": dict(_answer(handler),
                              **_errors(400, 404, 409, 413))}
    return ops


def _item_ops(collection, controller, param, methods, kind):
    path_param = {"name": param, "in": "path", "required": True,
                  "schema": {"type": "string"}}
    extra = [_NAMESPACE] if collection in ("workflows", "actions",
                                           "workbooks") else []
    item = _definition(controller.get_one).return_type
    ops = {"parameters": [path_param]}
    if "get" in methods:
        ops["get"] = {"operationId": "get_%s" % item.__name__,
                      "parameters": extra,
                      "responses": dict(_answer(controller.get_one),
                                        **_errors(400, 404))}
    if "put" in methods:
        # PUT of one item answers that item (``wsme.api.Response``).
        ops["put"] = {"operationId": "update_one_%s" % item.__name__,
                      "parameters": extra + _write_parameters(kind),
                      "requestBody": _write_body(controller.put, kind),
                      "responses": dict({"200": _json(_ref(item))},
                                        **_errors(400, 404, 409, 413))}
    if "delete" in methods:
        ops["delete"] = {
            "operationId": "delete_%s" % item.__name__,
            "parameters": extra + ([_FORCE] if collection == "executions"
                                   else []),
            "responses": dict(_answer(controller.delete),
                              **_errors(400, 404, 409))}
    return ops


def _validate_ops(collection, controller):
    return {"post": {"operationId": "validate_%s" % collection,
                     "requestBody": _TEXT_BODY,
                     "responses": dict(_answer(controller.validate),
                                       **_errors(400, 413))}}


def _report_ops():
    bool_param = {"in": "query", "schema": {"type": "boolean"}}
    return {
        "parameters": [_id_parameter()],
        "get": {"operationId": "get_execution_report",
                "parameters": [
                    dict(bool_param, name="errors_only"),
                    dict(bool_param, name="statistics_only"),
                    {"name": "max_depth", "in": "query",
                     "schema": {"type": "integer"}}],
                "responses": dict(_answer(
                    execution_report.ExecutionReportController.get_all),
                    **_errors(400, 404))}}


def _sub_execution_ops(parent, controller):
    bool_param = {"in": "query", "schema": {"type": "boolean"}}
    return {
        "parameters": [_id_parameter()],
        "get": {"operationId": "list_sub_executions_of_%s" % parent[:-1],
                "parameters": [
                    dict(bool_param, name="errors_only"),
                    {"name": "max_depth", "in": "query",
                     "schema": {"type": "integer"}},
                    dict(bool_param, name="include_output"),
                    {"name": "limit", "in": "query",
                     "schema": {"type": "integer", "minimum": 1,
                                "maximum": 1000}},
                    {"name": "marker", "in": "query",
                     "schema": {"type": "string"}}],
                "responses": dict(_answer(controller.get_all),
                                  **_errors(400, 404))}}


def _id_parameter():
    return {"name": "id", "in": "path", "required": True,
            "schema": {"type": "string"}}


def _paths():
    paths = {}
    for collection, spec, controller, param, coll, item, kind in _RESOURCES:
        base = "/v2/%s" % collection
        paths[base] = _collection_ops(collection, spec, controller, coll,
                                      kind)
        paths["%s/{%s}" % (base, param)] = _item_ops(
            collection, controller, param, item, kind)
        if kind == "text":
            paths[base + "/validate"] = _validate_ops(collection, controller)
    paths["/v2/executions/{id}/report"] = _report_ops()
    paths["/v2/executions/{id}/executions"] = _sub_execution_ops(
        "executions", sub_executions.SubExecutionsController)
    paths["/v2/tasks/{id}/executions"] = _sub_execution_ops(
        "tasks", sub_executions.TaskSubExecutionsController)
    for parent, child, spec, controller in _CHILD_LISTS:
        paths["/v2/%s/{id}/%s" % (parent, child)] = {
            "parameters": [_id_parameter()],
            "get": {"operationId": "list_%s_of_%s" % (child, parent),
                    "parameters": _list_parameters(spec),
                    "responses": dict(_answer(controller.get_all),
                                      **_errors(400))}}
    return paths


def _schemas():
    """A component for every complex type an answer names."""
    found = list(_OTHER_TYPES)
    for entry in _RESOURCES:
        controller = entry[2]
        found += [_definition(controller.get_one).return_type,
                  _definition(controller.get_all).return_type]
    schemas = {datatype.__name__: type_schema(datatype)
               for datatype in found}
    schemas["Error"] = {
        # faultcode is left out by definition uploads (POST/PUT of
        # workflows, workbooks and actions), as Mistral does.
        "type": "object", "required": ["faultstring"],
        "properties": {"faultcode": {"type": "string",
                                     "enum": ["Client", "Server"]},
                       "faultstring": {"type": "string"},
                       "debuginfo": {"nullable": True}}}
    return schemas


def document(base_url=""):
    """The whole OpenAPI 3.0 document (a new dict on every call)."""
    doc = {"openapi": "3.0.3",
           "info": {"title": "wfengine (Mistral v2 API)",
                    "version": VERSION},
           "paths": _paths(),
           "components": {"schemas": _schemas()}}
    if base_url:
        doc["servers"] = [{"url": base_url}]
    return doc
