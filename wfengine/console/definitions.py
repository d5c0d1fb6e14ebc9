"""``/console/workflows``: definitions, shown readably, and a check of
pasted text with each problem at its line."""
import re

import yaml

from wfengine.console import execution
from wfengine.console import graph
from wfengine.console import web
from wfengine.core import yamlsafe
from wfengine import exceptions

_PROBLEM = re.compile(r"^workflow '(?P<wf>[^']*)': (?P<path>[^:\s]*): ")
_LINE = re.compile(r"\(line (\d+), column (\d+)\)")
_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def problems_with_lines(text, error):
    """``[(line or None, message)]`` for the API's validation ``error``.

    A YAML syntax problem carries its line in the message; a problem of
    the language names a path (``tasks.t1.action``), found in the text.
    """
    messages = [m[2:] if m.startswith("- ") else m
                for m in error.splitlines()[1:] or [error]]
    root = _compose(text)
    shown = []
    for message in messages:
        found = _LINE.search(message)
        if found:
            shown.append((int(found.group(1)), message))
            continue
        match = _PROBLEM.match(message)
        line = _path_line(root, [match.group("wf")] + _segments(
            match.group("path"))) if match and root is not None else None
        shown.append((line, message))
    return shown


def _compose(text):
    """The YAML node tree (with positions) of text the API parsed."""
    try:
        return yamlsafe.compose(text)
    except exceptions.InvalidModelException:
        return None


def _segments(path):
    return [int(index) if index else key
            for key, index in _SEGMENT.findall(path)]


def _path_line(node, path):
    """1-based line of the deepest node of ``path`` found."""
    line = node.start_mark.line + 1
    for segment in path:
        child = _child(node, segment)
        if child is None:
            break
        key_node, node = child
        line = (key_node or node).start_mark.line + 1
    return line


def _child(node, segment):
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if str(key.value) in (str(segment), str(segment).replace(
                    "_", "-")):
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(segment, int) \
            and segment < len(node.value):
        return None, node.value[segment]
    return None


@web.route("GET", "/workflows")
def workflows_page(page):
    """Every workflow, and a box to check a definition."""
    body = page.api.get("/workflows", {
        "fields": "id,name,namespace,tags,input,scope,updated_at,created_at",
        "sort_keys": "name"}).data
    return page.render("workflows.html", workflows=body["workflows"],
                       title="Workflows")


@web.route("GET", "/workflows/{wf_id}")
def workflow_page(page, wf_id):
    """One definition: its YAML with line numbers and its graph."""
    workflow = page.api.get("/workflows/%s" % wf_id).data
    drawing, problem = None, None
    try:
        specs = execution.parse(workflow["definition"])
        spec = next((s for s in specs if s.name == workflow["name"]),
                    specs[0])
        drawing = graph.build(spec)
    except exceptions.WFEngineException as e:
        problem = str(e)
    lines = workflow["definition"].splitlines()
    return page.render("workflow.html", wf=workflow, lines=lines,
                       graph=drawing, problem=problem,
                       title="Workflow %s" % workflow["name"])


@web.route("POST", "/workflows/validate")
def validate(page):
    """Check the pasted text through ``POST /v2/workflows/validate``."""
    text = page.request.POST.get("definition", "")
    answer = page.api.post("/workflows/validate", text=text)
    problems = [] if answer["valid"] else problems_with_lines(
        text, answer["error"] or "")
    return page.render("_validation.html", valid=answer["valid"],
                       problems=problems, lines=text.splitlines())
