"""Helpers of the API tests: a fake engine client, a stand-in for the
workflow language parser, and workflow texts."""
import uuid

import yaml

from wfengine.db import api as db_api
from wfengine.db import snapshots as db_snapshots
from wfengine.db import definitions
from wfengine.db import models
from wfengine.db import session
from wfengine.core.engine import states
from wfengine import exceptions


class FakeSpec:
    """What the API reads of a parser's WorkflowSpec."""

    def __init__(self, name, body):
        self.name = name
        self.body = body or {}
        self.tags = self.body.get("tags", [])

    def to_dict(self):
        return dict(self.body, name=self.name)

    def input_signature(self):
        parts = []
        for item in self.body.get("input", []):
            if isinstance(item, dict):
                parts += ['%s="%s"' % kv for kv in item.items()]
            else:
                parts.append(item)
        return ", ".join(parts)


def fake_parse_workflows(text):
    """Enough of ``parser.parse_workflows`` for the API's needs."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise exceptions.InvalidModelException("Invalid YAML: %s" % e)
    if not isinstance(doc, dict) or doc.get("version") not in ("2.0", 2.0):
        raise exceptions.InvalidModelException(
            "Invalid workflow text: 'version: 2.0' is required")
    specs = [FakeSpec(k, v) for k, v in doc.items() if k != "version"]
    if not specs:
        raise exceptions.InvalidModelException("No workflows in text")
    for spec in specs:
        if not isinstance(spec.body.get("tasks"), dict):
            raise exceptions.InvalidModelException(
                "Workflow %r: 'tasks' is required" % spec.name)
    return specs


class FakeEngine:
    """Starts an execution the way the engine does: one committed row."""

    def __init__(self):
        self.calls = []
        self.start_options = []  # (wf_ex_id, resend_after) of each start

    def start_workflow(self, wf_identifier, wf_namespace="", wf_input=None,
                       description="", params=None, wf_ex_id=None,
                       resend_after=None, project_id=None, user_id=None):
        self.calls.append((wf_identifier, wf_namespace, wf_input,
                           description, params))
        self.start_options.append((wf_ex_id, resend_after))
        self.projects = getattr(self, "projects", []) + [project_id]
        self.users = getattr(self, "users", []) + [user_id]
        return session.unit_of_work(self._start, wf_identifier, wf_namespace,
                                    wf_input or {}, description, params or {},
                                    wf_ex_id or str(uuid.uuid4()),
                                    project_id or models.DEFAULT_PROJECT)

    @staticmethod
    def _start(sess, identifier, namespace, wf_input, description, params,
               wf_ex_id, project_id):
        wf_def = definitions.get_workflow_definition(
            sess, identifier, namespace, fields=("spec",))
        for name in wf_def.spec.get("input", []):
            if isinstance(name, str) and name not in wf_input:
                raise exceptions.InputError(
                    "Missing required input %r of workflow %r"
                    % (name, wf_def.name))
        sess.add(models.WorkflowExecution(
            id=wf_ex_id, name=wf_def.name, workflow_id=wf_def.id,
            workflow_namespace=namespace, description=description,
            spec=wf_def.spec, state="RUNNING", input=wf_input,
            output={}, params=dict(params, namespace=namespace),
            context={}, root_execution_id=None, project_id=project_id))
        return {"id": wf_ex_id}

    def delete_execution(self, wf_ex_id, force=False):
        self.calls.append(("delete", wf_ex_id, force))
        return session.unit_of_work(self._delete, wf_ex_id, force)

    @staticmethod
    def _delete(sess, wf_ex_id, force):
        wf_ex = db_snapshots.lock_workflow_execution(sess, wf_ex_id)
        db_api.delete_workflow_execution(
            sess, wf_ex, None if force else states.COMPLETED)
        return {"id": wf_ex_id}


WF_TEXT = """---
version: '2.0'
wf1:
  tags: [a, b]
  input:
    - name
    - greeting: hello
  output:
    out: 1
  tasks:
    t1:
      action: std.noop
"""

TWO_WFS = """---
version: '2.0'
first:
  tasks:
    t1:
      action: std.noop
second:
  tasks:
    t1:
      action: std.echo
"""


def create_workflow(app, text=WF_TEXT, namespace=""):
    """POST a workflow text; returns the response's workflows."""
    resp = app.post("/v2/workflows?namespace=%s" % namespace, text,
                    headers={"Content-Type": "text/plain"}, status=201)
    return resp.json["workflows"]


def add_rows(*rows):
    """Insert model rows in one transaction."""
    def _add(sess):
        for row in rows:
            sess.add(row)
            sess.flush()  # in order: the models declare no relationships
    session.unit_of_work(_add)


def start(app, **body):
    """POST /v2/executions with ``body`` (workflow ``wf1`` by default)."""
    body.setdefault("workflow_name", "wf1")
    body.setdefault("input", {"name": "x"})
    return app.post_json("/v2/executions", body, status=201).json
