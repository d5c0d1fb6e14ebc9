"""The console's actions: each one the API call a client would make.

Dialogs (``GET``) show what an action needs; their forms ``POST`` here,
the console makes the API call and answers with a note: the API's own
message when it refuses. A success also tells the page to refresh its
live part (``HX-Trigger: console-done``).
"""
import json

from wfengine.console import masking
from wfengine.console import web

EXECUTION_STATES = {"PAUSED": "Pause asked", "RUNNING": "Resume asked",
                    "CANCELLED": "Cancel asked"}
MARK_STATES = ("IDLE", "SUCCESS")
DONE = web.DONE_EVENT


def _env_keys(page, ex_id):
    execution = page.api.get("/executions/%s" % ex_id).data
    params = execution.get("params") or {}
    if isinstance(params, str):
        params = json.loads(params or "{}")
    return masking.masked_env(params.get("env") or {})


def _task(page, task_id):
    return page.api.get("/tasks/%s" % task_id).data


@web.route("GET", "/executions/{ex_id}/resume")
def resume_dialog(page, ex_id):
    """The resume dialog: an optional env overlay."""
    return page.render("_dialog_resume.html", ex_id=ex_id,
                       env=_env_keys(page, ex_id))


@web.route("POST", "/executions/{ex_id}/state")
def set_state(page, ex_id):
    """Pause, resume (with an env overlay) or cancel the execution."""
    state = page.request.POST.get("state", "")
    if state not in EXECUTION_STATES:
        raise web.apiclient.ApiError(
            400, "Unknown action: the field 'state' must be one of %s"
            % ", ".join(EXECUTION_STATES))
    body = {"state": state}
    env = page.form_json("env", "The env overlay") if state == "RUNNING" \
        else None
    if env:
        body["params"] = {"env": env}
    updated = page.api.put("/executions/%s" % ex_id, body)
    return page.flash("%s: the execution is %s" % (
        EXECUTION_STATES[state], updated["state"]), ok=True, trigger=DONE)


@web.route("GET", "/tasks/{task_id}/rerun")
def rerun_dialog(page, task_id):
    """The re-run dialog: env overlay, reset."""
    task = _task(page, task_id)
    return page.render("_dialog_rerun.html", task=task,
                       env=_env_keys(page, task["workflow_execution_id"]))


@web.route("POST", "/tasks/{task_id}/rerun")
def rerun(page, task_id):
    """Re-run a failed task (``PUT /v2/tasks/<id>`` state RUNNING)."""
    body = {"state": "RUNNING",
            "reset": page.request.POST.get("reset") == "on"}
    env = page.form_json("env", "The env overlay")
    if env:
        body["env"] = env
    task = page.api.put("/tasks/%s" % task_id, body)
    return page.flash("Task %s re-run: it is %s" % (task["name"],
                                                    task["state"]),
                      ok=True, trigger=DONE)


@web.route("GET", "/tasks/{task_id}/mark")
def mark_dialog(page, task_id):
    """The mark dialog: replay (IDLE) or fixed by hand (SUCCESS)."""
    return page.render("_dialog_mark.html", task=_task(page, task_id))


@web.route("POST", "/tasks/{task_id}/mark")
def mark(page, task_id):
    """Mark a failed task IDLE or SUCCESS (with published values)."""
    state = page.request.POST.get("state", "")
    if state not in MARK_STATES:
        raise web.apiclient.ApiError(
            400, "A task can only be marked %s (the field 'state')"
            % " or ".join(MARK_STATES))
    body = {"state": state}
    if state == "SUCCESS":
        published = page.form_json("published", "Published values")
        if published:
            body["published"] = published
        info = page.request.POST.get("state_info", "").strip()
        if info:
            body["state_info"] = info
    task = page.api.put("/tasks/%s" % task_id, body)
    return page.flash("Task %s marked %s; resume the execution to go on"
                      % (task["name"], task["state"]), ok=True,
                      trigger=DONE)


@web.route("GET", "/action_executions/{action_ex_id}/complete")
def complete_dialog(page, action_ex_id):
    """The dialog completing an asynchronous action."""
    action = page.api.get("/action_executions/%s" % action_ex_id).data
    return page.render("_dialog_complete.html", action=action)


@web.route("POST", "/action_executions/{action_ex_id}/complete")
def complete(page, action_ex_id):
    """Complete an asynchronous action with an output (any JSON; text
    that is not JSON is sent as a string)."""
    state = page.request.POST.get("state", "SUCCESS")
    text = page.request.POST.get("output", "").strip()
    try:
        output = json.loads(text) if text else None
    except ValueError:
        output = text
    body = {"state": state, "output": output}
    action = page.api.put("/action_executions/%s" % action_ex_id, body)
    return page.flash("Action %s completed: %s" % (action["name"],
                                                   action["state"]),
                      ok=True, trigger=DONE)
