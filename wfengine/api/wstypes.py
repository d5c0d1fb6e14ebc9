"""The API's types, declared with WSME: every resource and request body.

A resource type lists Mistral's wire fields with their types, in the
order Mistral prints them (the order of the resource's
``resources.ResourceSpec``, which says which column each field reads).
Fields Mistral types as JSON travel as JSON *strings*, and datetimes as
``"%Y-%m-%d %H:%M:%S"`` strings: both are text here, as on the wire.

A body type lists the fields a request may send; WSME refuses any other
field and checks each field's type (:mod:`wfengine.api.expose` turns its
refusals into the API's 400s). What the fields mean together (a state
that allows a change, a pattern that parses) is checked after, by the
body's parser.

``/v2/openapi.json`` is generated from these declarations
(:mod:`wfengine.api.openapi`).
"""
from wsme import types as wtypes

from wfengine.api import listener_resources
from wfengine.api import resources

text = wtypes.text


class Strict(wtypes.UserType):
    """A body field that must arrive as one of ``kinds`` (JSON types),
    with no conversion: ``true`` is not the number 1, ``"1"`` not 1.

    The base type is text only so that WSME passes the value through
    unchanged; :meth:`validate` decides.
    """

    basetype = text

    def __init__(self, name, kinds, schema):
        self.name = name
        self.kinds = kinds
        self.schema = schema

    def validate(self, value):
        if isinstance(value, bool) and bool not in self.kinds:
            raise ValueError("must be %s" % self.name)
        if not isinstance(value, self.kinds):
            raise ValueError("must be %s" % self.name)
        return value


STRING = Strict("a string", (str,), {"type": "string"})
BOOLEAN = Strict("true or false", (bool,), {"type": "boolean"})
INTEGER = Strict("an integer", (int,), {"type": "integer"})
# A JSON object, sent as an object or, as python-mistralclient does, as a
# string holding one (``resources.json_object_field`` decodes it).
JSON_OBJECT = Strict("a JSON object or a string holding one", (dict, str),
                     {"oneOf": [{"type": "object"}, {"type": "string"}]})
# Any JSON value (its parser checks what it means).
ANY = Strict("any JSON value", (dict, list, str, int, float, bool), {})
SCOPE = Strict("a string", (str,), {"type": "string",
                                    "enum": list(resources.SCOPES)})
EXECUTION_ID = Strict("a string", (str,), {
    "type": "string", "pattern": "^%s$" % resources.EXECUTION_ID_PATTERN})
TIME = Strict("a string", (str,), {"type": "string",
                                   "example": "2030-01-01 12:00"})
COUNT = Strict("an integer", (int,), {"type": "integer", "minimum": 1})


def _resource(spec, extra=(), **typed):
    """A WSME type for ``spec``'s wire fields (and the ``extra`` ones,
    shown only by some answers): text unless ``typed``."""
    names = tuple(spec.names()) + tuple(extra)
    unknown = set(typed) - set(names)
    if unknown:
        raise TypeError("Not fields of %s: %s" % (spec.singular,
                                                  sorted(unknown)))
    attrs = {name: wtypes.wsattr(typed.get(name, text), name=name)
             for name in names}
    attrs["_wsme_attr_order"] = names
    attrs["__doc__"] = "Mistral's %s resource." % spec.singular
    return type(spec.singular, (wtypes.Base,), attrs)


def _collection(item, collection):
    """``{"<collection>": [items], "next": url}``: one page of a list."""
    return type(item.__name__ + "s", (wtypes.Base,), {
        collection: wtypes.wsattr([item], mandatory=True, name=collection),
        "next": wtypes.wsattr(text, name="next"),
        "_wsme_attr_order": (collection, "next"),
        "__doc__": "One page of %s and the link to the next." % collection})


# A list of strings. Lists (their direct path) show the column's JSON
# text instead, so the document promises no more than "any value".
TAGS = Strict("a list of strings", (list,), {"nullable": True})

Workflow = _resource(resources.WORKFLOW, tags=TAGS)
# What the tasks published with ``global`` scope: in the answer about one
# execution only, as Mistral shows it (JSON text, like its other JSON
# fields).
Execution = _resource(resources.EXECUTION, extra=("published_global",),
                      tags=TAGS)
Task = _resource(resources.TASK, processed=bool, tags=TAGS)
ActionExecution = _resource(resources.ACTION_EXECUTION, tags=TAGS,
                            accepted=bool)
Environment = _resource(resources.ENVIRONMENT)
Action = _resource(resources.ACTION, is_system=bool, tags=TAGS)
Workbook = _resource(resources.WORKBOOK, tags=TAGS)
CronTrigger = _resource(resources.CRON_TRIGGER, remaining_executions=int)
EventTrigger = _resource(resources.EVENT_TRIGGER)
# A listener's secret is shown once: in the answer to its creation.
Listener = _resource(listener_resources.LISTENER, extra=("secret",),
                     events=[text], headers={text: text}, enabled=bool)


class Delivery(wtypes.Base):
    """One attempt record of a listener's delivery (an extension)."""

    id = text
    event = text
    workflow_execution_id = text
    task_execution_id = text
    state = text
    attempts = int
    last_status_code = int
    last_error = text
    created_at = text
    delivered_at = text
    next_attempt_at = text
    _wsme_attr_order = listener_resources.DELIVERY_FIELDS


Workflows = _collection(Workflow, "workflows")
Executions = _collection(Execution, "executions")
Tasks = _collection(Task, "tasks")
ActionExecutions = _collection(ActionExecution, "action_executions")
Environments = _collection(Environment, "environments")
Actions = _collection(Action, "actions")
Workbooks = _collection(Workbook, "workbooks")
CronTriggers = _collection(CronTrigger, "cron_triggers")
EventTriggers = _collection(EventTrigger, "event_triggers")
Listeners = _collection(Listener, "listeners")
Deliveries = _collection(Delivery, "deliveries")


class Validation(wtypes.Base):
    """The answer of ``POST /v2/<definitions>/validate``."""

    valid = bool
    error = text
    _wsme_attr_order = ("valid", "error")


class ExecutionReport(wtypes.Base):
    """``GET /v2/executions/<id>/report``: statistics and the tree."""

    statistics = wtypes.wsattr({text: ANY}, mandatory=True)
    root_workflow_execution = {text: ANY}
    _wsme_attr_order = ("statistics", "root_workflow_execution")


class Link(wtypes.Base):
    """A link of the versions document."""

    href = text
    target = text
    rel = text
    _wsme_attr_order = ("href", "target", "rel")


class Version(wtypes.Base):
    """One API version: ``v2.0``, ``CURRENT``."""

    id = text
    status = text
    links = [Link]
    _wsme_attr_order = ("id", "status", "links")


class Versions(wtypes.Base):
    """``GET /``: the versions of the API."""

    versions = [Version]


class V2Root(wtypes.Base):
    """``GET /v2``: where the v2 API is."""

    uri = text


# ``GET /v2/openapi.json``.
OPENAPI_DOCUMENT = Strict("an OpenAPI 3 document", (dict,),
                          {"type": "object"})


# Request bodies.

def _body(name, what, fields, ignored=(), doc="", required=()):
    """A request body type: ``fields`` (name -> type) may be sent;
    ``ignored`` ones too (what a client echoes back from a GET).
    ``required`` fields are documented as such; their parser requires
    them (a field required to create may be left out of an update)."""
    attrs = {key: wtypes.wsattr(kind, name=key)
             for key, kind in dict(fields, **dict.fromkeys(
                 ignored, ANY)).items()}
    attrs.update(_wsme_attr_order=tuple(fields) + tuple(ignored),
                 _what=what, _allowed=tuple(fields),
                 _required=tuple(required), __doc__=doc)
    return type(name, (wtypes.Base,), attrs)


ExecutionCreate = _body("ExecutionCreate", "execution", {
    "id": EXECUTION_ID, "workflow_id": STRING, "workflow_name": STRING,
    "workflow_namespace": STRING, "description": STRING,
    "input": JSON_OBJECT, "params": JSON_OBJECT},
    doc="The body of ``POST /v2/executions``.")

ExecutionUpdate = _body("ExecutionUpdate", "execution update", {
    "id": STRING, "state": STRING, "state_info": STRING,
    "description": STRING, "params": JSON_OBJECT},
    doc="The body of ``PUT /v2/executions/<id>``.")

TaskUpdate = _body("TaskUpdate", "task update", {
    "id": STRING, "state": ANY, "reset": ANY, "env": JSON_OBJECT,
    "published": JSON_OBJECT, "state_info": STRING},
    doc="The body of ``PUT /v2/tasks/<id>``.")

ActionRun = _body("ActionRun", "action execution", {
    "name": STRING, "input": JSON_OBJECT, "params": JSON_OBJECT,
    "workflow_namespace": STRING, "description": STRING},
    doc="The body of ``POST /v2/action_executions``.")

ActionCompletion = _body("ActionCompletion", "action execution update", {
    "id": STRING, "state": ANY, "output": ANY, "state_info": STRING},
    doc="The body of ``PUT /v2/action_executions/<id>``.")

_ECHOED = ("id", "created_at", "updated_at", "project_id")

EnvironmentBody = _body("EnvironmentBody", "environment", {
    "name": STRING, "description": STRING, "variables": JSON_OBJECT,
    "scope": SCOPE}, _ECHOED,
    doc="The body of ``POST`` and ``PUT /v2/environments``.",
    required=("name", "variables"))

CronTriggerCreate = _body("CronTriggerCreate", "cron trigger", {
    "name": STRING, "pattern": STRING, "workflow_name": STRING,
    "workflow_id": STRING, "workflow_namespace": STRING,
    "workflow_input": JSON_OBJECT, "workflow_params": JSON_OBJECT,
    "first_execution_time": TIME, "remaining_executions": COUNT,
    "scope": SCOPE}, _ECHOED,
    doc="The body of ``POST /v2/cron_triggers``.", required=("name",))

EventTriggerCreate = _body("EventTriggerCreate", "event trigger", {
    "name": STRING, "workflow_id": STRING, "workflow_input": JSON_OBJECT,
    "workflow_params": JSON_OBJECT, "exchange": STRING, "topic": STRING,
    "event": STRING, "scope": SCOPE}, _ECHOED,
    doc="The body of ``POST /v2/event_triggers``.",
    required=("workflow_id", "exchange", "topic", "event"))

EventTriggerUpdate = _body("EventTriggerUpdate", "event trigger update", {
    "name": STRING, "workflow_input": JSON_OBJECT,
    "workflow_params": JSON_OBJECT, "scope": SCOPE},
    _ECHOED + ("workflow_id", "exchange", "topic", "event"),
    doc="The body of ``PUT /v2/event_triggers/<id>``: the exchange, topic "
        "and event of a trigger can not change.")

_LISTENER_FIELDS = {
    "url": ANY, "events": ANY, "headers": ANY, "method": ANY,
    "description": ANY, "enabled": BOOLEAN}

ListenerCreate = _body("ListenerCreate", "listener", dict(
    {"workflow_name": ANY}, **_LISTENER_FIELDS, secret=ANY),
    doc="The body of ``POST /v2/listeners``.")

ListenerUpdate = _body("ListenerUpdate", "listener update",
                       _LISTENER_FIELDS,
                       doc="The body of ``PUT /v2/listeners/<id>``.")

Redelivery = _body("Redelivery", "delivery update", {"state": ANY},
                   doc="The body of ``PUT /v2/listeners/<id>/deliveries/"
                       "<delivery id>``.")


def present(body):
    """The fields a body object holds (those the request sent), by name."""
    shown = {}
    for attr in wtypes.list_attributes(type(body)):
        value = getattr(body, attr.key)
        if value is not wtypes.Unset:
            shown[attr.name] = value
    return shown
