"""The wire shapes of Mistral's v2 API, and database rows turned into them.

Every quirk of Mistral's JSON lives here:

* ``created_at``/``updated_at`` (and a task's ``started_at``/``finished_at``)
  are printed as ``"%Y-%m-%d %H:%M:%S"`` (UTC, no zone, no fraction), the
  form python-mistralclient parses to compute durations;
* fields Mistral types as JSON (execution ``input``/``output``/``params``,
  task ``published``/``runtime_context``, action execution
  ``input``/``output``/``params``) are JSON *strings* inside the JSON body;
  a task's ``result`` is a JSON string too;
* a field without a value is ``null``, never missing (but for the
  ``updated_at`` of the answer to an environment's creation, which
  Mistral leaves out), and the ``tags`` of an execution or a task are a
  list, ``[]`` without tags (they are written from the workflow's and the
  task's own ``tags`` when the execution or task is created);
* a task waiting out a ``wait-before``/``wait-after``/retry delay is
  ``DELAYED`` (the engine's ``RUNNING_DELAYED``), as Mistral's API lists it.

A resource is described once (:class:`ResourceSpec`): its wire field names
in Mistral's order, the column each reads, what its lists show by default
and which query parameters filter it. Its WSME type (``wstypes``) declares
the same fields with their types.
"""
import dataclasses
import functools
import json
import operator

from wfengine import action_params
from wfengine.api import fieldsize
from wfengine import exceptions
from wfengine.core import jsonsafe
from wfengine.api import wire
from wfengine.db import models

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"

PLAIN = "plain"
JSON = "json"
DATETIME = "datetime"
TASK_STATE = "task_state"
RUNTIME_CONTEXT = "runtime_context"
# A JSON column shown as its value (a list of tags), not as JSON text.
JSON_VALUE = "json_value"
# The same, for a list that is never null: a row without one shows [].
JSON_LIST = "json_list"

SCOPES = ("private", "public")


@dataclasses.dataclass(frozen=True)
class Field:
    """One wire field: its name, the column it reads and how it is shown.

    ``column`` None means the value is computed (passed in ``extra``).
    """

    name: str
    column: str | None = None
    kind: str = PLAIN
    in_list: bool = True
    needs: tuple = ()


@dataclasses.dataclass(frozen=True)
class ResourceSpec:
    """A Mistral resource: where it lives and how it is shown."""

    singular: str
    collection: str
    model: type
    fields: tuple
    filters: frozenset

    def names(self):
        """All wire field names, in Mistral's order."""
        return [f.name for f in self.fields]

    @functools.cached_property
    def _by_name(self):
        return {f.name: f for f in self.fields}

    def field(self, name):
        """The :class:`Field` called ``name`` (KeyError if none)."""
        return self._by_name[name]

    def list_names(self):
        """Fields a list shows when no ``fields`` parameter is given."""
        return [f.name for f in self.fields if f.in_list]

    def column(self, name):
        """The model column behind wire field ``name``, or None."""
        return self.field(name).column

    def columns(self, names):
        """Model columns to load to show the wire fields ``names``."""
        found = []
        for name in names:
            f = self.field(name)
            found += ([f.column] if f.column else []) + list(f.needs)
        return list(dict.fromkeys(found))

    def to_dict(self, row, names=None, extra=None):
        """Shape ``row`` as Mistral prints it, with only ``names`` if given.

        :param row: anything with the columns as attributes (a database
            row, an ORM object).
        :param extra: values of computed fields, by wire name.
        """
        return _shown(self._plan(names, None), row, extra or {})

    def to_dicts(self, rows, names=None, extra=None, json_as_text=False):
        """``to_dict`` for each of the rows of one query (read by
        position), with the same ``extra`` for all.

        :param json_as_text: the rows hold JSON columns as their text
            (``db.listing.list_rows(json_as_text=True)``), which is what
            Mistral shows: shown as they are, not decoded and encoded.
        """
        if not rows:
            return []
        plan = self._plan(names, rows[0]._fields, json_as_text)
        extra = extra or {}
        return [_shown(plan, row, extra) for row in rows]

    @functools.cached_property
    def _plans(self):
        return {}

    def _plan(self, names, positions, json_as_text=False):
        """``(name, read, show)`` for each field of ``names`` (None: all),
        for rows whose columns are ``positions`` (None: read attributes):
        what ``to_dict`` does per row, worked out once per shape. A page
        of 100 rows asked the same questions 1,600 times, and reading a
        row's column by name costs ten times reading it by position (a
        page of 100 executions: 10.2 -> 7.6 ms in the process)."""
        key = (tuple(names) if names else None, positions, json_as_text)
        plan = self._plans.get(key)
        if plan is None:
            shows = _SHOW_JSON_TEXT if json_as_text else _SHOW
            plan = tuple((name,
                          self._reader(name, positions, json_as_text),
                          shows.get(self.field(name).kind))
                         for name in names or self.names())
            if len(self._plans) < _MAX_PLANS:  # ``fields`` is the client's
                self._plans[key] = plan
        return plan

    def _reader(self, name, positions, json_as_text=False):
        field = self.field(name)
        if field.column is None:
            return None
        if positions is not None and field.column in positions:
            read = operator.itemgetter(positions.index(field.column))
        else:
            read = operator.attrgetter(field.column)
        if field.kind == JSON_LIST:
            return functools.partial(_or_empty_list, read, json_as_text)
        return read


def _or_empty_list(read, json_as_text, row):
    """``read(row)``, or an empty list (as its text, if JSON columns are
    read as text) when the column holds NULL or JSON's null."""
    value = read(row)
    if value is None or value == "null":
        return "[]" if json_as_text else []
    return value


def _shown(plan, row, extra):
    shown = {}
    for name, read, show in plan:
        value = extra.get(name) if read is None else read(row)
        shown[name] = value if value is None or show is None else show(value)
    return shown


def _f(name, column=None, kind=PLAIN, in_list=True, computed=False,
       needs=()):
    return Field(name, None if computed else (column or name), kind, in_list,
                 needs)


# Every resource's tags: a JSON list, shown as a list in lists too.
_TAGS = _f("tags", kind=JSON_VALUE)
# An execution's or a task's: ``[]`` rather than null.
_LIST_TAGS = _f("tags", kind=JSON_LIST)


def format_datetime(value):
    """A datetime as Mistral prints it: ``2024-01-31 12:00:05``."""
    if value is None:
        return None
    if value.tzinfo is None:
        # What DATETIME_FORMAT gives, in a third of strftime's time (a
        # page of 100 rows shows 200 of them).
        return value.isoformat(" ", "seconds")
    return value.strftime(DATETIME_FORMAT)


def _json_text(text):
    """A JSON column read as text, as shown: SQL's NULL and JSON's null
    (what the column stores for None) both show as null."""
    return None if text == "null" else text


# How a field of each kind shows a value that is not None (PLAIN: as is),
# read as a value or with JSON columns as text.
_SHOW = {JSON: json.dumps, DATETIME: format_datetime,
         TASK_STATE: wire.task_state,
         RUNTIME_CONTEXT: lambda v: json.dumps(wire.runtime_context(v))}
_SHOW_JSON_TEXT = dict(_SHOW, **{JSON: _json_text,
                                 JSON_VALUE: json.loads,
                                 JSON_LIST: json.loads,
                                 RUNTIME_CONTEXT: wire.runtime_context_text})
# Shapes (lists of fields) a resource remembers how to show.
_MAX_PLANS = 256


_COMMON_FILTERS = ("id", "created_at", "updated_at", "project_id", "state",
                   "state_info")

WORKFLOW = ResourceSpec(
    "Workflow", "workflows", models.WorkflowDefinition,
    (_f("id"), _f("name"), _f("namespace"), _f("input"),
     _f("interface", computed=True, in_list=False, needs=("spec",)),
     _f("definition", in_list=False), _TAGS, _f("scope"),
     _f("project_id"), _f("created_at", kind=DATETIME),
     _f("updated_at", kind=DATETIME)),
    frozenset({"id", "name", "namespace", "input", "scope", "project_id",
               "created_at", "updated_at"}))

EXECUTION = ResourceSpec(
    "Execution", "executions", models.WorkflowExecution,
    (_f("id"), _f("workflow_id"), _f("workflow_name", "name"),
     _f("workflow_namespace"), _f("description"), _LIST_TAGS,
     _f("params", kind=JSON), _f("task_execution_id"),
     _f("root_execution_id"), _f("state"), _f("state_info"),
     _f("input", kind=JSON),
     _f("output", kind=JSON, in_list=False),
     _f("created_at", kind=DATETIME), _f("updated_at", kind=DATETIME),
     _f("project_id")),
    frozenset(_COMMON_FILTERS + (
        "workflow_id", "workflow_name", "workflow_namespace", "description",
        "task_execution_id", "root_execution_id")))

TASK = ResourceSpec(
    "Task", "tasks", models.TaskExecution,
    (_f("id"), _f("name"), _f("type"), _f("workflow_name"),
     _f("workflow_namespace"), _f("workflow_id"),
     _f("workflow_execution_id"), _LIST_TAGS,
     _f("state", kind=TASK_STATE),
     _f("state_info"), _f("project_id"),
     _f("runtime_context", kind=RUNTIME_CONTEXT, in_list=False),
     _f("result", computed=True, needs=("runtime_context",)),
     _f("published", kind=JSON), _f("processed"),
     _f("created_at", kind=DATETIME), _f("updated_at", kind=DATETIME),
     _f("started_at", kind=DATETIME), _f("finished_at", kind=DATETIME)),
    frozenset(_COMMON_FILTERS + (
        "name", "type", "workflow_name", "workflow_namespace", "workflow_id",
        "workflow_execution_id", "processed", "started_at", "finished_at")))

ACTION_EXECUTION = ResourceSpec(
    "ActionExecution", "action_executions", models.ActionExecution,
    (_f("id"), _f("workflow_name"), _f("workflow_namespace"),
     _f("workflow_execution_id"), _f("task_name"), _f("task_execution_id"),
     _f("state"), _f("state_info"), _TAGS, _f("name"),
     _f("description"), _f("project_id"), _f("accepted"),
     _f("input", kind=JSON), _f("output", kind=JSON, in_list=False),
     _f("created_at", kind=DATETIME), _f("updated_at", kind=DATETIME),
     _f("params", kind=JSON)),
    frozenset(_COMMON_FILTERS + (
        "name", "description", "workflow_name", "workflow_namespace",
        "workflow_execution_id", "task_name", "task_execution_id",
        "accepted")))


# Definitions written through the API (environments, actions, workbooks,
# cron triggers).

_DEFINITION_FILTERS = ("id", "name", "scope", "project_id", "created_at",
                       "updated_at")

ENVIRONMENT = ResourceSpec(
    "Environment", "environments", models.Environment,
    (_f("id"), _f("name"), _f("description"),
     _f("variables", kind=JSON), _f("scope"), _f("project_id"),
     _f("created_at", kind=DATETIME), _f("updated_at", kind=DATETIME)),
    frozenset(_DEFINITION_FILTERS + ("description",)))

ACTION = ResourceSpec(
    "Action", "actions", models.ActionDefinition,
    (_f("id"), _f("name"), _f("namespace"), _f("is_system"), _f("input"),
     _f("description"), _TAGS, _f("definition", in_list=False),
     _f("scope"), _f("project_id"), _f("created_at", kind=DATETIME),
     _f("updated_at", kind=DATETIME)),
    frozenset(_DEFINITION_FILTERS + ("namespace", "is_system", "input",
                                     "description")))

WORKBOOK = ResourceSpec(
    "Workbook", "workbooks", models.Workbook,
    (_f("id"), _f("name"), _f("namespace"),
     _f("definition", in_list=False), _TAGS, _f("scope"),
     _f("project_id"), _f("created_at", kind=DATETIME),
     _f("updated_at", kind=DATETIME)),
    frozenset(_DEFINITION_FILTERS + ("namespace",)))

CRON_TRIGGER = ResourceSpec(
    "CronTrigger", "cron_triggers", models.CronTrigger,
    (_f("id"), _f("name"), _f("pattern"), _f("workflow_name"),
     _f("workflow_id"), _f("workflow_input", kind=JSON),
     _f("workflow_params", kind=JSON), _f("scope"),
     _f("first_execution_time", kind=DATETIME),
     _f("next_execution_time", kind=DATETIME),
     _f("remaining_executions"), _f("project_id"),
     _f("created_at", kind=DATETIME), _f("updated_at", kind=DATETIME)),
    frozenset(_DEFINITION_FILTERS + (
        "pattern", "workflow_name", "workflow_id", "first_execution_time",
        "next_execution_time", "remaining_executions")))


EVENT_TRIGGER = ResourceSpec(
    "EventTrigger", "event_triggers", models.EventTrigger,
    (_f("id"), _f("name"), _f("workflow_id"),
     _f("workflow_input", kind=JSON), _f("workflow_params", kind=JSON),
     _f("exchange"), _f("topic"), _f("event"), _f("scope"),
     _f("project_id"), _f("created_at", kind=DATETIME),
     _f("updated_at", kind=DATETIME)),
    frozenset(_DEFINITION_FILTERS + ("workflow_id", "exchange", "topic",
                                     "event")))


# Computed fields.

def workflow_interface(spec_dict):
    """The ``interface`` of a workflow: its input and output declarations.

    Mistral shows it as a JSON string ``{"input": [...], "output": [...]}``
    (output being the names of the declared outputs).
    """
    if not isinstance(spec_dict, dict):
        spec_dict = {}
    output = spec_dict.get("output") or {}
    names = list(output) if isinstance(output, dict) else []
    inputs = [_input_item(p) for p in spec_dict.get("input") or []]
    return json.dumps({"input": inputs, "output": names})


def _input_item(param):
    """One input as written in the language: ``name`` or ``{name: default}``.

    Accepts the spec's stored form ``{"name", "default", "has_default"}``.
    """
    if isinstance(param, dict) and "name" in param and "has_default" in param:
        if param["has_default"]:
            return {param["name"]: param.get("default")}
        return param["name"]
    return param


def action_result(output):
    """The result of one action execution from its stored output.

    The engine stores ``{"result": value}``; anything else is shown as is.
    """
    if isinstance(output, dict) and set(output) <= {"result"}:
        return output.get("result")
    return output


def is_with_items(task_row):
    """Whether a task ran its action once per item (result is a list).

    Read from the engine's bookkeeping in ``runtime_context``.
    """
    context = task_row.runtime_context or {}
    return bool(context.get("with_items") or context.get("with_items_index")
                or "with_items_count" in context)


def task_result(task_row, parts):
    """A task's result as Mistral shows it: a JSON string.

    :param parts: ``[(kind, accepted, output, params), ...]`` of the task's
        action executions (``kind == "action"``, output as stored) and
        sub-workflow executions (``kind == "workflow"``), oldest first.
    :returns: the JSON of the latest accepted result (``[]`` when there
        is none yet, as Mistral shows a task that ran nothing: a retried
        task shows its last run), or for a with-items task the list of
        its items' latest results, by index, of its latest dispatch.
    """
    accepted = [p for p in parts if p[1]]
    if is_with_items(task_row):
        return json.dumps(_item_results(accepted))
    if not accepted:
        return json.dumps([])
    kind, _, output, _ = accepted[-1]
    return json.dumps(action_result(output) if kind == "action" else output)


def _item_results(parts):
    """The items' results of the latest dispatch, by index (the rule of
    ``action_params.latest_item_runs``, over the accepted runs); of items
    that ran sub-workflows, their latest outputs."""
    runs = [(p[3], None, p[2]) for p in parts if p[0] == "action"]
    if not runs:
        outputs = {(p[3] or {}).get("index", 0): p[2] for p in parts}
        return [outputs.get(i) for i in range(len(outputs))]
    latest = action_params.latest_item_runs(
        runs, action_params.latest_generation(r[0] for r in runs))
    return [action_result(latest[i][1]) for i in sorted(latest)]


# Rows to dicts.

def workflow_dict(row, names=None):
    """A workflow definition row as Mistral's Workflow resource."""
    extra = {}
    if names is None or "interface" in names:
        extra["interface"] = workflow_interface(row.spec)
    return WORKFLOW.to_dict(row, names, extra)


def execution_dict(row, names=None):
    """A workflow execution row as Mistral's Execution resource."""
    return EXECUTION.to_dict(row, names)


def task_dict(row, names=None, parts=None):
    """A task execution row as Mistral's Task resource.

    :param parts: what :func:`task_result` needs, when ``result`` is shown.
    """
    extra = {}
    if names is None or "result" in names:
        extra["result"] = task_result(row, parts or [])
    return TASK.to_dict(row, names, extra)


def action_execution_dict(row, names=None):
    """An action execution row as Mistral's ActionExecution resource."""
    return ACTION_EXECUTION.to_dict(row, names)


# Request bodies.

# What a client may choose as an execution id: it stands in URLs.
EXECUTION_ID_PATTERN = "[A-Za-z0-9._~-]{1,36}"


def parse_json_body(body, what="request body"):
    """Decode a JSON request body that must be an object.

    :raises InputError: not JSON (NaN and Infinity are not), nested
        deeper than ``[api] max_document_depth``, or not an object.
    """
    data = jsonsafe.loads(body, what="The %s" % what)
    if not isinstance(data, dict):
        raise exceptions.InvalidField(field="The %s" % what,
                                      expected="a JSON object",
                                      kind=type(data).__name__)
    return data


def json_object_field(name, value):
    """A field that is a JSON object, sent as an object or a JSON string.

    ``None``, ``""`` and ``"null"`` mean an empty object.

    :raises InputError: naming the field, when the value is not an object
        or a string holding one, or is over the size limit of stored
        fields.
    """
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        value = jsonsafe.loads(
            value, what="Field '%s' must be a JSON object or a string "
            "holding one; its text" % name)
        if value is None:
            return {}
    if not isinstance(value, dict):
        raise exceptions.InvalidField(field="Field '%s'" % name,
                                      expected="a JSON object",
                                      kind=type(value).__name__)
    fieldsize.check(name, value)
    return value


def check_scope(scope):
    """``scope`` of a workflow, checked; :raises InputError: unknown."""
    scope = scope or "private"
    if scope not in SCOPES:
        raise exceptions.NotAllowedValue(field="scope",
                                         allowed=", ".join(SCOPES))
    return scope
