"""Run one conformance case against a Mistral v2 API and reduce the outcome.

A case is a YAML file under ``tests/functional/conformance/`` (sub-folders
included). Keys:

* ``description``: what the case shows, in one sentence or two.
* definitions, created in this order: ``environments`` (list of
  ``{name, variables}``), ``actions`` (ad-hoc actions text), ``workbook``,
  ``workflow`` (text) and ``workflows`` (list of ``{definition,
  namespace}``). A definition that already exists is updated (PUT), so a
  case can run again against a long-lived server. A refused definition ends
  the case: its outcome is the refusal (status and error shape).
* ``start``: ``{workflow_name, workflow_namespace, input, params, env}``.
* ``steps`` (optional): interactive requests made after the start, in
  order; see :func:`_step`.
* ``final`` (optional): the state to wait for (default: any terminal state)
  and ``timeout`` (seconds, default 30).
* ``compare`` (optional): outcome fields that are left out by default and
  that this case compares (``state_info_head``: the first 40 characters
  of a state_info; ``fault_head``: the same of a refusal's faultstring;
  ``error_keys``: the keys of a refusal's body).
* ``ignore`` (optional): dotted paths of the outcome not to compare
  (``*`` matches any key or index), e.g. ``execution.output.result``.
* ``http: true``: the case calls the stub HTTP server (``@STUB@`` in any
  text is replaced by its URL, and the URL by ``@STUB@`` in the outcome;
  ``@STUBHOST@`` by its host and port).
* ``workbook_file`` (instead of ``workbook``): a public workbook kept under
  ``conformance/realworld/`` (that folder holds definitions, not cases).
* ``expect`` (optional): hand-written expectations checked by
  ``test_conformance.py`` on top of the recorded outcome.

The outcome of a case on Mistral 23.0.0 is recorded next to it
(``<case>.golden.json``) by ``tools/differential.py --record``;
``test_differential.py`` compares wfengine's outcome with it.
"""
import fnmatch
import json
import os
import re
import time

import requests
import yaml

CASE_DIR = os.path.join(os.path.dirname(__file__), "conformance")
KNOWN_FILE = os.path.join(CASE_DIR, "known_differences.yaml")
STUB_MARK = "@STUB@"
STUB_HOST_MARK = "@STUBHOST@"     # the stub's host:port, without scheme
REALWORLD = "realworld"           # public definitions, not cases
TERMINAL = ("SUCCESS", "ERROR", "CANCELLED")
DEFAULT_TIMEOUT = 30
# Task states that change by themselves, and how long (s) to wait for the
# tasks of an ended execution to leave them.
MOVING = ("RUNNING", "DELAYED", "RUNNING_DELAYED")
SETTLE = 5
UNREADABLE = "<unreadable>"
HEAD = 40          # characters of a message kept as its "head"
# Fields recorded but only compared when a case lists them in ``compare``.
OPTIONAL_FIELDS = ("state_info_head", "fault_head", "error_keys")

UUID_RE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME_RE = re.compile(
    r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?")


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

def case_id(path):
    rel = os.path.relpath(path, CASE_DIR)
    return os.path.splitext(rel)[0].replace(os.sep, ".")


def golden_path(case):
    return os.path.splitext(case["path"])[0] + ".golden.json"


def load_cases(names=None):
    """Every case, sorted by id; ``names``: fnmatch patterns of ids."""
    cases = []
    for root, dirs, files in os.walk(CASE_DIR):
        dirs[:] = [d for d in dirs if d != REALWORLD]  # definitions only
        for name in files:
            if not name.endswith(".yaml") or name == "known_differences.yaml":
                continue
            path = os.path.join(root, name)
            with open(path) as f:
                case = yaml.safe_load(f)
            case["path"] = path
            if "workbook_file" in case:       # a file of realworld/
                with open(os.path.join(CASE_DIR,
                                       case["workbook_file"])) as f:
                    case["workbook"] = f.read()
            case["id"] = case_id(path)
            cases.append(case)
    cases.sort(key=lambda c: c["id"])
    if names:
        cases = [c for c in cases
                 if any(fnmatch.fnmatch(c["id"], n) for n in names)]
    return cases


def load_golden(case):
    path = golden_path(case)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def write_golden(case, outcome):
    with open(golden_path(case), "w") as f:
        json.dump(outcome, f, indent=1, sort_keys=True)
        f.write("\n")


def load_known():
    """``{case id: {"kind": "known"|"deliberate", "reason": text}}``."""
    if not os.path.exists(KNOWN_FILE):
        return {}
    with open(KNOWN_FILE) as f:
        return yaml.safe_load(f) or {}


# --------------------------------------------------------------------------
# The stub HTTP server's answers (std.http cases)
# --------------------------------------------------------------------------

def stub_default(record):
    if "/ok" in record["path"]:
        return 200, {"path": record["path"]}
    if "/fail" in record["path"]:
        return 500, {"error": "failing on purpose"}
    return 404, {"error": "no route"}


def stub_echo(record):
    return 200, {"method": record["method"], "json": record["json"],
                 "header": record["headers"].get("x-conformance")}


STUB_ROUTES = {"/echo": stub_echo}


# --------------------------------------------------------------------------
# Normalising
# --------------------------------------------------------------------------

def decode(value):
    """A JSON-string field of a resource, decoded (bad JSON stays text)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# The text of an error differs between implementations (Mistral puts a
# Python traceback and its class names there); that a value is an error
# message is what workflows and clients rely on.
ERROR_TEXT = "<error text>"
ERROR_RE = re.compile(
    r"^(Failure caused by error in tasks|Failed to |The action raised an "
    r"exception|Can not evaluate )|Traceback \(most recent call last\)|"
    r" failed as the workflow asked$")


def scrub(value, stub_url=None, errors=True):
    """Ids and times replaced by placeholders, the stub URL by its mark,
    error messages by :data:`ERROR_TEXT` (not in the message heads)."""
    if isinstance(value, dict):
        return {k: scrub(v, stub_url, errors and k not in OPTIONAL_FIELDS)
                for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, stub_url, errors) for v in value]
    if isinstance(value, str):
        if errors and ERROR_RE.search(value):
            return ERROR_TEXT
        if stub_url:
            value = value.replace(stub_url, STUB_MARK).replace(
                stub_url.split("://")[-1], STUB_HOST_MARK)
        return TIME_RE.sub("<time>", UUID_RE.sub("<id>", value))
    return value


def head(text):
    """The start of a message, ids and times replaced first (so that a
    cut does not leave half an id)."""
    if not text:
        return None
    return TIME_RE.sub("<time>", UUID_RE.sub("<id>", str(text)))[:HEAD]


def refusal(resp):
    """Status and error shape of a refused request."""
    try:
        body = resp.json()
    except ValueError:
        return {"status": resp.status_code, "body": "not JSON"}
    out = {"status": resp.status_code}
    if isinstance(body, dict):
        out["faultstring"] = isinstance(body.get("faultstring"), str)
        out["error_keys"] = sorted(body)
        out["fault_head"] = head(body.get("faultstring"))
    return out


# --------------------------------------------------------------------------
# Talking to a server
# --------------------------------------------------------------------------

class Server:
    """The v2 calls a case makes; ``url`` ends with ``/v2``."""

    def __init__(self, url, stub_url=None):
        self.url = url.rstrip("/")
        self.stub_url = stub_url
        self.session = requests.Session()

    def call(self, method, path, **kwargs):
        kwargs.setdefault("timeout", 60)
        return self.session.request(method, self.url + path, **kwargs)

    def get(self, path, **params):
        resp = self.call("GET", path, params=params or None)
        resp.raise_for_status()
        return resp.json()

    def put_text(self, path, text, namespace=None):
        """Create a definition, or update it when it exists already."""
        params = {"namespace": namespace} if namespace else None
        headers = {"Content-Type": "text/plain"}
        resp = self.call("POST", path, data=text.encode(), params=params,
                         headers=headers)
        if resp.status_code == 409:
            resp = self.call("PUT", path, data=text.encode(), params=params,
                             headers=headers)
        return resp

    def put_environment(self, env):
        body = {"name": env["name"],
                "variables": json.dumps(env["variables"])}
        if "description" in env:
            body["description"] = env["description"]
        resp = self.call("POST", "/environments", json=body)
        if resp.status_code == 409:
            resp = self.call("PUT", "/environments", json=body)
        return resp

    def execution(self, ex_id):
        return self.get("/executions/%s" % ex_id)

    def tasks(self, ex_id):
        listed = self.get("/tasks", workflow_execution_id=ex_id)["tasks"]
        return [self._full_task(t) for t in listed]

    def _full_task(self, listed):
        resp = self.call("GET", "/tasks/%s" % listed["id"])
        if resp.status_code == 200:
            return resp.json()
        # Mistral 23.0.0 cannot show some tasks one by one (a detached
        # SQLAlchemy instance while it renders the result): keep what the
        # list shows and mark the result as not comparable.
        return dict(listed, result=UNREADABLE)

    def actions(self, task_id):
        return self.get("/action_executions",
                        task_execution_id=task_id)["action_executions"]

    def children(self, task_id):
        found = self.get("/executions", task_execution_id=task_id)
        return [e for e in found["executions"]
                if e.get("task_execution_id") == task_id]

    def wait_tasks_settled(self, ex_id, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            tasks = self.get("/tasks", workflow_execution_id=ex_id)["tasks"]
            if not any(t["state"] in MOVING for t in tasks):
                return
            time.sleep(0.1)

    def wait(self, ex_id, states, timeout):
        deadline = time.monotonic() + timeout
        while True:
            ex = self.execution(ex_id)
            if ex["state"] in states or time.monotonic() > deadline:
                return ex
            time.sleep(0.1)


# --------------------------------------------------------------------------
# Running a case
# --------------------------------------------------------------------------

def _setup(server, case, sub):
    """Create the case's definitions; a refusal as a dict, else None."""
    requests_ = []
    for env in case.get("environments", []):
        requests_.append(("environment", lambda e=env:
                          server.put_environment(json.loads(sub(
                              json.dumps(e))))))
    for key, path in (("actions", "/actions"), ("workbook", "/workbooks"),
                      ("workflow", "/workflows")):
        if case.get(key):
            requests_.append((key, lambda p=path, k=key:
                              server.put_text(p, sub(case[k]))))
    for wf in case.get("workflows", []):
        requests_.append(("workflows", lambda w=wf: server.put_text(
            "/workflows", sub(w["definition"]), w.get("namespace"))))
    for what, send in requests_:
        resp = send()
        if resp.status_code >= 300:
            return {"refused": what, **refusal(resp)}
    return None


def _start_body(start, sub):
    body = {"workflow_name": start["workflow_name"]}
    for key in ("workflow_namespace", "description"):
        if key in start:
            body[key] = start[key]
    if "input" in start:
        body["input"] = sub(json.dumps(start["input"]))
    params = dict(start.get("params", {}))
    if "env" in start:
        params["env"] = start["env"]
    if params:
        body["params"] = sub(json.dumps(params))
    return body


def run_case(server, case):
    """The normalised outcome of ``case`` on ``server``."""
    stub_url = server.stub_url or ""

    def sub(text):
        return text.replace(STUB_MARK, stub_url).replace(
            STUB_HOST_MARK, stub_url.split("://")[-1])

    refused = _setup(server, case, sub)
    if refused:
        return {"setup": refused}
    if "start" not in case:
        steps = [_step(server, None, step, sub)
                 for step in case.get("steps", [])]
        return scrub({"setup": "accepted", "steps": steps}, stub_url)
    resp = server.call("POST", "/executions",
                       json=_start_body(case["start"], sub))
    if resp.status_code >= 300:
        return {"start": refusal(resp)}
    ex_id = resp.json()["id"]
    outcome = {}
    steps = [_step(server, ex_id, step, sub) for step in case.get("steps", [])]
    if steps:
        outcome["steps"] = steps
    final = case.get("final", {})
    wanted = final.get("state")
    ex = server.wait(ex_id, (wanted,) if wanted else TERMINAL,
                     final.get("timeout", DEFAULT_TIMEOUT))
    if final.get("settle"):
        time.sleep(final["settle"])
        ex = server.execution(ex_id)
    elif ex["state"] in TERMINAL:
        # An execution may end (failed at once) while tasks of other
        # branches still finish their actions: read them once they have.
        server.wait_tasks_settled(ex_id, SETTLE)
    outcome["execution"] = _execution_view(ex)
    outcome["tasks"] = _task_views(server, ex_id)
    return scrub(outcome, stub_url)


def _execution_view(ex):
    output = decode(ex.get("output"))
    if ex["state"] == "ERROR" and isinstance(output, dict) and isinstance(
            output.get("result"), str):
        output = dict(output, result=ERROR_TEXT)
    return {"state": ex["state"],
            "state_info": bool(ex.get("state_info")),
            "state_info_head": head(ex.get("state_info")),
            "output": output}


def _task_views(server, ex_id):
    """``{task name: [one view per task execution]}``."""
    views = {}
    for task in server.tasks(ex_id):
        actions = sorted((a["name"], a["state"])
                         for a in server.actions(task["id"]))
        view = {"state": task["state"],
                "state_info": bool(task.get("state_info")),
                "state_info_head": head(task.get("state_info")),
                "published": decode(task.get("published")),
                "result": _result(task),
                "actions": [list(a) for a in actions]}
        subs = server.children(task["id"])
        if subs:
            view["subworkflows"] = sorted(s["state"] for s in subs)
        views.setdefault(task["name"], []).append(view)
    for same_name in views.values():
        same_name.sort(key=lambda v: json.dumps(v, sort_keys=True))
    return views


def _result(task):
    result = decode(task.get("result"))
    # An error's text differs between implementations (Mistral puts a
    # Python traceback there); its presence is what clients rely on.
    if task["state"] == "ERROR" and isinstance(result, str):
        return ERROR_TEXT
    return result


# --------------------------------------------------------------------------
# Interactive steps
# --------------------------------------------------------------------------

def _step(server, ex_id, step, sub):
    """One step. Kinds (the single key of the step):

    * ``wait_state: STATE``: wait (10 s at most) for the execution state.
    * ``wait_task: {name, state}``: wait for a task in that state.
    * ``sleep: seconds``.
    * ``request: {method, path, json, text, fields}``: send a request;
      ``{ex}`` in the path is the execution id, ``{task:NAME}`` the id of
      the task NAME, ``{action:NAME}`` the id of the latest action
      execution of the task NAME. Records the status, the error shape of
      a refusal, and the response's ``fields`` when given. ``{child:NAME}``
      is the id of the latest sub-workflow execution of the task NAME.
    * ``get: {path, fields}``: record ``fields`` of a resource.
    """
    (kind, arg), = step.items()
    if kind == "wait_state":
        return {"state": server.wait(ex_id, (arg,), 10)["state"]}
    if kind == "wait_task":
        return _wait_task(server, ex_id, arg)
    if kind == "sleep":
        time.sleep(arg)
        return {"slept": arg}
    if kind == "request":
        return _request(server, ex_id, arg, sub)
    if kind == "get":
        data = server.get(_path(server, ex_id, arg["path"]))
        return {"fields": _fields(data, arg.get("fields"))}
    raise ValueError("unknown step %r" % kind)


def _wait_task(server, ex_id, arg):
    deadline = time.monotonic() + arg.get("timeout", 10)
    while True:
        tasks = server.get("/tasks", workflow_execution_id=ex_id)["tasks"]
        found = [t for t in tasks if t["name"] == arg["name"]
                 and t["state"] == arg.get("state", t["state"])]
        if found or time.monotonic() > deadline:
            return {"task": arg["name"],
                    "state": found[0]["state"] if found else None}
        time.sleep(0.1)


def _path(server, ex_id, path):
    def replace(match):
        kind, name = match.group(1), match.group(2)
        if kind == "ex":
            return ex_id
        tasks = [t for t in server.get("/tasks", workflow_execution_id=ex_id)[
            "tasks"] if t["name"] == name]
        if not tasks:
            return "no-such-task"
        if kind == "task":
            return tasks[-1]["id"]
        if kind == "child":
            children = server.children(tasks[-1]["id"])
            return children[-1]["id"] if children else "no-such-child"
        actions = server.actions(tasks[-1]["id"])
        return actions[-1]["id"] if actions else "no-such-action"
    return re.sub(r"\{(ex|task|action|child)(?::([^}]+))?\}", replace, path)


def _fields(data, fields):
    if not fields:
        return None
    return {f: decode(data.get(f)) for f in fields}


def _request(server, ex_id, arg, sub):
    kwargs = {}
    if "json" in arg:
        kwargs["json"] = json.loads(sub(json.dumps(arg["json"])))
    if "text" in arg:
        kwargs["data"] = sub(arg["text"]).encode()
        kwargs["headers"] = {"Content-Type": "text/plain"}
    resp = server.call(arg.get("method", "GET"),
                       _path(server, ex_id, arg["path"]), **kwargs)
    if resp.status_code >= 300:
        return refusal(resp)
    out = {"status": resp.status_code}
    if arg.get("fields"):
        out["fields"] = _fields(resp.json(), arg["fields"])
    return out


# --------------------------------------------------------------------------
# Comparing
# --------------------------------------------------------------------------

def _ignored(case):
    compared = set(case.get("compare", []))
    patterns = ["*.%s" % f for f in OPTIONAL_FIELDS if f not in compared]
    return patterns + list(case.get("ignore", []))


def differences(case, expected, actual):
    """``path: expected vs actual`` lines (empty: the outcomes match)."""
    ignore = _ignored(case)
    out = []
    _diff(expected, actual, "", ignore, out)
    return out


def _skip(path, ignore):
    return any(fnmatch.fnmatchcase(path, p) for p in ignore)


def _diff(want, got, path, ignore, out):
    if (path and _skip(path, ignore)) or want == UNREADABLE:
        return
    if isinstance(want, dict) and isinstance(got, dict):
        for key in sorted(set(want) | set(got)):
            where = "%s.%s" % (path, key) if path else str(key)
            if _skip(where, ignore):
                continue
            if key not in got:
                out.append("%s: missing (Mistral: %s)" % (where, _short(
                    want[key])))
            elif key not in want:
                out.append("%s: extra %s" % (where, _short(got[key])))
            else:
                _diff(want[key], got[key], where, ignore, out)
        return
    if isinstance(want, list) and isinstance(got, list) and len(
            want) == len(got):
        for i, (w, g) in enumerate(zip(want, got)):
            _diff(w, g, "%s.%d" % (path, i), ignore, out)
        return
    if want != got or type(want) is not type(got):
        if isinstance(want, (int, float)) and isinstance(got, (int, float)) \
                and not isinstance(got, bool) and want == got:
            return
        out.append("%s: Mistral %s, wfengine %s" % (
            path or "outcome", _short(want), _short(got)))


def _short(value, limit=300):
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "..."
