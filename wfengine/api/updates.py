"""Bodies of ``PUT /v2/executions/<id>`` and ``PUT /v2/tasks/<id>``.

WSME has checked the fields and their types (``wstypes.ExecutionUpdate``,
``wstypes.TaskUpdate``, ``wstypes.ActionRun``,
``wstypes.ActionCompletion``); each function takes the fields sent
(``wstypes.present``). Only the shape of a request is checked here (fields, types, which
combinations make sense); whether the execution's or task's state allows
it is the engine's decision, which answers with its own 400.
"""
import json

from wfengine import exceptions
from wfengine import state_names as states
from wfengine.api import resources

EXECUTION_STATES = states.EXECUTION_REQUESTS

# Task states a request may ask for, with the extension's aliases.
TASK_STATES = {states.RUNNING: states.RUNNING, states.SKIPPED: states.SKIPPED,
               states.IDLE: states.IDLE, "INITIAL": states.IDLE,
               states.SUCCESS: states.SUCCESS, "DONE": states.SUCCESS}


def _check_id(data, obj_id, what):
    if data.get("id") not in (None, obj_id):
        raise exceptions.InvalidValue(field="'id'",
                                      expected="the %s in the URL" % what)


def parse_execution_update(data, wf_ex_id):
    """Check a ``PUT /v2/executions/<id>`` body.

    :returns: the engine client's ``update_execution`` keyword arguments.
    :raises InputError: unknown state, an empty update, a
        description together with a state, or an env with a state other
        than RUNNING.
    """
    _check_id(data, wf_ex_id, "execution id")
    state = data.get("state")
    description = data.get("description")
    params = resources.json_object_field("params", data.get("params"))
    unknown = sorted(set(params) - {"env"})
    if unknown:
        raise exceptions.UnknownFields(where="'params'",
                                       fields=", ".join(unknown),
                                       allowed="env")
    env = resources.json_object_field("params.env", params.get("env")) \
        if "env" in params else None
    if state is not None and state not in EXECUTION_STATES:
        raise exceptions.NotAllowedValue(
            field="execution state", allowed=", ".join(EXECUTION_STATES))
    if state is None and description is None and env is None:
        raise exceptions.MissingField(
            what="An execution update",
            fields="'state', 'description' or 'params.env'")
    if state is not None and description is not None:
        raise exceptions.OnlyWith(field="'description'",
                                  condition="no 'state'",
                                  got="state %s" % state)
    if env is not None and state not in (None, states.RUNNING):
        raise exceptions.OnlyWith(
            field="An env update", condition="state RUNNING (a resume) or "
            "with no state", got="state %s" % state)
    return {"state": state, "state_info": data.get("state_info"),
            "env": env, "description": description}


def parse_task_update(data, task_ex_id):
    """Check a ``PUT /v2/tasks/<id>`` body.

    :returns: the engine client's ``update_task`` keyword arguments.
    :raises InputError: naming what is wrong and what is allowed.
    """
    _check_id(data, task_ex_id, "task execution id")
    asked = data.get("state")
    if asked not in TASK_STATES:
        raise exceptions.NotAllowedValue(
            field="task state", allowed=", ".join(TASK_STATES))
    state = TASK_STATES[asked]
    reset = data.get("reset")
    if state == states.RUNNING and not isinstance(reset, bool):
        raise exceptions.InvalidField(
            field="'reset' of a re-run (state RUNNING)", expected="true to "
            "run the task again, or false to re-run only the failed items "
            "of a with-items task", kind=type(reset).__name__)
    if state != states.RUNNING and (reset is not None or "env" in data):
        raise exceptions.OnlyWith(field="'reset' or 'env'",
                                  condition="state RUNNING (a re-run)",
                                  got="state %s" % asked)
    if state != states.SUCCESS and "published" in data:
        raise exceptions.OnlyWith(field="'published'",
                                  condition="state SUCCESS",
                                  got="state %s" % asked)
    return {
        "state": state,
        "reset": True if reset is None else reset,
        "env": resources.json_object_field("env", data.get("env")) or None,
        "published": resources.json_object_field(
            "published", data.get("published")),
        "state_info": data.get("state_info"),
    }


ACTION_RESULT_STATES = states.RESULTS
# States that pause an asynchronous action or let it run again (Mistral
# takes them on the same request as the results).
ACTION_UPDATE_STATES = (states.PAUSED, states.RUNNING)


def parse_action_completion(data, action_ex_id):
    """Check a ``PUT /v2/action_executions/<id>`` body.

    :returns: the engine client's ``complete_action`` keyword arguments
        (``{"state": ...}`` alone for PAUSED and RUNNING, the arguments of
        ``update_action``).
    :raises InputError: a state that neither ends it nor pauses or
        resumes it.
    """
    _check_id(data, action_ex_id, "action execution id")
    state = data.get("state")
    if state in ACTION_UPDATE_STATES:
        return {"state": state}
    if state not in ACTION_RESULT_STATES:
        raise exceptions.NotAllowedValue(
            field="action execution state",
            allowed=", ".join(ACTION_RESULT_STATES + ACTION_UPDATE_STATES))
    output = _decoded_output(data.get("output"))
    if state == states.SUCCESS and output is None:
        output = {}                 # Mistral's default for the field
    elif state == states.ERROR and output in (None, "", {}):
        output = "Unknown error"    # what Mistral records then
    state_info = data.get("state_info")
    if state == states.ERROR and state_info is None and output is not None:
        # Mistral makes the error the task's state_info: its text, as
        # Python prints it.
        state_info = str(output)
    return {"state": state, "output": output, "state_info": state_info}


def _decoded_output(output):
    """The ``output`` of a completion. Text is read as Mistral reads it:
    JSON text of an object is decoded (``mistral action-execution-update
    --output '{...}'`` may send the text), and JSON text of anything else
    (a list, a number, a quoted string) is refused, as Mistral refuses it.
    wfengine takes more than Mistral, which refuses both: a JSON value
    that is not text is the result as it is (``mistral
    action-execution-update --output 3`` sends the number 3; Mistral
    answers 400 with a Python type error), and text that is not JSON is
    the result as text.

    :raises InvalidField: JSON text of something other than an object.
    """
    if not isinstance(output, str):
        return output
    try:
        decoded = json.loads(output)
    except ValueError:
        return output
    if isinstance(decoded, dict):
        return decoded
    raise exceptions.InvalidField(
        field="JsonType field value: 'output' of a completion given as "
        "JSON text", expected="the text of a dictionary (a JSON object)",
        kind="the text of a %s" % _json_kind(decoded))


def _json_kind(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "list"


ACTION_RUN_PARAMS = ("run_sync", "save_result", "timeout", "target")


def parse_action_run(data):
    """Check a ``POST /v2/action_executions`` body.

    :returns: ``(engine client kwargs, run_sync, timeout)``.
    :raises InputError: naming the field and what is allowed.
    """
    name = data.get("name")
    if not name:
        raise exceptions.MissingField(
            what="Running an action", fields="field 'name' (the action)")
    params = resources.json_object_field("params", data.get("params"))
    unknown = sorted(set(params) - set(ACTION_RUN_PARAMS))
    if unknown:
        raise exceptions.UnknownFields(
            where="'params'", fields=", ".join(unknown),
            allowed=", ".join(ACTION_RUN_PARAMS))
    timeout = params.get("timeout", 60)
    if not isinstance(timeout, (int, float)) or not 0 < timeout <= 3600:
        raise exceptions.InvalidField(
            field="params.timeout", expected="a number of seconds in (0, "
            "3600]", kind=type(timeout).__name__)
    kwargs = {"name": name,
              "action_input": resources.json_object_field(
                  "input", data.get("input")),
              "namespace": data.get("workflow_namespace") or "",
              "description": data.get("description") or "",
              "target": params.get("target")}
    # As Mistral: an action runs at once unless run_sync is not asked for
    # and the result is to be saved (save_result); run_sync false alone
    # still runs a synchronous action at once.
    run_sync = bool(params.get("run_sync")) or not params.get("save_result")
    return kwargs, run_sync, timeout
