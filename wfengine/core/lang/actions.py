"""Ad-hoc actions: text -> :class:`AdhocActionSpec`, and calling one.

An ad-hoc action wraps another action (its ``base``) with fixed or
computed parameters::

    version: '2.0'
    greet:
      description: Says hello
      tags: [demo]
      base: std.echo
      base-input:
        output: "Hello, <% $.name %>"
      input:
        - name
        - punctuation: "!"
      output: <% $ %>

``base`` may carry inline parameters (``std.echo output="hi"``), which
``base-input`` overrides. :func:`resolve` turns a call of the ad-hoc action
into the call of its base; :func:`transform_output` applies ``output`` to
the base action's result. Pure: no database, RPC or configuration.
"""

import dataclasses
import typing

import jsonschema

from wfengine import exceptions
from wfengine.core import expressions
from wfengine.core import yamlsafe
from wfengine.core.lang import checks
from wfengine.core.lang import inline
from wfengine.core.lang import report
from wfengine.core.lang import schema
from wfengine.core.lang import spec as lang_spec

RESERVED_KEYS = ("version", "name")

_INPUT_ITEM = {
    "description": "a parameter name or a one-key {name: default} mapping",
    "anyOf": [
        {"type": "string", "minLength": 1},
        {"type": "object", "minProperties": 1, "maxProperties": 1},
    ],
}

ACTION = {
    "type": "object",
    "properties": {
        "version": {},
        "description": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "base": {"type": "string", "minLength": 1},
        "base-input": {"type": "object"},
        "input": {"type": "array", "items": _INPUT_ITEM},
        "output": {},
    },
    "required": ["base"],
    "additionalProperties": False,
}

_VALIDATOR = jsonschema.Draft7Validator(ACTION)


@dataclasses.dataclass(frozen=True)
class AdhocActionSpec:
    """One ad-hoc action; ``input`` is a tuple of ``spec.InputParam``."""

    name: str
    base: str
    base_input: dict = dataclasses.field(default_factory=dict)
    input: tuple = ()
    output: typing.Any = None
    description: str = ""
    tags: tuple = ()

    def input_signature(self):
        """The input as the API shows it, e.g. ``"name, punctuation=!"``."""
        return ", ".join(
            "%s=%s" % (p.name, p.default) if p.has_default else p.name
            for p in self.input)

    def to_dict(self):
        """JSON-serializable form (what :func:`resolve` takes)."""
        return {"name": self.name, "base": self.base,
                "base_input": self.base_input,
                "input": [p.to_dict() for p in self.input],
                "output": self.output, "description": self.description,
                "tags": list(self.tags)}

    @classmethod
    def from_dict(cls, data):
        """Rebuild from :meth:`to_dict` output, without validation."""
        return cls(name=data["name"], base=data["base"],
                   base_input=data.get("base_input") or {},
                   input=tuple(lang_spec.InputParam.from_dict(p)
                               for p in data.get("input", ())),
                   output=data.get("output"),
                   description=data.get("description") or "",
                   tags=tuple(data.get("tags") or ()))


def check_input_names(name, signature, action_input):
    """Refuse an input that the built-in action ``name`` can not take, as
    Mistral checks it before it runs the action.

    :param signature: ``(required, allowed)`` input names of the action;
        ``allowed`` is None when it takes any name.
    :raises InvalidInputNames: naming the missing and unexpected inputs
        (the names, never the values).
    """
    required, allowed = signature
    given = set(action_input or {})
    problems = []
    missing = [n for n in required if n not in given]
    if missing:
        problems.append("missing required %s" % ", ".join(missing))
    unexpected = [] if allowed is None else sorted(given - set(allowed))
    if unexpected:
        problems.append("unexpected %s (allowed: %s)" % (
            ", ".join(unexpected), ", ".join(allowed) or "none"))
    if problems:
        raise exceptions.InvalidInputNames(owner="action %s" % name,
                                           problems="; ".join(problems))


def parse_actions(text):
    """Parse and validate ad-hoc action ``text``; return its specs.

    :raises InvalidModelException: listing every problem found (also in
        its ``problems`` attribute).
    """
    document, problems = _load(text)
    specs = []
    if document is not None:
        items = [(k, v) for k, v in document.items()
                 if k not in RESERVED_KEYS]
        if not items:
            problems.add("action text", "no action defined")
        specs = build_actions(items, problems)
    _raise_if(problems)
    return specs


def validate_actions(text):
    """The problems of ad-hoc action ``text`` (``[]`` when valid)."""
    try:
        parse_actions(text)
    except exceptions.InvalidModelException as exc:
        return getattr(exc, "problems", [exc.message])
    return []


def build_actions(items, problems):
    """Specs of the ``(name, body)`` pairs ``items``.

    Problems are added to ``problems`` (a ``report.Problems``) as
    ``action '<name>': <path>: <problem>``; invalid actions are left out.
    """
    specs = []
    for name, body in items:
        label = "action '%s'" % (name,)
        local = report.Problems()
        built = _build(name, body, local)
        for problem in local.items:
            problems.add(label, problem)
        if built is not None and not local:
            specs.append(built)
    return specs


def _load(text):
    problems = report.Problems()
    try:
        document = yamlsafe.load(text, what="action text")
    except exceptions.InvalidModelException as exc:
        problems.add("", exc.message)
        return None, problems
    if not isinstance(document, dict):
        problems.add("action text", "expected a mapping with 'version' and"
                     " actions, got %s" % type(document).__name__)
        return None, problems
    version = document.get("version")
    if version is None or str(version) != lang_spec.VERSION:
        problems.add("action text: version",
                     "expected '2.0', got %r" % (version,))
    return document, problems


def _raise_if(problems):
    if not problems:
        return
    count = len(problems.items)
    exc = exceptions.InvalidModelException(
        "Invalid action definition (%d problem%s):\n%s" % (
            count, "" if count == 1 else "s",
            "\n".join("- " + p for p in problems.items)))
    exc.problems = problems.items
    raise exc


def _build(name, body, problems):
    if not isinstance(name, str) or not report.NAME_RE.match(name):
        problems.add("", "invalid action name: use letters, digits, '_',"
                         " '.' or '-'")
        return None
    if not isinstance(body, dict):
        problems.add("", "expected a mapping, got %s" % type(body).__name__)
        return None
    for error in _VALIDATOR.iter_errors(body):
        problems.add(schema.format_path(error.absolute_path),
                     _describe(error))
    if problems:
        return None
    base, inline_input = _split_base(body["base"], problems)
    checks.check_expressions(body, "", problems)
    return AdhocActionSpec(
        name=name, base=base,
        base_input=dict(inline_input, **(body.get("base-input") or {})),
        input=_inputs(body.get("input") or [], problems),
        output=body.get("output"),
        description=body.get("description") or "",
        tags=tuple(body.get("tags") or ()))


def _describe(error):
    if error.validator == "additionalProperties":
        unknown = sorted(set(error.instance) - set(ACTION["properties"]))
        return "unknown key%s %s (allowed: %s)" % (
            "s" if len(unknown) > 1 else "", ", ".join(map(str, unknown)),
            ", ".join(ACTION["properties"]))
    if error.validator == "required":
        return "missing required key 'base' (the action this one calls)"
    return "%s: %r" % (error.message.replace(repr(error.instance), "value"),
                       error.instance)


def _split_base(text, problems):
    try:
        return inline.split_call(text)
    except inline.InlineError as exc:
        problems.add("base", "cannot parse '%s': %s" % (text, exc))
        return text.strip(), {}


def _inputs(items, problems):
    params, seen = [], set()
    for index, item in enumerate(items):
        if isinstance(item, dict):
            (name, default), = item.items()
            param = lang_spec.InputParam(name, default, True)
        else:
            param = lang_spec.InputParam(item)
        if param.name in seen:
            problems.add(report.join_path("input", index),
                         "duplicate input '%s'" % param.name)
        seen.add(param.name)
        params.append(param)
    return tuple(params)


# Calling an ad-hoc action.

def resolve(spec_dict, action_input, runtime=None):
    """The call of the base action for a call of an ad-hoc action.

    :param spec_dict: the ad-hoc action's ``AdhocActionSpec.to_dict()``.
    :param action_input: the input the task gave the ad-hoc action.
    :param runtime: what ``expressions.evaluate`` offers to functions
        such as ``env()`` (optional).
    :returns: ``(base_action_name, base_input)``; the base may itself be
        an ad-hoc action, to resolve again.
    :raises InputError: a required input is missing or an unknown one
        given (naming the action, the inputs and the allowed ones).
    :raises ExpressionError: ``base-input`` failed to evaluate.
    """
    spec = AdhocActionSpec.from_dict(spec_dict)
    ctx = _input_with_defaults(spec, action_input or {})
    base_input = expressions.evaluate(spec.base_input, ctx, runtime)
    return spec.base, base_input


def transform_output(spec_dict, result, runtime=None):
    """The ad-hoc action's result from its base action's ``result``.

    Without ``output`` the result is returned as it is; otherwise
    ``output`` is evaluated with the result as the data context.
    """
    output = spec_dict.get("output")
    if output is None:
        return result
    return expressions.evaluate(output, result, runtime)


def _input_with_defaults(spec, action_input):
    allowed = [p.name for p in spec.input]
    unknown = sorted(set(action_input) - set(allowed))
    if unknown:
        raise exceptions.InvalidInputNames(
            owner="action %s" % spec.name, problems="unexpected %s "
            "(allowed: %s)" % (", ".join(unknown), ", ".join(allowed) or "none"))
    ctx = {}
    for param in spec.input:
        if param.name in action_input:
            ctx[param.name] = action_input[param.name]
        elif param.has_default:
            ctx[param.name] = param.default
        else:
            raise exceptions.InvalidInputNames(
                owner="action %s" % spec.name, problems="missing required "
                "%s (given: %s)" % (param.name,
                                    ", ".join(sorted(action_input)) or "none"))
    return ctx
