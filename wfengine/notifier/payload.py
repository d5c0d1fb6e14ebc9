"""The bodies the publishers send, built from an event row.

``data`` is the execution or task resource as the API shows it (Mistral's
field names and order, JSON-typed fields as JSON strings, missing values
``null``). Secrets stay out (DESIGN.md rule 10): the values of ``env``
and of the ``notify`` targets' headers inside ``params`` are masked.

The field lists mirror ``api.resources`` (which this layer may not
import); a unit test keeps them equal.
"""
import json

MASK = "***"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

EXECUTION_FIELDS = (
    "id", "workflow_id", "workflow_name", "workflow_namespace",
    "description", "tags", "params", "task_execution_id",
    "root_execution_id", "state", "state_info",
    "input", "output", "created_at", "updated_at", "project_id")
EXECUTION_JSON = frozenset({"params", "input", "output"})

TASK_FIELDS = (
    "id", "name", "type", "workflow_name", "workflow_namespace",
    "workflow_id", "workflow_execution_id", "tags", "state", "state_info",
    "project_id", "runtime_context", "result", "published", "processed",
    "created_at", "updated_at", "started_at", "finished_at")
TASK_JSON = frozenset({"runtime_context", "published"})

# What Mistral 23.0.0's notifier posts to a ``notify`` webhook (plus
# ``event``), recorded from a real one (tests/functional/
# test_notify_bodies.py): no params, input, output or results.
NOTIFY_EXECUTION_FIELDS = (
    "id", "name", "workflow_id", "workflow_name", "workflow_namespace",
    "root_execution_id", "task_execution_id", "state", "state_info",
    "created_at", "updated_at", "project_id")
NOTIFY_TASK_FIELDS = (
    "id", "name", "type", "workflow_id", "workflow_name",
    "workflow_namespace", "workflow_execution_id", "state", "state_info",
    "created_at", "updated_at", "started_at", "finished_at", "project_id")


def masked_params(params):
    """``params`` with the values of ``env`` and notify headers masked."""
    if not isinstance(params, dict):
        return params
    shown = dict(params)
    if isinstance(shown.get("env"), dict):
        shown["env"] = {key: MASK for key in shown["env"]}
    elif shown.get("env"):
        shown["env"] = MASK
    if isinstance(shown.get("notify"), list):
        shown["notify"] = [_masked_entry(e) for e in shown["notify"]]
    return shown


def _masked_entry(entry):
    if not isinstance(entry, dict) or not isinstance(entry.get("headers"),
                                                     dict):
        return entry
    return dict(entry, headers={k: MASK for k in entry["headers"]})


def resource(event):
    """The execution or task resource of ``event`` (an Event row)."""
    data = dict(event.data or {})
    if event.task_execution_id:
        fields, json_fields = TASK_FIELDS, TASK_JSON
        data.setdefault("type", "ACTION")
    else:
        fields, json_fields = EXECUTION_FIELDS, EXECUTION_JSON
        data["params"] = masked_params(data.get("params"))
    shown = {}
    for name in fields:
        value = data.get(name)
        if name in json_fields and value is not None:
            value = json.dumps(value)
        shown[name] = value
    return shown


def timestamp(value):
    """An event time as ``2026-01-01T00:00:00.000000Z`` (UTC)."""
    return value.strftime(TIMESTAMP_FORMAT) if value is not None else None


def listener_body(event):
    """The body of a listener delivery (spec/extensions.md section 2)."""
    return {
        "id": event.uuid, "event": event.event,
        "timestamp": timestamp(event.created_at),
        "workflow_name": event.workflow_name,
        "workflow_execution_id": event.workflow_execution_id,
        "root_execution_id": event.root_execution_id,
        "task_execution_id": event.task_execution_id,
        "task_name": event.task_name, "state": event.state,
        "state_info": event.state_info, "data": resource(event),
    }


def notify_body(event):
    """The body of a Mistral ``notify`` delivery: Mistral's fields of the
    execution or task, and ``event``."""
    data = dict(event.data or {})
    if event.task_execution_id:
        fields = NOTIFY_TASK_FIELDS
        data.setdefault("type", "ACTION")
    else:
        fields = NOTIFY_EXECUTION_FIELDS
        data["name"] = data.get("workflow_name")
    body = {name: data.get(name) for name in fields}
    body["event"] = event.event
    return body


def encode(body):
    """The exact bytes sent (and signed)."""
    return json.dumps(body, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")
