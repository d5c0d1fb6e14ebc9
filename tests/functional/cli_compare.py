"""Every command of python-mistralclient's v2 shell, run against a server.

One script (:data:`SCRIPT`) drives the real ``mistral`` CLI with
``--os-mistral-url`` through the life of every resource (create, list,
show, update, the getters, delete, and a few refusals), in table form and
in ``-f json``. Each output is reduced to what does not depend on the
server's ids and clocks: tables are parsed into rows of cells, JSON is
decoded, ids and times become placeholders. ``tools/cli_compare.py``
records Mistral 23.0.0's outputs (``cli_compare/mistral.golden.json``) and
prints the differences; ``test_cli_compare.py`` holds wfengine to them.
"""
import json
import os
import re
import subprocess
import time

import yaml

from tests.functional import differential

HERE = os.path.join(os.path.dirname(__file__), "cli_compare")
GOLDEN = os.path.join(HERE, "mistral.golden.json")
KNOWN = os.path.join(HERE, "known_differences.yaml")
NO_SUCH = "00000000-0000-4000-8000-000000000000"

FILES = {
    "wf.yaml": """\
version: '2.0'
clicmp_wf:
  description: greets
  input:
    - name
    - greeting: "Hello"
  output:
    text: <% $.text %>
  tasks:
    hello:
      action: std.echo output="<% $.greeting %>, <% $.name %>"
      publish:
        text: <% task().result %>
      on-success: [child]
    child:
      workflow: clicmp_child
clicmp_child:
  tasks:
    c:
      action: std.noop
""",
    "async.yaml": """\
version: '2.0'
clicmp_async:
  tasks:
    wait:
      action: std.async_noop
      publish:
        got: <% task().result %>
  output:
    got: <% $.got %>
clicmp_rerun:
  tasks:
    upper:
      action: std.echo output=<% env().k.toUpper() %>
      publish:
        up: <% task().result %>
  output:
    up: <% $.up %>
""",
    "bad.yaml": "version: '2.0'\nclicmp_bad:\n  tasks: 5\n",
    "act.yaml": """\
version: '2.0'
clicmp_act:
  description: says it twice
  base: std.echo
  base-input:
    output: <% $.word %> <% $.word %>
  input: [word]
""",
    "wb.yaml": """\
version: '2.0'
name: clicmp_wb
description: a book
actions:
  shout:
    base: std.echo output="HEY"
workflows:
  inner:
    tasks:
      t:
        action: shout
""",
    "env.yaml": "name: clicmp_env\ndescription: one\nvariables:\n  k: v\n",
    "env2.yaml": "name: clicmp_env\ndescription: two\nvariables:\n  k: w\n",
    "src.py": "from mistral_lib import actions\n\n\n"
              "class Hi(actions.Action):\n"
              "    def run(self, context):\n        return 'hi'\n",
}

B, J, P, S = "both", "json", "plain", "setup"   # S: run, not compared

# (form, argv, {variable: (json key, row index or None)})
SCRIPT = [
    (S, ["workflow-delete", "clicmp_wf", "clicmp_child", "clicmp_async",
         "clicmp_rerun"], {}),
    (S, ["workbook-delete", "clicmp_wb"], {}),
    (S, ["action-delete", "clicmp_act"], {}),
    (S, ["environment-delete", "clicmp_env"], {}),
    (S, ["cron-trigger-delete", "clicmp_ct"], {}),
    (B, ["workflow-validate", "wf.yaml"], {}),
    (B, ["workflow-validate", "bad.yaml"], {}),
    (J, ["workflow-create", "wf.yaml"], {"wf_id": ("ID", 0)}),
    (P, ["workflow-create", "wf.yaml"], {}),
    (J, ["workflow-create", "async.yaml"], {}),
    (P, ["workflow-create", "bad.yaml"], {}),
    (B, ["workflow-list", "--filter", "name=clicmp_wf"], {}),
    (B, ["workflow-get", "clicmp_wf"], {}),
    (P, ["workflow-get-definition", "clicmp_wf"], {}),
    (B, ["workflow-update", "wf.yaml"], {}),
    (P, ["workflow-get", "clicmp_nowhere"], {}),
    (B, ["action-validate", "act.yaml"], {}),
    (J, ["action-create", "act.yaml"], {}),
    (B, ["action-list", "--filter", "name=clicmp_act"], {}),
    (B, ["action-get", "clicmp_act"], {}),
    (P, ["action-get-definition", "clicmp_act"], {}),
    (B, ["action-update", "act.yaml"], {}),
    (P, ["action-get", "clicmp_nowhere"], {}),
    (B, ["workbook-validate", "wb.yaml"], {}),
    (J, ["workbook-create", "wb.yaml"], {}),
    (B, ["workbook-list", "--filter", "name=clicmp_wb"], {}),
    (B, ["workbook-get", "clicmp_wb"], {}),
    (P, ["workbook-get-definition", "clicmp_wb"], {}),
    (B, ["workbook-update", "wb.yaml"], {}),
    (J, ["environment-create", "env.yaml"], {}),
    (B, ["environment-list", "--filter", "name=clicmp_env"], {}),
    (B, ["environment-get", "clicmp_env"], {}),
    (P, ["environment-get", "--export", "clicmp_env"], {}),
    (B, ["environment-update", "env2.yaml"], {}),
    (J, ["execution-create", "clicmp_wf", '{"name": "cli"}', "-d", "one"],
     {"ex": ("ID", None)}),
    ("wait", "{ex}", "SUCCESS"),
    (B, ["execution-get", "{ex}"], {}),
    (P, ["execution-get-input", "{ex}"], {}),
    (P, ["execution-get-output", "{ex}"], {}),
    (P, ["execution-get-published", "{ex}"], {}),
    (P, ["execution-get-report", "{ex}"], {}),
    (B, ["execution-get-sub-executions", "{ex}"], {}),
    (J, ["execution-get-sub-executions", "{ex}", "--max-depth", "0"], {}),
    (J, ["execution-get-sub-executions", "{ex}", "--errors-only"], {}),
    (B, ["execution-list", "--filter", "workflow_name=clicmp_wf"], {}),
    (B, ["execution-update", "{ex}", "-d", "relabelled"], {}),
    (B, ["task-list", "{ex}"], {}),
    (J, ["task-list", "{ex}", "--filter", "name=hello"],
     {"hello": ("ID", 0)}),
    (J, ["task-list", "{ex}", "--filter", "name=child"],
     {"child": ("ID", 0)}),
    (B, ["task-get", "{hello}"], {}),
    (P, ["task-get-result", "{hello}"], {}),
    (P, ["task-get-published", "{hello}"], {}),
    (B, ["task-get-sub-executions", "{child}"], {}),
    (J, ["task-get-sub-executions", "{child}", "--errors-only"], {}),
    (P, ["task-get-sub-executions", NO_SUCH], {}),
    (B, ["action-execution-list", "{hello}"], {}),
    (J, ["action-execution-list", "{hello}"], {"ae": ("ID", 0)}),
    (B, ["action-execution-get", "{ae}"], {}),
    (P, ["action-execution-get-input", "{ae}"], {}),
    (P, ["action-execution-get-output", "{ae}"], {}),
    (P, ["execution-get", NO_SUCH], {}),
    (J, ["execution-create", "clicmp_async"], {"as": ("ID", None)}),
    ("wait_task", "{as}", "RUNNING"),
    (J, ["execution-update", "{as}", "-s", "PAUSED"], {}),
    (J, ["execution-update", "{as}", "-s", "RUNNING"], {}),
    (J, ["task-list", "{as}"], {"wait": ("ID", 0)}),
    (J, ["action-execution-list", "{wait}"], {"aw": ("ID", 0)}),
    (J, ["action-execution-update", "{aw}", "--state", "SUCCESS",
         "--output", '{"r": 1}'], {}),
    ("wait", "{as}", "SUCCESS"),
    (P, ["execution-get-output", "{as}"], {}),
    (J, ["execution-create", "clicmp_async"], {"ac": ("ID", None)}),
    ("wait_task", "{ac}", "RUNNING"),
    (J, ["execution-update", "{ac}", "-s", "CANCELLED"], {}),
    (J, ["execution-create", "clicmp_rerun"], {"rr": ("ID", None)}),
    ("wait", "{rr}", "ERROR"),
    (J, ["task-list", "{rr}"], {"upper": ("ID", 0)}),
    (J, ["task-rerun", "{upper}", "--env", '{"k": "v"}'], {}),
    ("wait", "{rr}", "SUCCESS"),
    (P, ["execution-get-output", "{rr}"], {}),
    (B, ["run-action", "std.echo", '{"output": "x"}', "--run-sync"], {}),
    (J, ["run-action", "std.echo", '{"output": "y"}'], {}),
    (J, ["run-action", "std.echo", '{"output": "z"}', "-s"],
     {"ra": ("ID", None)}),
    (P, ["run-action", "clicmp_nowhere"], {}),
    (P, ["action-execution-delete", "{ra}"], {}),
    (J, ["cron-trigger-create", "clicmp_ct", "clicmp_wf", '{"name": "c"}',
         "--pattern", "0 0 1 1 *"], {}),
    (B, ["cron-trigger-list", "--filter", "name=clicmp_ct"], {}),
    (B, ["cron-trigger-get", "clicmp_ct"], {}),
    (P, ["cron-trigger-delete", "clicmp_ct"], {}),
    # Refused: clicmp_wf needs its input "name".
    (J, ["event-trigger-create", "clicmp_et", "{wf_id}", "openstack",
         "notifications", "compute.instance.create.end"], {}),
    (J, ["event-trigger-create", "clicmp_et", "{wf_id}", "openstack",
         "notifications", "compute.instance.create.end", '{"name": "ev"}',
         "--params", '{"env": {"k": "v"}}'], {"et": ("ID", None)}),
    (P, ["event-trigger-create", "clicmp_et2", "{wf_id}", "openstack",
         "notifications", "compute.instance.create.end", '{"name": "ev"}'],
     {}),
    (P, ["event-trigger-create", "clicmp_et3", NO_SUCH, "openstack",
         "notifications", "compute.instance.create.end"], {}),
    (B, ["event-trigger-list"], {}),
    (B, ["event-trigger-get", "{et}"], {}),
    (P, ["event-trigger-get", NO_SUCH], {}),
    (P, ["workflow-delete", "clicmp_wf"], {}),
    (P, ["event-trigger-delete", "{et}"], {}),
    (P, ["event-trigger-delete", NO_SUCH], {}),
    (J, ["code-source-create", "clicmp_src", "src.py"], {}),
    (B, ["code-source-list", "--filter", "name=clicmp_src"], {}),
    (B, ["code-source-get", "clicmp_src"], {}),
    (P, ["code-source-get-content", "clicmp_src"], {}),
    (B, ["code-source-update", "clicmp_src", "src.py"], {}),
    (J, ["dynamic-action-create", "clicmp_dyn", "Hi", "clicmp_src"], {}),
    (B, ["dynamic-action-list", "--filter", "name=clicmp_dyn"], {}),
    (B, ["dynamic-action-get", "clicmp_dyn"], {}),
    (B, ["dynamic-action-update", "clicmp_dyn", "--class-name", "Hi"], {}),
    (P, ["dynamic-action-delete", "clicmp_dyn"], {}),
    (P, ["code-source-delete", "clicmp_src"], {}),
    (J, ["member-create", "{wf_id}", "workflow", "other_project"], {}),
    (B, ["member-list", "{wf_id}", "workflow"], {}),
    (B, ["member-get", "{wf_id}", "workflow", "other_project"], {}),
    (B, ["member-update", "{wf_id}", "workflow", "--status", "accepted"],
     {}),
    (P, ["member-delete", "{wf_id}", "workflow", "other_project"], {}),
    (P, ["execution-delete", "{ex}", "{as}", "{rr}"], {}),
    (P, ["execution-delete", "{ac}"], {}),
    (P, ["environment-delete", "clicmp_env"], {}),
    (P, ["workbook-delete", "clicmp_wb"], {}),
    (P, ["action-delete", "clicmp_act"], {}),
    (P, ["workflow-delete", "clicmp_nowhere"], {}),
    (S, ["workflow-delete", "clicmp_wf", "clicmp_child", "clicmp_async",
         "clicmp_rerun"], {}),
]
UUID_RE = differential.UUID_RE
TIME_RE = re.compile(
    r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?")


DURATION_RE = re.compile(r"\b\d+:\d\d:\d\d(\.\.\.)?")
# Fields whose text is a message: compared as "a message" or not (Mistral
# puts Python tracebacks there), like the error texts of the harness.
MESSAGE_FIELDS = ("Error", "State info",
                  "Duration")   # "..." while running, else a duration
MESSAGE = "<message>"


def normalise(text):
    text = UUID_RE.sub("<id>", text)
    return DURATION_RE.sub("<duration>", TIME_RE.sub("<time>", text))


def _message(value):
    return value if value in (None, "", "None", "<none>") else MESSAGE


def _json_messages(data):
    if isinstance(data, list):
        return [_json_messages(d) for d in data]
    if isinstance(data, dict):
        return {k: _message(v) if k in MESSAGE_FIELDS else v
                for k, v in data.items()}
    return data


def _table_messages(rows):
    """Message cells replaced; the continuation lines of a multi-line
    message (first cell empty) dropped."""
    header, out, in_message = rows[0], [], False
    columns = [i for i, name in enumerate(header) if name in MESSAGE_FIELDS]
    for row in rows:
        if header[:2] == ["Field", "Value"] and len(row) == 2:
            if row[0] in MESSAGE_FIELDS:
                in_message = True
                row = [row[0], _message(row[1])]
            elif row[0]:
                in_message = False
            elif in_message:
                continue
        elif row is not header:
            row = [_message(c) if i in columns else c
                   for i, c in enumerate(row)]
        out.append(row)
    return out


def reduce(text, form, rc=0):
    """What of an output is compared: JSON decoded, a table as rows of
    stripped cells, other text as stripped lines; ids, times, durations
    and message texts out. A failed command's text is "a message"."""
    text = normalise(text)
    if rc:
        return [MESSAGE] if text.strip() else []
    if form == "json":
        try:
            return _json_messages(json.loads(text))
        except ValueError:
            return {"not json": text.strip().splitlines()}
    rows = [[c.strip() for c in line.strip()[1:-1].split("|")]
            for line in text.splitlines() if line.startswith("|")]
    if rows:
        return _table_messages(rows)
    return [line.rstrip() for line in text.strip().splitlines()]


class Runner:
    """Runs :data:`SCRIPT` with the ``mistral`` script at ``cli``."""

    def __init__(self, cli, url, workdir):
        self.argv = [cli, "--os-mistral-url", url]
        self.server = differential.Server(url)
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("OS_", "MISTRAL_"))}
        self.workdir = workdir
        self.vars = {}
        for name, text in FILES.items():
            with open(os.path.join(workdir, name), "w") as f:
                f.write(text)

    def _run(self, args):
        proc = subprocess.run(self.argv + args, capture_output=True,
                              text=True, env=self.env, cwd=self.workdir,
                              timeout=120, stdin=subprocess.DEVNULL)
        return proc

    def _args(self, argv):
        return [a.format(**self.vars) if "{" in a and not a.startswith(
            "{\"") else a for a in argv]

    def step(self, form, argv, capture):
        """``{label: {"rc", "out", "err"}}`` for each form run."""
        label = " ".join(argv)
        try:
            args = self._args(argv)
        except KeyError:            # an earlier step failed: diff says so
            return {"%s [%s]" % (label, form): {"rc": "not run"}}
        if form == S:
            self._run(args)
            return {}
        results = {}
        forms = {B: ("table", "json"), J: ("json",), P: ("plain",)}[form]
        for shape in forms:
            extra = ["-f", "json"] if shape == "json" else []
            proc = self._run(args + extra)
            results["%s [%s]" % (label, shape)] = {
                "rc": proc.returncode, "stdout": proc.stdout,
                "shape": shape, "err": bool(proc.stderr.strip())}
            if shape == "json" and capture and proc.returncode == 0:
                self._capture(json.loads(proc.stdout), capture)
        return results

    def _capture(self, data, capture):
        for var, (key, index) in capture.items():
            row = data[index] if index is not None and isinstance(
                data, list) and data else data
            if isinstance(row, dict) and key in row:
                self.vars[var] = row[key]

    def _wait(self, kind, var, state):
        ex_id = var.format(**self.vars)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if kind == "wait":
                if self.server.execution(ex_id)["state"] == state:
                    return
            else:
                tasks = self.server.get("/tasks", workflow_execution_id=ex_id)
                if any(t["state"] == state for t in tasks["tasks"]):
                    return
            time.sleep(0.2)

    def _cleanup(self):
        """Leftovers of an earlier run (a stopped one leaves a running
        execution, which keeps its workflow from being deleted)."""
        self.server.call("DELETE", "/cron_triggers/clicmp_ct")
        for trigger in self.server.get("/event_triggers").get(
                "event_triggers", []):
            if (trigger.get("name") or "").startswith("clicmp_"):
                self.server.call("DELETE",
                                 "/event_triggers/%s" % trigger["id"])
        found = self.server.get("/executions", limit=1000)["executions"]
        for ex in found:
            if not ex["workflow_name"].startswith("clicmp_"):
                continue
            if ex["state"] in ("RUNNING", "PAUSED", "IDLE"):
                self.server.call("PUT", "/executions/%s" % ex["id"],
                                 json={"state": "CANCELLED"})
        for ex in found:
            if ex["workflow_name"].startswith("clicmp_"):
                self.server.call("DELETE", "/executions/%s" % ex["id"])

    def run(self):
        self._cleanup()
        outcome = {}
        for entry in SCRIPT:
            if entry[0] in ("wait", "wait_task"):
                try:
                    self._wait(*entry)
                except (KeyError, IndexError):
                    pass        # an earlier step failed: the diff says so
                continue
            outcome.update(self.step(*entry))
        return outcome


def load_golden(path=GOLDEN):
    with open(path) as f:
        return json.load(f)


def load_known(path=KNOWN):
    """``{command label: reason}`` of the documented differences."""
    with open(path) as f:
        return yaml.safe_load(f) or {}


def check_recording(diff, outputs, known, known_path=KNOWN):
    """Fail unless the outputs that differ from the recording (``diff``,
    of :func:`differences`) are exactly the ``known`` ones."""
    unexpected = {k: v for k, v in diff.items() if k not in known}
    assert not unexpected, "\n".join(
        "== %s\n   %s\n   wfengine: %s" % (
            label, "\n   ".join(lines),
            json.dumps(outputs.get(label))[:600])
        for label, lines in sorted(unexpected.items()))
    fixed = sorted(set(known) - set(diff))
    assert not fixed, "these match Mistral now; take them off %s: %s" % (
        os.path.basename(known_path), fixed)


# Answers that show a resource at the moment of the answer, which depends
# on how far the engine got (an embedded server is faster; a one-task
# workflow may have ended before the API reads it back): only their
# stable fields are compared. The labels of ``cli_auth`` share it.
_EXECUTION_STABLE = ("Workflow name", "Workflow namespace", "Description",
                     "Task Execution ID", "Root Execution ID")
STABLE_FIELDS = {
    'run-action std.echo {"output": "z"} -s [json]': ("Name", "Task name"),
    "execution-create clicmp_rerun [json]": ("Workflow name", "Description"),
    'task-rerun {upper} --env {"k": "v"} [json]': ("Name", "Workflow name"),
    'execution-create clicmp_wf {"name": "cli"} -d one [json]':
        _EXECUTION_STABLE,
    "environ: execution-create cliauth_wf [json]": _EXECUTION_STABLE,
}


# Lists whose order Mistral leaves to chance: it sorts by ``created_at``
# at one-second precision, and two tasks created in the same second come
# in either order (two recordings differ). Their rows are compared as a
# set.
ORDERLESS = frozenset({"task-list {ex} [json]", "task-list {ex} [table]"})


def _orderless(out):
    if isinstance(out, list) and out and isinstance(out[0], list):
        return out[:1] + sorted(out[1:])        # a table: header first
    if isinstance(out, list):
        return sorted(out, key=lambda row: json.dumps(row, sort_keys=True))
    return out


def _reduced(label, output):
    out = reduce(output["stdout"], output["shape"], output["rc"])
    if label in STABLE_FIELDS and isinstance(out, dict):
        out = {k: v for k, v in out.items() if k in STABLE_FIELDS[label]}
    if label in ORDERLESS:
        out = _orderless(out)
    return {"rc": output["rc"], "err": output.get("err"), "out": out}


def reduced(outputs):
    """``{label: {"rc", "out", "err"}}``: each raw output reduced."""
    return {label: _reduced(label, o) if "stdout" in o else o
            for label, o in outputs.items()}


def differences(expected, actual):
    """``{label: [lines]}`` of the commands whose reduced outputs differ
    (both sides given raw, as :meth:`Runner.run` returns them)."""
    out = {}
    expected, actual = reduced(expected), reduced(actual)
    for label in expected:
        lines = []
        differential._diff(expected[label], actual.get(label), "", [], lines)
        if lines:
            out[label] = lines
    return out
