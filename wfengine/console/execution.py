"""``/console/executions/<id>``: one execution as a picture.

The page's live part (state, graph, failing task, timeline, tasks, data)
is polled with conditional requests and swapped in place; dialogs for the
actions live outside it, so that a refresh never loses what is typed.
"""
import functools
import json

from wfengine.console import conditional
from wfengine.console import formatting
from wfengine.console import graph
from wfengine.console import masking
from wfengine.console import web
from wfengine.core.lang import parser
from wfengine import exceptions

TASK_FIELDS = ("id,name,type,state,state_info,published,runtime_context,"
               "created_at,updated_at,started_at,finished_at")
WAITING_FIELDS = "id,name,task_name,task_execution_id,state,created_at"
CHILD_FIELDS = ("id,workflow_name,state,task_execution_id,created_at,"
                "updated_at")
FINISHED = ("SUCCESS", "ERROR", "CANCELLED")
TASK_FINISHED = FINISHED + ("SKIPPED",)
# Action executions shown in a task's details, and running ones offered
# for completion (a with-items task may have thousands).
DETAIL_ACTIONS = 20
WAITING_LIMIT = 20
# Task runs read for one view (a page, not an export).
TASK_LIMIT = 1000


def _reads(page, ex_id, held):
    return conditional.Reads(page.api, held, [
        ("/executions/%s" % ex_id, None),
        ("/executions/%s/tasks" % ex_id,
         {"fields": TASK_FIELDS, "sort_keys": "created_at",
          "limit": TASK_LIMIT}),
        ("/action_executions",
         {"workflow_execution_id": ex_id, "state": "RUNNING",
          "fields": WAITING_FIELDS, "limit": WAITING_LIMIT,
          "sort_keys": "created_at"})])


def live_values(page, ex_id, held=None):
    """``(values for _live.html, tag)``; values None when unchanged."""
    reads = _reads(page, ex_id, held)
    if reads.unchanged():
        return None, reads.tag
    execution, task_body, waiting = reads.data
    masker = masking.Masker(masking.secret_values(
        _json(execution.get("params")).get("env") or {}))
    tasks = [_task_view(t, masker) for t in task_body["tasks"]]
    children = _children(page, tasks)
    spec, spec_error = _spec(page, execution)
    drawing = graph.build(spec, _statuses(tasks, children, ex_id)) \
        if spec else None
    values = {
        "ex": _execution_view(execution, masker),
        "tasks": tasks, "failed": _failed(tasks),
        "waiting": waiting["action_executions"],
        "waiting_limit": WAITING_LIMIT, "task_limit": TASK_LIMIT,
        "children": children, "parent": _parent(page, execution),
        "graph": drawing, "spec_error": spec_error,
        "timeline": _timeline(execution, tasks),
        "title": "%s %s" % (execution["state"], execution["workflow_name"]),
    }
    return values, reads.tag


def _json(value):
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return {}
    return value or {}


def _execution_view(execution, masker):
    params = _json(execution.get("params"))
    shown = dict(execution)
    shown["input"] = masker.data(execution.get("input"))
    shown["output"] = masker.data(execution.get("output"))
    shown["state_info"] = masker.text(execution.get("state_info"))
    shown["env"] = masking.masked_env(params.get("env") or {})
    shown["params"] = masker.data(
        {k: v for k, v in params.items() if k != "env"})
    for entry in shown["params"].get("notify") or []:
        if isinstance(entry, dict) and entry.get("headers"):
            entry["headers"] = masking.masked_env(entry["headers"])
    shown["finished"] = execution["state"] in FINISHED
    shown["seconds"] = formatting.seconds_between(
        execution["created_at"],
        execution["updated_at"] if shown["finished"] else None)
    return shown


def _task_view(task, masker):
    shown = dict(task)
    shown["state_info"] = masker.text(task.get("state_info"))
    shown["published"] = masker.data(task.get("published"))
    context = _json(task.get("runtime_context"))
    shown["items"] = context.get("with_items")
    shown.pop("runtime_context", None)
    start = task.get("started_at") or task.get("created_at")
    end = None
    if task["state"] in TASK_FINISHED:
        end = task.get("finished_at") or task.get("updated_at")
    shown["start"], shown["end"] = start, end
    shown["seconds"] = formatting.seconds_between(start, end)
    return shown


def _failed(tasks):
    """The latest run of each task name when it is in ERROR."""
    latest = {}
    for task in tasks:
        latest[task["name"]] = task
    return [t for t in latest.values() if t["state"] == "ERROR"]


def _children(page, tasks):
    ids = [t["id"] for t in tasks if t.get("type") == "WORKFLOW"]
    if not ids:
        return []
    body = page.api.get("/executions", {
        "task_execution_id": "in:" + ",".join(ids),
        "fields": CHILD_FIELDS, "sort_keys": "created_at,id"}).data
    return body["executions"]


def _parent(page, execution):
    task_id = execution.get("task_execution_id")
    if not task_id:
        return None
    try:
        task = page.api.get("/tasks/%s" % task_id).data
    except web.apiclient.ApiError:
        return None
    return {"id": task["workflow_execution_id"], "task": task["name"],
            "workflow_name": task.get("workflow_name")}


def _spec(page, execution):
    """The execution's workflow spec (its current definition), or
    ``(None, why)``."""
    try:
        workflow = page.api.get("/workflows/%s"
                                % execution["workflow_id"]).data
    except web.apiclient.ApiError as e:
        return None, "The workflow's definition can not be read: %s" % (
            e.message)
    try:
        specs = parse(workflow["definition"])
    except exceptions.WFEngineException as e:
        return None, str(e)
    for spec in specs:
        if spec.name == execution["workflow_name"]:
            return spec, None
    return specs[0] if specs else None, None


@functools.lru_cache(maxsize=256)
def parse(definition):
    """The specs of a definition's text. Parsing validates every
    expression (most of a page's cost); the text is read from the API on
    every view, so a cached parse never shows an outdated graph."""
    return tuple(parser.parse_workflows(definition))


def _statuses(tasks, children, ex_id):
    by_task = {c["task_execution_id"]: c for c in children}
    statuses = {}
    for task in tasks:
        status = statuses.setdefault(task["name"], graph.NodeState())
        status.runs += 1
        status.state = task["state"]
        status.items = task["items"]
        status.anchor = "task-" + task["id"]
        child = by_task.get(task["id"])
        if child:
            status.link = "%s/executions/%s" % (web.PREFIX, child["id"])
    return statuses


def _timeline(execution, tasks):
    """Each task run as a bar: offset and width in % of the execution's
    span so far."""
    begin = formatting.parse_time(execution["created_at"])
    finished = execution["state"] in FINISHED
    end = formatting.parse_time(execution["updated_at"]) if finished \
        else formatting.utcnow()
    span = max((end - begin).total_seconds(), 0.001) if begin else 1
    bars = []
    for task in sorted(tasks, key=lambda t: t["start"] or ""):
        start = formatting.parse_time(task["start"])
        if start is None or begin is None:
            continue
        offset = max((start - begin).total_seconds(), 0) / span * 100
        width = (task["seconds"] or 0) / span * 100
        bars.append({"task": task, "left": min(offset, 99.5),
                     "width": max(min(width, 100 - offset), 0.5)})
    return {"bars": bars, "span": span}


@web.route("GET", "/executions/{ex_id}")
def execution_page(page, ex_id):
    """The execution page."""
    values, tag = live_values(page, ex_id)
    return page.render("execution.html", part_tag=tag, **values)


@web.route("GET", "/executions/{ex_id}/live")
def live(page, ex_id):
    """The live part alone (htmx polls it; 304 when nothing changed)."""
    values, tag = live_values(page, ex_id, page.if_none_match())
    if values is None:
        return page.not_modified(tag)
    return page.render("_live.html", etag=tag, part_tag=tag, **values)


@web.route("GET", "/tasks/{task_id}/details")
def task_details(page, task_id):
    """A task's result and its action executions (input, output), masked
    with its execution's env; loaded when the row is opened."""
    task = page.api.get("/tasks/%s" % task_id).data
    execution = page.api.get("/executions/%s"
                             % task["workflow_execution_id"]).data
    masker = masking.Masker(masking.secret_values(
        _json(execution.get("params")).get("env") or {}))
    actions = page.api.get("/tasks/%s/action_executions" % task_id, {
        "fields": "id,name,state,state_info,input,output,created_at",
        "limit": DETAIL_ACTIONS, "sort_keys": "created_at"}).data
    shown = [dict(a, input=masker.data(a.get("input")),
                  output=masker.data(a.get("output")),
                  state_info=masker.text(a.get("state_info")))
             for a in actions["action_executions"]]
    return page.render("_task_details.html", task=task,
                       result=masker.data(task.get("result")),
                       actions=shown, limit=DETAIL_ACTIONS)
