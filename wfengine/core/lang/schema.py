"""The shape of a Mistral v2 workflow, as JSON schema.

Only structure and types are checked here (unknown keys, wrong types,
bad enumerations); cross-references such as transition targets are
checked by :mod:`wfengine.core.lang.checks`. :func:`shape_problems` turns the
jsonschema errors into ``"<path>: <problem>"`` messages.
"""

import jsonschema

EXPRESSION = {"type": "string", "description": "an expression"}
# Where a number or a boolean is expected, a string must hold an expression
# (``<% ... %>`` or ``{{ ... }}``): "many" is refused at once, not at run.
_EXPRESSION_TEXT = {"type": "string",
                    "pattern": r"<%[\s\S]*%>|\{\{[\s\S]*\}\}",
                    "description": "an expression"}

_NON_NEGATIVE_OR_EXPR = {
    "description": "a non-negative integer or an expression",
    "anyOf": [{"type": "integer", "minimum": 0}, _EXPRESSION_TEXT],
}
_BOOL_OR_EXPR = {
    "description": "a boolean or an expression",
    "anyOf": [{"type": "boolean"}, _EXPRESSION_TEXT],
}
_STRING_LIST = {"type": "array", "items": {"type": "string"}}

_TRANSITION_ITEM = {
    "description": "a task name or a one-key {task: condition} mapping",
    "anyOf": [
        {"type": "string"},
        {"type": "object", "minProperties": 1, "maxProperties": 1},
    ],
}
_TRANSITION_LIST = {
    "description": "a task name or a list of task names / {task: condition}"
                   " mappings",
    "anyOf": [
        {"type": "string"},
        # One {task: condition} mapping alone (Mistral takes it).
        {"type": "object", "minProperties": 1, "maxProperties": 1,
         "additionalProperties": _EXPRESSION_TEXT},
        # Mistral refuses an empty list (``on-success: []``).
        {"type": "array", "items": _TRANSITION_ITEM, "minItems": 1},
    ],
}
_CLAUSE = {
    "description": "a task name, a list of task names / {task: condition}"
                   " mappings, or a {publish, next} mapping",
    "anyOf": [
        _TRANSITION_LIST,
        {
            "type": "object",
            "properties": {"publish": {"type": "object"},
                           "next": _TRANSITION_LIST},
            "additionalProperties": False,
        },
    ],
}
_RETRY = {
    "description": "a {count, delay, break-on, continue-on} mapping or an"
                   " expression",
    "anyOf": [
        {
            "type": "object",
            "properties": {"count": _NON_NEGATIVE_OR_EXPR,
                           "delay": _NON_NEGATIVE_OR_EXPR,
                           # Mistral: expressions only (3 is refused).
                           "break-on": _EXPRESSION_TEXT,
                           "continue-on": _EXPRESSION_TEXT},
            "required": ["count"],
            "additionalProperties": False,
        },
        EXPRESSION,
    ],
}

# Keys allowed in task-defaults and in tasks alike.
_DEFAULTABLE = {
    "on-success": _CLAUSE,
    "on-error": _CLAUSE,
    "on-complete": _CLAUSE,
    "on-skip": _CLAUSE,
    "requires": {"anyOf": [{"type": "string"}, _STRING_LIST],
                 "description": "a task name or a list of task names"},
    "retry": _RETRY,
    "timeout": _NON_NEGATIVE_OR_EXPR,
    "wait-before": _NON_NEGATIVE_OR_EXPR,
    "wait-after": _NON_NEGATIVE_OR_EXPR,
    "pause-before": _BOOL_OR_EXPR,
    # Mistral takes 0 (no limit) too.
    "concurrency": _NON_NEGATIVE_OR_EXPR,
    "fail-on": _BOOL_OR_EXPR,
    "safe-rerun": _BOOL_OR_EXPR,
}

TASK = {
    "type": "object",
    "properties": dict(_DEFAULTABLE, **{
        "description": {"type": "string"},
        "action": {"type": "string", "minLength": 1},
        "workflow": {"type": "string", "minLength": 1},
        # A mapping, or text giving the whole mapping at run time (an
        # expression; Mistral takes any non-empty text and fails the task
        # when it does not give a mapping).
        "input": {"anyOf": [{"type": "object"},
                            {"type": "string", "minLength": 1}],
                  "description": "a mapping or an expression"},
        "publish": {"type": "object"},
        "publish-on-error": {"type": "object"},
        "publish-on-skip": {"type": "object"},
        # 0, as in Mistral, is no join: the task runs for each arrival.
        "join": {
            "description": "'all', 'one' or a non-negative integer",
            "anyOf": [{"enum": ["all", "one"]},
                      {"type": "integer", "minimum": 0}],
        },
        "with-items": {"anyOf": [{"type": "string"}, _STRING_LIST],
                       "description": "'var in <collection>' or a list of"
                                      " them"},
        "keep-result": _BOOL_OR_EXPR,
        "target": {"type": "string"},
        "tags": _STRING_LIST,
    }),
    "additionalProperties": False,
}

TASK_DEFAULTS = {
    "type": "object",
    "properties": _DEFAULTABLE,
    "additionalProperties": False,
}

_INPUT_ITEM = {
    "description": "a parameter name or a one-key {name: default} mapping",
    "anyOf": [
        {"type": "string", "minLength": 1},
        {"type": "object", "minProperties": 1, "maxProperties": 1},
    ],
}

WORKFLOW = {
    "type": "object",
    "properties": {
        "version": {},
        "type": {"enum": ["direct", "reverse"]},
        "description": {"type": "string"},
        "tags": _STRING_LIST,
        "input": {"type": "array", "items": _INPUT_ITEM},
        # Mistral refuses a list or a scalar here.
        "output": {"type": "object"},
        "output-on-error": {"type": "object"},
        "vars": {"type": "object"},
        "task-defaults": TASK_DEFAULTS,
        "tasks": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": TASK,
        },
    },
    "required": ["tasks"],
    "additionalProperties": False,
}

_VALIDATOR = jsonschema.Draft7Validator(WORKFLOW)
_SIZE_VALIDATORS = ("minProperties", "maxProperties")

_TYPE_NAMES = {"object": "a mapping", "array": "a list", "string": "a string",
               "integer": "an integer", "boolean": "a boolean",
               "number": "a number", "null": "null"}


def shape_problems(workflow_body):
    """Problems of the raw workflow mapping, as ``"<path>: <problem>"``."""
    errors = sorted(_VALIDATOR.iter_errors(workflow_body),
                    key=lambda e: list(map(str, e.absolute_path)))
    return [_describe(error) for error in errors]


def format_path(parts):
    """Render path parts as ``tasks.t1.on-success[0]``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += "[%d]" % part
        else:
            text += ("." if text else "") + str(part)
    return text


def _describe(error):
    error = _deepest(error)
    path = format_path(error.absolute_path)
    problem = _problem(error)
    return "%s: %s" % (path, problem) if path else problem


def _deepest(error):
    """For anyOf errors, the sub-error of the branch that matched best.

    A sub-error deeper than the anyOf itself comes from the branch whose
    type fits the value, and says more precisely what is wrong.
    """
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return error
    best = max((_deepest(sub) for sub in error.context),
               key=lambda e: len(e.absolute_path))
    if len(best.absolute_path) > len(error.absolute_path):
        return best
    if isinstance(error.instance, dict):
        return _mapping_branch_error(error) or error
    return error


def _mapping_branch_error(error):
    """The first error of the one branch that accepts mappings, if any."""
    by_branch = {}
    for sub in error.context:
        by_branch.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = [subs for subs in by_branch.values()
               if not any(s.validator == "type" for s in subs)]
    if len(fitting) != 1 or fitting[0][0].validator in _SIZE_VALIDATORS:
        return None
    return fitting[0][0]


def _problem(error):
    kind = error.validator
    if kind == "additionalProperties":
        return _unknown_keys(error)
    if kind == "required":
        return "missing required key %s" % error.message.split(" ")[0]
    if kind == "type":
        return "expected %s, got %s" % (_TYPE_NAMES.get(error.validator_value,
                                                        error.validator_value),
                                        _shown(error.instance))
    if kind == "enum":
        return "expected one of %s, got %s" % (
            ", ".join(repr(v) for v in error.validator_value),
            _shown(error.instance))
    if kind in ("anyOf", "oneOf"):
        return "expected %s, got %s" % (
            error.schema.get("description", "another value"),
            _shown(error.instance))
    if kind in ("minProperties", "minLength"):
        return "must not be empty"
    if kind == "pattern":
        return "expected %s, got %s" % (
            error.schema.get("description", "another value"),
            _shown(error.instance))
    return error.message


def _unknown_keys(error):
    allowed = set(error.schema.get("properties", {}))
    unknown = [key for key in error.instance if key not in allowed]
    return "unknown key%s %s" % ("s" if len(unknown) > 1 else "",
                                 ", ".join("'%s'" % k for k in unknown))


def _shown(value):
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return "%s %s" % (type(value).__name__, text)
