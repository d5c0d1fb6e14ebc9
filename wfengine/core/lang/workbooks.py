"""Workbooks: one text holding workflows and ad-hoc actions.

::

    version: '2.0'
    name: my_book
    description: optional
    tags: [optional]
    workflows:
      wf1: {tasks: ...}
    actions:
      act1: {base: std.echo, ...}

As in Mistral, what a workbook defines is stored under the workbook's
name: workflow ``wf1`` of workbook ``my_book`` becomes ``my_book.wf1``.
"""

import dataclasses

import yaml

from wfengine import exceptions
from wfengine.core import yamlsafe
from wfengine.core.lang import actions
from wfengine.core.lang import parser
from wfengine.core.lang import report
from wfengine.core.lang import spec as lang_spec

KEYS = ("version", "name", "namespace", "description", "tags", "workflows",
        "actions")


@dataclasses.dataclass(frozen=True)
class WorkbookSpec:
    """A parsed workbook; ``workflows`` and ``actions`` keep their short
    names, ``texts`` maps each short name to its own definition text."""

    name: str
    namespace: str = ""
    description: str = ""
    tags: tuple = ()
    workflows: tuple = ()
    actions: tuple = ()
    workflow_texts: dict = dataclasses.field(default_factory=dict)
    action_texts: dict = dataclasses.field(default_factory=dict)

    def full_name(self, short_name):
        """``<workbook>.<short_name>``: the stored name of a definition."""
        return "%s.%s" % (self.name, short_name)

    def to_dict(self):
        """JSON-serializable summary (names of what the workbook defines)."""
        return {"name": self.name, "namespace": self.namespace,
                "description": self.description, "tags": list(self.tags),
                "workflows": [w.name for w in self.workflows],
                "actions": [a.name for a in self.actions]}


def parse_workbook(text):
    """Parse and validate workbook ``text``.

    :raises InvalidModelException: listing every problem found (also in
        its ``problems`` attribute).
    """
    problems = report.Problems()
    document = _load(text, problems)
    if document is None:
        _raise(problems)
    wf_items = _items(document, "workflows", problems)
    action_items = _items(document, "actions", problems)
    if not wf_items and not action_items:
        problems.add("workbook", "defines no workflow and no action")
    workflows = parser.build_workflows(wf_items, problems)
    adhoc = actions.build_actions(action_items, problems)
    if problems:
        _raise(problems)
    return WorkbookSpec(
        name=document["name"], namespace=document.get("namespace") or "",
        description=document.get("description") or "",
        tags=tuple(document.get("tags") or ()), workflows=tuple(workflows),
        actions=tuple(adhoc),
        workflow_texts={n: _text(n, b) for n, b in wf_items},
        action_texts={n: _text(n, b) for n, b in action_items})


def validate_workbook(text):
    """The problems of workbook ``text`` (``[]`` when valid)."""
    try:
        parse_workbook(text)
    except exceptions.InvalidModelException as exc:
        return getattr(exc, "problems", [exc.message])
    return []


def _load(text, problems):
    try:
        document = yamlsafe.load(text, what="workbook text")
    except exceptions.InvalidModelException as exc:
        problems.add("", exc.message)
        return None
    if not isinstance(document, dict):
        problems.add("workbook text", "expected a mapping, got %s"
                     % type(document).__name__)
        return None
    _check_top_level(document, problems)
    return None if problems else document


def _check_top_level(document, problems):
    unknown = [str(k) for k in document if k not in KEYS]
    if unknown:
        problems.add("workbook", "unknown key%s %s (allowed: %s)" % (
            "s" if len(unknown) > 1 else "", ", ".join(unknown),
            ", ".join(KEYS)))
    version = document.get("version")
    if version is None or str(version) != lang_spec.VERSION:
        problems.add("workbook: version", "expected '2.0', got %r"
                     % (version,))
    name = document.get("name")
    if not isinstance(name, str) or not report.NAME_RE.match(name):
        problems.add("workbook: name", "expected a name of letters, digits,"
                     " '_', '.' or '-', got %r" % (name,))
    for key in ("namespace", "description"):
        if not isinstance(document.get(key, ""), (str, type(None))):
            problems.add("workbook: " + key, "expected a string, got %r"
                         % (document[key],))
    tags = document.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str)
                                             for t in tags):
        problems.add("workbook: tags", "expected a list of strings, got %r"
                     % (tags,))


def _items(document, key, problems):
    value = document.get(key) or {}
    if not isinstance(value, dict):
        problems.add("workbook: " + key, "expected a mapping of names to "
                     "definitions, got %s" % type(value).__name__)
        return []
    return list(value.items())


def _text(name, body):
    return yaml.safe_dump({"version": lang_spec.VERSION, name: body},
                          sort_keys=False, default_flow_style=False)


def _raise(problems):
    count = len(problems.items)
    exc = exceptions.InvalidModelException(
        "Invalid workbook definition (%d problem%s):\n%s" % (
            count, "" if count == 1 else "s",
            "\n".join("- " + p for p in problems.items)))
    exc.problems = problems.items
    raise exc


def workflow_dict(workbook, wf_spec):
    """The stored form of one workbook workflow, under its full name.

    Tasks that call an action or workflow of the same workbook by its
    short name are pointed at the full name, so that whoever runs the
    workflow needs to know nothing about workbooks.
    """
    data = wf_spec.to_dict()
    data["name"] = workbook.full_name(wf_spec.name)
    local_actions = {a.name for a in workbook.actions}
    local_workflows = {w.name for w in workbook.workflows}
    for task in data["tasks"]:
        if task.get("action") in local_actions:
            task["action"] = workbook.full_name(task["action"])
        if task.get("workflow") in local_workflows:
            task["workflow"] = workbook.full_name(task["workflow"])
    return data


def action_dict(workbook, action_spec):
    """The stored form of one workbook ad-hoc action, under its full name
    (a base that is an action of the same workbook is pointed at its full
    name)."""
    data = action_spec.to_dict()
    data["name"] = workbook.full_name(action_spec.name)
    if data["base"] in {a.name for a in workbook.actions}:
        data["base"] = workbook.full_name(data["base"])
    return data
