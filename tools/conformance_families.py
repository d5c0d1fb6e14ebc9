"""More generated conformance families (the second round of issue 16).

The first round (``gen_conformance.py``) crosses run-time features. These
families cover what it left out: definitions Mistral refuses (on create and
on the validate endpoints), refused REST requests with their status and
error shape, lifecycle requests on executions in every state, action
executions run directly, the expression functions of YAQL and Jinja,
policies that pause or hold tasks (pause-before, wait-after, concurrency,
task-defaults), and fan-out transitions. Every case is recorded on Mistral
23.0.0 before wfengine is held to it.
"""
import itertools

import yaml

NO_SUCH = "00000000-0000-4000-8000-000000000000"
OK_ACTION = 'std.echo output="done"'
FAIL_ACTION = "std.fail"
FIELDS_EXEC = ["state"]


def workflow_text(name, body):
    """A workflow text: ``body`` is the workflow's YAML mapping."""
    return yaml.safe_dump({"version": "2.0", name: body}, sort_keys=False,
                          default_flow_style=False, width=200)


def make_case(case_id, description, name, body, start_input=None,
              **extra):
    """``(case id, case)`` that starts workflow ``name`` of ``body``."""
    start = {"workflow_name": name}
    if start_input is not None:
        start["input"] = start_input
    case = {"description": description, "workflow": workflow_text(name, body),
            "start": start}
    case.update(extra)
    return case_id, case


# --------------------------------------------------------------------------
# Definitions Mistral refuses (or accepts), created and validated
# --------------------------------------------------------------------------

def _task(**kw):
    return dict({"action": "std.noop"}, **kw)


BAD_TASKS = {
    "both_action_workflow": {"action": "std.noop", "workflow": "x"},
    "unknown_task_key": _task(colour="blue"),
    "retry_count_negative": _task(retry={"count": -1, "delay": 0}),
    "retry_no_count": _task(retry={"delay": 1}),
    "retry_delay_string": _task(retry={"count": 1, "delay": "soon"}),
    "retry_unknown_key": _task(retry={"count": 1, "often": True}),
    "timeout_negative": _task(timeout=-1),
    "wait_after_negative": _task(**{"wait-after": -1}),
    "pause_before_string": _task(**{"pause-before": "maybe"}),
    "pause_before_expression": _task(**{"pause-before": "<% false %>"}),
    "keep_result_string": _task(**{"keep-result": "no"}),
    "safe_rerun_string": _task(**{"safe-rerun": "yes"}),
    "join_string": _task(join="some"),
    "join_zero": _task(join=0),
    "join_negative": _task(join=-2),
    "with_items_no_in": _task(**{"with-items": "<% [1, 2] %>"}),
    "with_items_number": _task(**{"with-items": 3}),
    "publish_list": _task(publish=["a", "b"]),
    "publish_on_error_string": _task(**{"publish-on-error": "x"}),
    "on_success_unknown_task": _task(**{"on-success": ["nowhere"]}),
    "on_error_unknown_task": _task(**{"on-error": ["nowhere"]}),
    "on_complete_number": _task(**{"on-complete": 5}),
    "on_success_dict_unknown_key": _task(**{"on-success": {"go": ["a"]}}),
    "on_success_condition_unknown": _task(**{"on-success": [
        {"nowhere": "<% true %>"}]}),
    "yaql_syntax": _task(publish={"x": "<% $.( %>"}),
    "jinja_syntax": _task(publish={"x": "{{ _.x | }}"}),
    "action_input_yaql_syntax": {"action": "std.echo output=<% ][ %>"},
    "input_list": {"action": "std.echo", "input": ["output"]},
    "input_string": {"action": "std.echo", "input": "output"},
    "target_in_direct": _task(target="somewhere"),
    "requires_in_direct": _task(requires=["b"]),
    "description_number": _task(description=5),
    "tags_string": _task(tags="one"),
    "concurrency_float": _task(**{"with-items": "i in <% [1] %>",
                                  "concurrency": 1.5}),
    "empty_action_name": {"action": ""},
    "action_not_string": {"action": 5},
    "task_null": None,
    "task_list": ["std.noop"],
    "fail_on_dict": _task(**{"fail-on": {"x": 1}}),
    "retry_break_on_number": _task(retry={"count": 1, "delay": 0,
                                          "break-on": 3}),
    "unknown_engine_command_arg": _task(**{"on-success": ["fail nope=1"]}),
    "empty_on_success": _task(**{"on-success": []}),
    "timeout_zero": _task(timeout=0),
    "wait_before_zero": _task(**{"wait-before": 0}),
    "retry_count_zero": _task(retry={"count": 0, "delay": 0}),
    "with_items_list_value": _task(**{"with-items": ["i in <% [1] %>"]}),
}

BAD_WORKFLOWS = {
    "no_version": "wf_{n}:\n  tasks:\n    a: {{action: std.noop}}\n",
    "version_1": "version: '1.0'\nwf_{n}:\n  tasks:\n    a: "
                 "{{action: std.noop}}\n",
    "version_number": "version: 2.0\nwf_{n}:\n  tasks:\n    a: "
                      "{{action: std.noop}}\n",
    "not_yaml": "version: '2.0'\nwf_{n}: [\n",
    "yaml_list": "- version: '2.0'\n",
    "no_tasks": "version: '2.0'\nwf_{n}:\n  input: [a]\n",
    "empty_tasks": "version: '2.0'\nwf_{n}:\n  tasks: {{}}\n",
    "tasks_list": "version: '2.0'\nwf_{n}:\n  tasks: [a]\n",
    "bad_type": "version: '2.0'\nwf_{n}:\n  type: sideways\n  tasks:\n"
                "    a: {{action: std.noop}}\n",
    "input_dict": "version: '2.0'\nwf_{n}:\n  input: {{a: 1}}\n  tasks:\n"
                  "    a: {{action: std.noop}}\n",
    "input_duplicate": "version: '2.0'\nwf_{n}:\n  input: [a, a]\n  tasks:\n"
                       "    a: {{action: std.noop}}\n",
    "input_number": "version: '2.0'\nwf_{n}:\n  input: [5]\n  tasks:\n"
                    "    a: {{action: std.noop}}\n",
    "output_list": "version: '2.0'\nwf_{n}:\n  output: [a]\n  tasks:\n"
                   "    a: {{action: std.noop}}\n",
    "vars_list": "version: '2.0'\nwf_{n}:\n  vars: [a]\n  tasks:\n"
                 "    a: {{action: std.noop}}\n",
    "unknown_wf_key": "version: '2.0'\nwf_{n}:\n  flavour: mild\n  tasks:\n"
                      "    a: {{action: std.noop}}\n",
    "task_defaults_bad": "version: '2.0'\nwf_{n}:\n  task-defaults:\n"
                         "    retry: 3\n  tasks:\n"
                         "    a: {{action: std.noop}}\n",
    "task_defaults_unknown": "version: '2.0'\nwf_{n}:\n  task-defaults:\n"
                             "    action: std.noop\n  tasks:\n"
                             "    a: {{action: std.noop}}\n",
    "reverse_requires_unknown": "version: '2.0'\nwf_{n}:\n  type: reverse\n"
                                "  tasks:\n    a:\n      action: std.noop\n"
                                "      requires: [nowhere]\n",
    "reverse_on_success": "version: '2.0'\nwf_{n}:\n  type: reverse\n"
                          "  tasks:\n    a:\n      action: std.noop\n"
                          "      on-success: [b]\n"
                          "    b: {{action: std.noop}}\n",
    "two_workflows_one_bad": "version: '2.0'\nwf_{n}:\n  tasks:\n"
                             "    a: {{action: std.noop}}\nwf_{n}_2:\n"
                             "  tasks: 5\n",
    "name_with_space": "version: '2.0'\n'wf {n}':\n  tasks:\n"
                       "    a: {{action: std.noop}}\n",
    "task_name_number": "version: '2.0'\nwf_{n}:\n  tasks:\n"
                        "    5: {{action: std.noop}}\n",
    "output_on_error_list": "version: '2.0'\nwf_{n}:\n  output-on-error: [a]\n"
                            "  tasks:\n    a: {{action: std.noop}}\n",
    "description_dict": "version: '2.0'\nwf_{n}:\n  description: {{a: 1}}\n"
                        "  tasks:\n    a: {{action: std.noop}}\n",
    "tags_string": "version: '2.0'\nwf_{n}:\n  tags: one\n  tasks:\n"
                   "    a: {{action: std.noop}}\n",
}


def _bad_task_text(name, task):
    return workflow_text(name, {"tasks": {"a": task,
                                          "b": {"action": "std.noop"}}})


def _definitions():
    for key, task in BAD_TASKS.items():
        yield "task_" + key, _bad_task_text("g2_def_task_" + key, task)
    for key, text in BAD_WORKFLOWS.items():
        yield "wf_" + key, text.format(n="g2_def_wf_" + key)


def definitions():
    """Each suspicious definition, created (refused or accepted)."""
    for key, text in _definitions():
        yield "definition_%s" % key, {
            "description": "Creating a workflow definition: %s." % key.
            replace("_", " "), "workflow": text,
            "compare": ["error_keys"]}


def validations():
    """The same definitions through POST /workflows/validate."""
    for key, text in _definitions():
        yield "validate_%s" % key, {
            "description": "Validating a workflow definition: %s." % key.
            replace("_", " "),
            "steps": [{"request": {"method": "POST",
                                   "path": "/workflows/validate",
                                   "text": text, "fields": ["valid"]}}]}


BAD_WORKBOOKS = {
    "no_name": "version: '2.0'\nworkflows:\n  w:\n    tasks:\n"
               "      a: {{action: std.noop}}\n",
    "workflows_list": "version: '2.0'\nname: {n}\nworkflows: [a]\n",
    "action_no_base": "version: '2.0'\nname: {n}\nactions:\n  a:\n"
                      "    input: [x]\n",
    "action_base_input_string": "version: '2.0'\nname: {n}\nactions:\n"
                                "  a:\n    base: std.echo\n"
                                "    base-input: text\n",
    "bad_workflow_inside": "version: '2.0'\nname: {n}\nworkflows:\n  w:\n"
                           "    tasks: 3\n",
    "unknown_key": "version: '2.0'\nname: {n}\nrecipes: {{}}\n",
    "only_actions": "version: '2.0'\nname: {n}\nactions:\n  a:\n"
                    "    base: std.echo output=1\n",
    "empty_workflows": "version: '2.0'\nname: {n}\nworkflows: {{}}\n",
    "good": "version: '2.0'\nname: {n}\nworkflows:\n  w:\n    tasks:\n"
            "      a: {{action: std.noop}}\n",
}


def workbooks():
    for key, text in BAD_WORKBOOKS.items():
        body = text.format(n="g2_wb_" + key)
        yield "workbook_create_%s" % key, {
            "description": "Creating a workbook: %s." % key.replace("_", " "),
            "workbook": body, "compare": ["error_keys"]}
        yield "workbook_validate_%s" % key, {
            "description": "Validating a workbook: %s." % key.replace(
                "_", " "),
            "steps": [{"request": {"method": "POST",
                                   "path": "/workbooks/validate",
                                   "text": text.format(n="g2_wbv_" + key),
                                   "fields": ["valid"]}}]}


# --------------------------------------------------------------------------
# Refused REST requests
# --------------------------------------------------------------------------

REQUESTS = {
    "get_execution_unknown": ("GET", "/executions/" + NO_SUCH, None),
    "get_execution_not_uuid": ("GET", "/executions/not-an-id", None),
    "delete_execution_unknown": ("DELETE", "/executions/" + NO_SUCH, None),
    "put_execution_unknown": ("PUT", "/executions/" + NO_SUCH,
                              {"state": "PAUSED"}),
    "get_task_unknown": ("GET", "/tasks/" + NO_SUCH, None),
    "put_task_unknown": ("PUT", "/tasks/" + NO_SUCH, {"state": "RUNNING"}),
    "get_workflow_unknown": ("GET", "/workflows/g2_nowhere", None),
    "delete_workflow_unknown": ("DELETE", "/workflows/g2_nowhere", None),
    "get_workbook_unknown": ("GET", "/workbooks/g2_nowhere", None),
    "delete_workbook_unknown": ("DELETE", "/workbooks/g2_nowhere", None),
    "get_action_unknown": ("GET", "/actions/g2_nowhere", None),
    "delete_action_unknown": ("DELETE", "/actions/g2_nowhere", None),
    "delete_action_system": ("DELETE", "/actions/std.noop", None),
    "get_action_execution_unknown": ("GET", "/action_executions/" + NO_SUCH,
                                     None),
    "put_action_execution_unknown": ("PUT", "/action_executions/" + NO_SUCH,
                                     {"state": "SUCCESS"}),
    "get_environment_unknown": ("GET", "/environments/g2_nowhere", None),
    "delete_environment_unknown": ("DELETE", "/environments/g2_nowhere",
                                   None),
    "get_cron_trigger_unknown": ("GET", "/cron_triggers/g2_nowhere", None),
    "delete_cron_trigger_unknown": ("DELETE", "/cron_triggers/g2_nowhere",
                                    None),
    "post_execution_empty": ("POST", "/executions", {}),
    "post_execution_unknown_field": ("POST", "/executions", {
        "workflow_name": "g2_nowhere", "colour": "blue"}),
    "post_execution_input_list": ("POST", "/executions", {
        "workflow_name": "g2_nowhere", "input": "[1, 2]"}),
    "post_execution_input_bad_json": ("POST", "/executions", {
        "workflow_name": "g2_nowhere", "input": "{not json"}),
    "post_execution_unknown_id": ("POST", "/executions", {
        "workflow_id": NO_SUCH}),
    "post_environment_empty": ("POST", "/environments", {}),
    "post_environment_bad_variables": ("POST", "/environments", {
        "name": "g2_env_bad", "variables": "{not json"}),
    "post_environment_variables_list": ("POST", "/environments", {
        "name": "g2_env_list", "variables": "[1]"}),
    "put_environment_unknown": ("PUT", "/environments", {
        "name": "g2_nowhere", "variables": "{}"}),
    "post_action_execution_unknown": ("POST", "/action_executions", {
        "name": "g2.nowhere"}),
    "post_action_execution_empty": ("POST", "/action_executions", {}),
    "post_action_execution_bad_input": ("POST", "/action_executions", {
        "name": "std.echo", "input": '{"nope": 1}'}),
    "post_cron_trigger_empty": ("POST", "/cron_triggers", {}),
    "post_cron_trigger_unknown_wf": ("POST", "/cron_triggers", {
        "name": "g2_ct_unknown", "workflow_name": "g2_nowhere",
        "pattern": "* * * * *"}),
    "post_cron_trigger_no_pattern": ("POST", "/cron_triggers", {
        "name": "g2_ct_nopattern", "workflow_name": "std.noop"}),
    "list_executions_bad_sort_key": ("GET", "/executions?sort_keys=colour",
                                     None),
    "list_executions_bad_sort_dir": ("GET",
                                     "/executions?sort_dirs=sideways", None),
    "list_executions_bad_limit": ("GET", "/executions?limit=-5", None),
    "list_executions_limit_text": ("GET", "/executions?limit=many", None),
    "list_executions_bad_marker": ("GET", "/executions?marker=" + NO_SUCH,
                                   None),
    "list_workflows_bad_fields": ("GET", "/workflows?fields=colour", None),
    "list_tasks_bad_state_filter": ("GET", "/tasks?state=FINE", None),
    "list_executions_zero_limit": ("GET", "/executions?limit=0", None),
    "post_workflows_empty": ("POST", "/workflows", ""),
    "put_workflows_unknown": ("PUT", "/workflows",
                              "version: '2.0'\ng2_put_unknown:\n  tasks:\n"
                              "    a: {action: std.noop}\n"),
    "post_actions_bad": ("POST", "/actions", "version: '2.0'\ng2_act: 5\n"),
    "post_workbook_empty": ("POST", "/workbooks", ""),
    "get_unknown_collection": ("GET", "/recipes", None),
    "validate_workflow_empty": ("POST", "/workflows/validate", ""),
    "validate_action_bad": ("POST", "/actions/validate",
                            "version: '2.0'\ng2_act_v: 5\n"),
}


def refused_requests():
    for key, (method, path, body) in REQUESTS.items():
        request = {"method": method, "path": path}
        if isinstance(body, str):
            request["text"] = body
        elif body is not None:
            request["json"] = body
        yield "request_%s" % key, {
            "description": "%s %s (%s): status and error shape." % (
                method, path.split("?")[0], key.replace("_", " ")),
            "compare": ["error_keys"],
            "steps": [{"request": request}]}


# --------------------------------------------------------------------------
# Lifecycle requests on executions in each state
# --------------------------------------------------------------------------

def _reach(state, name):
    """A workflow and the steps that bring its execution to ``state``."""
    if state in ("SUCCESS", "ERROR"):
        body = {"tasks": {"a": {"action": "std.noop" if state == "SUCCESS"
                                else FAIL_ACTION}}}
        return body, [{"wait_state": state}]
    body = {"tasks": {"a": {"action": "std.async_noop"}}}
    steps = [{"wait_task": {"name": "a", "state": "RUNNING"}}]
    if state == "PAUSED":
        steps += [{"request": {"method": "PUT", "path": "/executions/{ex}",
                               "json": {"state": "PAUSED"}}},
                  {"wait_state": "PAUSED"}]
    elif state == "CANCELLED":
        steps += [{"request": {"method": "PUT", "path": "/executions/{ex}",
                               "json": {"state": "CANCELLED"}}},
                  {"wait_state": "CANCELLED"}]
    return body, steps


LIFECYCLE_TARGETS = {
    "pause": {"state": "PAUSED"},
    "resume": {"state": "RUNNING"},
    "cancel": {"state": "CANCELLED"},
    "succeed": {"state": "SUCCESS"},
    "fail": {"state": "ERROR", "state_info": "stopped by hand"},
    "env": {"params": {"env": {"k": "v"}}},
    "description": {"description": "relabelled"},
    "idle": {"state": "IDLE"},
}


def lifecycle():
    for state, (target, body_json) in itertools.product(
            ("RUNNING", "PAUSED", "SUCCESS", "ERROR", "CANCELLED"),
            LIFECYCLE_TARGETS.items()):
        name = "g2_life_%s_%s" % (state.lower(), target)
        body, steps = _reach(state, name)
        steps = steps + [
            {"request": {"method": "PUT", "path": "/executions/{ex}",
                         "json": body_json,
                         "fields": ["state", "description"]}},
            {"sleep": 0.5},
            {"get": {"path": "/executions/{ex}",
                     "fields": ["state", "description"]}}]
        if state in ("RUNNING", "PAUSED"):
            steps.append({"request": {"method": "PUT",
                                      "path": "/executions/{ex}",
                                      "json": {"state": "CANCELLED"}}})
        yield make_case("lifecycle_%s_%s" % (state.lower(), target),
                    "A %s request on a %s execution." % (target, state),
                    name, body, steps=steps, final={"timeout": 10})


def task_reruns():
    """PUT /tasks/<id> (rerun) on tasks in each state."""
    variants = {
        "success": ("std.noop", {"state": "RUNNING"}),
        "error": (FAIL_ACTION, {"state": "RUNNING"}),
        "error_reset": (FAIL_ACTION, {"state": "RUNNING", "reset": False}),
        "error_env": (FAIL_ACTION, {"state": "RUNNING",
                                    "env": '{"k": "v"}'}),
        "error_bad_state": (FAIL_ACTION, {"state": "PAUSED"}),
        "error_no_state": (FAIL_ACTION, {}),
    }
    for key, (action, body_json) in variants.items():
        name = "g2_rerun_%s" % key
        body = {"tasks": {"a": {"action": action}}}
        steps = [{"wait_state": "SUCCESS" if action == "std.noop"
                  else "ERROR"},
                 {"request": {"method": "PUT", "path": "/tasks/{task:a}",
                              "json": body_json, "fields": ["state"]}}]
        yield make_case("task_rerun_%s" % key, "Rerun request (%s)." % key,
                    name, body, steps=steps, final={"timeout": 10},
                    compare=["error_keys"])
