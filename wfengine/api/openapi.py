"""The OpenAPI 3 document of the v2 API, served at ``/v2/openapi.json``.

Resource schemas are generated from the ``resources.ResourceSpec`` of each
resource (field names, JSON-string fields, datetimes, column types), so
they cannot drift from what the API answers; the routes and request
bodies are declared here, once.
"""
import copy

from wfengine.api import resources

VERSION = "2.0"

_ERROR = {"$ref": "#/components/schemas/Error"}
_TEXT_BODY = {"required": True,
              "content": {"text/plain": {"schema": {"type": "string"}}}}
_SCOPE = {"name": "scope", "in": "query",
          "schema": {"type": "string", "enum": list(resources.SCOPES)}}
_NAMESPACE = {"name": "namespace", "in": "query", "schema": {"type": "string"}}
_FORCE = {"name": "force", "in": "query", "schema": {"type": "boolean"}}

# (collection, spec, path parameter, methods on the collection, methods on
# one item, extra query parameters of writes).
_RESOURCES = (
    ("workflows", resources.WORKFLOW, "identifier",
     ("get", "post", "put"), ("get", "put", "delete"), "text"),
    ("executions", resources.EXECUTION, "id", ("get", "post"),
     ("get", "delete"), "json"),
    ("tasks", resources.TASK, "id", ("get",), ("get",), None),
    ("action_executions", resources.ACTION_EXECUTION, "id", ("get",),
     ("get",), None),
    ("environments", resources.ENVIRONMENT, "name", ("get", "post", "put"),
     ("get", "delete"), "json"),
    ("actions", resources.ACTION, "identifier", ("get", "post", "put"),
     ("get", "delete"), "text"),
    ("workbooks", resources.WORKBOOK, "name", ("get", "post", "put"),
     ("get", "delete"), "text"),
    ("cron_triggers", resources.CRON_TRIGGER, "identifier", ("get", "post"),
     ("get", "delete"), "json"),
)

# JSON request bodies: field -> schema.
_JSON_OBJECT_OR_TEXT = {"oneOf": [{"type": "object"}, {"type": "string"}]}
_BODIES = {
    "executions": {
        "id": {"type": "string",
               "pattern": "^%s$" % resources.EXECUTION_ID_PATTERN},
        "workflow_id": {"type": "string"}, "workflow_name": {"type": "string"},
        "workflow_namespace": {"type": "string"},
        "description": {"type": "string"}, "input": _JSON_OBJECT_OR_TEXT,
        "params": _JSON_OBJECT_OR_TEXT},
    "environments": {
        "name": {"type": "string"}, "description": {"type": "string"},
        "variables": _JSON_OBJECT_OR_TEXT,
        "scope": {"type": "string", "enum": list(resources.SCOPES)}},
    "cron_triggers": {
        "name": {"type": "string"}, "pattern": {"type": "string"},
        "workflow_name": {"type": "string"},
        "workflow_id": {"type": "string"},
        "workflow_namespace": {"type": "string"},
        "workflow_input": _JSON_OBJECT_OR_TEXT,
        "workflow_params": _JSON_OBJECT_OR_TEXT,
        "first_execution_time": {"type": "string",
                                 "example": "2030-01-01 12:00"},
        "remaining_executions": {"type": "integer", "minimum": 1},
        "scope": {"type": "string", "enum": list(resources.SCOPES)}},
}
_REQUIRED = {"environments": ["name", "variables"],
             "cron_triggers": ["name"]}


def _field_schema(spec, field):
    if field.kind in (resources.JSON, resources.DATETIME) or \
            field.column is None:
        return {"type": "string", "nullable": True}
    column = spec.model.__mapper__.column_attrs[field.column].columns[0]
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        python_type = str
    if python_type is bool:
        return {"type": "boolean", "nullable": True}
    if python_type is int:
        return {"type": "integer", "nullable": True}
    if python_type is str:
        return {"type": "string", "nullable": True}
    return {"nullable": True}


def resource_schema(spec):
    """The JSON schema of one resource as the API shows it."""
    return {"type": "object",
            "properties": {f.name: _field_schema(spec, f)
                           for f in spec.fields}}


def _list_schema(spec):
    return {"type": "object", "required": [spec.collection],
            "properties": {
                spec.collection: {"type": "array", "items": _ref(spec)},
                "next": {"type": "string"}}}


def _ref(spec):
    return {"$ref": "#/components/schemas/%s" % spec.singular}


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


def _write_body(collection, kind):
    if kind == "text":
        return _TEXT_BODY
    schema = {"type": "object",
              "properties": copy.deepcopy(_BODIES[collection])}
    if collection in _REQUIRED:
        schema["required"] = _REQUIRED[collection]
    return {"required": True,
            "content": {"application/json": {"schema": schema}}}


def _write_parameters(kind):
    return [_SCOPE, _NAMESPACE] if kind == "text" else []


def _collection_ops(collection, spec, methods, kind):
    ops = {}
    if "get" in methods:
        ops["get"] = {"operationId": "list_%s" % collection,
                      "parameters": _list_parameters(spec),
                      "responses": dict({"200": _json(_list_schema(spec))},
                                        **_errors(400))}
    for method, code in (("post", "201"), ("put", "200")):
        if method not in methods:
            continue
        answer = _write_answer(collection, spec)
        ops[method] = {
            "operationId": "%s_%s" % ("create" if method == "post"
                                      else "update", collection),
            "parameters": _write_parameters(kind),
            "requestBody": _write_body(collection, kind),
            "responses": dict({code: _json(answer)},
                              **_errors(400, 404, 409, 413))}
    return ops


def _write_answer(collection, spec):
    if collection in ("workflows", "actions"):
        return _list_schema(spec)
    return _ref(spec)


def _item_ops(collection, spec, param, methods, kind):
    path_param = {"name": param, "in": "path", "required": True,
                  "schema": {"type": "string"}}
    extra = [_NAMESPACE] if collection in ("workflows", "actions",
                                           "workbooks") else []
    ops = {"parameters": [path_param]}
    if "get" in methods:
        ops["get"] = {"operationId": "get_%s" % spec.singular,
                      "parameters": extra,
                      "responses": dict({"200": _json(_ref(spec))},
                                        **_errors(400, 404))}
    if "put" in methods:
        ops["put"] = {"operationId": "update_one_%s" % spec.singular,
                      "parameters": extra + _write_parameters(kind),
                      "requestBody": _write_body(collection, kind),
                      "responses": dict({"200": _json(_ref(spec))},
                                        **_errors(400, 404, 409, 413))}
    if "delete" in methods:
        ops["delete"] = {
            "operationId": "delete_%s" % spec.singular,
            "parameters": extra + ([_FORCE] if collection == "executions"
                                   else []),
            "responses": dict({"204": {"description": "Deleted"}},
                              **_errors(400, 404, 409))}
    return ops


def _validate_ops(collection):
    result = {"type": "object", "properties": {
        "valid": {"type": "boolean"},
        "error": {"type": "string", "nullable": True}}}
    return {"post": {"operationId": "validate_%s" % collection,
                     "requestBody": _TEXT_BODY,
                     "responses": dict({"200": _json(result)},
                                       **_errors(400, 413))}}


def _report_ops():
    bool_param = {"in": "query", "schema": {"type": "boolean"}}
    return {
        "parameters": [{"name": "id", "in": "path", "required": True,
                        "schema": {"type": "string"}}],
        "get": {"operationId": "get_execution_report",
                "parameters": [
                    dict(bool_param, name="errors_only"),
                    dict(bool_param, name="statistics_only"),
                    {"name": "max_depth", "in": "query",
                     "schema": {"type": "integer"}}],
                "responses": dict({"200": _json({
                    "type": "object", "required": ["statistics"],
                    "properties": {
                        "statistics": {"type": "object"},
                        "root_workflow_execution": {"type": "object"}}})},
                    **_errors(400, 404))}}


def _paths():
    paths = {}
    for collection, spec, param, coll, item, kind in _RESOURCES:
        base = "/v2/%s" % collection
        paths[base] = _collection_ops(collection, spec, coll, kind)
        paths["%s/{%s}" % (base, param)] = _item_ops(collection, spec,
                                                     param, item, kind)
        if kind == "text":
            paths[base + "/validate"] = _validate_ops(collection)
    paths["/v2/executions/{id}/report"] = _report_ops()
    for parent, child, spec in (("executions", "tasks", resources.TASK),
                                ("tasks", "action_executions",
                                 resources.ACTION_EXECUTION),
                                ("tasks", "workflow_executions",
                                 resources.EXECUTION)):
        paths["/v2/%s/{id}/%s" % (parent, child)] = {
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "get": {"operationId": "list_%s_of_%s" % (child, parent),
                    "parameters": _list_parameters(spec),
                    "responses": dict({"200": _json(_list_schema(spec))},
                                      **_errors(400))}}
    return paths


def document(base_url=""):
    """The whole OpenAPI 3.0 document (a new dict on every call)."""
    specs = [r[1] for r in _RESOURCES]
    schemas = {spec.singular: resource_schema(spec) for spec in specs}
    schemas["Error"] = {
        # faultcode is left out by definition uploads (POST/PUT of
        # workflows, workbooks and actions), as Mistral does.
        "type": "object", "required": ["faultstring"],
        "properties": {"faultcode": {"type": "string",
                                     "enum": ["Client", "Server"]},
                       "faultstring": {"type": "string"},
                       "debuginfo": {"nullable": True}}}
    doc = {"openapi": "3.0.3",
           "info": {"title": "wfengine (Mistral v2 API)",
                    "version": VERSION},
           "paths": _paths(),
           "components": {"schemas": schemas}}
    if base_url:
        doc["servers"] = [{"url": base_url}]
    return doc
