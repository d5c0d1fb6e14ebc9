"""Mistral v2 workflow text -> validated :class:`spec.WorkflowSpec` list.

A workflow file is a YAML mapping with ``version: '2.0'`` (required), an
optional ``name`` (ignored) and one or more workflows ``<name>: {...}``.
Validation collects every problem before reporting: the JSON shape
(:mod:`wfengine.core.lang.schema`), what the builder sees while building
(:mod:`wfengine.core.lang.builder`), the semantic checks
(:mod:`wfengine.core.lang.checks`) and the syntax of every expression. Each
problem reads ``workflow '<name>': <path>: <problem>``.
"""

from wfengine import exceptions
from wfengine.core import yamlsafe
from wfengine.core.lang import builder
from wfengine.core.lang import checks
from wfengine.core.lang import report
from wfengine.core.lang import schema

# Top-level keys that are not workflows.
RESERVED_KEYS = ("version", "name")


def parse_workflows(text):
    """Parse and validate workflow ``text``; return its WorkflowSpecs.

    Raises InvalidModelException listing every problem found (also in
    its ``problems`` attribute, one string per problem).
    """
    specs, problems = _parse(text)
    if problems:
        exc = exceptions.InvalidModelException(_message(problems))
        exc.problems = problems
        raise exc
    return specs


def validate_workflows(text):
    """The problems of workflow ``text`` (``[]`` when valid); never raises
    for invalid input."""
    return _parse(text)[1]


def _message(problems):
    count = len(problems)
    return "Invalid workflow definition (%d problem%s):\n%s" % (
        count, "" if count == 1 else "s",
        "\n".join("- " + p for p in problems))


def _parse(text):
    try:
        document = yamlsafe.load(text)
    except exceptions.InvalidModelException as exc:
        return [], [exc.message]
    if not isinstance(document, dict):
        return [], ["workflow text: expected a mapping with 'version' and"
                    " workflows, got %s" % type(document).__name__]
    problems = report.Problems()
    _check_version(document.get("version"), "workflow text: version",
                   problems)
    workflows = [(k, v) for k, v in document.items()
                 if k not in RESERVED_KEYS]
    if not workflows:
        problems.add("workflow text", "no workflow defined")
    specs = [_parse_workflow(name, body, problems)
             for name, body in workflows]
    return [s for s in specs if s is not None], problems.items


def _check_version(version, path, problems):
    if version is None:
        problems.add(path, "missing; expected '2.0'")
    elif str(version) != "2.0":
        problems.add(path, "expected '2.0', got %r" % (version,))


def _parse_workflow(name, body, problems):
    label = "workflow '%s'" % (name,)
    if not isinstance(name, str) or not report.NAME_RE.match(name):
        problems.add(label, "invalid workflow name: use letters, digits,"
                            " '_', '.' or '-'")
        return None
    if not isinstance(body, dict):
        problems.add(label, "expected a mapping, got %s"
                     % type(body).__name__)
        return None
    local = report.Problems()
    local.extend(schema.shape_problems(body))
    if "version" in body:
        _check_version(body["version"], "version", local)
    wf = builder.build_workflow(name, body, local)
    checks.check_workflow(body, wf, local)
    for problem in local.items:
        problems.add(label, problem)
    return wf


def build_workflows(items, problems):
    """Specs of the ``(name, body)`` workflow pairs ``items``.

    For texts that hold workflows among other things (workbooks): each
    problem is added to ``problems`` (a ``report.Problems``) as
    ``workflow '<name>': <path>: <problem>``.
    """
    specs = [_parse_workflow(name, body, problems) for name, body in items]
    return [s for s in specs if s is not None]
