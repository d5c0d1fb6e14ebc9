"""Turning one raw workflow mapping into a :class:`spec.WorkflowSpec`.

The builder runs after the JSON-schema check and is defensive: values
of the wrong type (already reported by the schema) are skipped, not
reported again. What only the builder can see is reported here, with its
path: inline call syntax, transition targets, duplicate inputs.

Task-defaults follow Mistral: a task's own ``on-success`` /
``on-error`` / ``on-complete`` transitions win; a task without
transitions for a clause gets those of task-defaults, minus transitions
to itself. The publish dict of a ``{publish, next}`` clause comes from
the task when it writes the clause, else from task-defaults. Policies
(``retry``, ``timeout``, ...) come from the task, else task-defaults.
``requires`` is the union of both, minus the task itself.
"""

from wfengine.core import expressions
from wfengine.core.lang import inline
from wfengine.core.lang import report
from wfengine.core.lang import spec

CLAUSE_KEYS = {"on-success": "on_success", "on-error": "on_error",
               "on-complete": "on_complete", "on-skip": "on_skip"}

# (YAML key, attribute, value when neither task nor defaults set it)
POLICY_KEYS = (
    ("retry", "retry", None), ("timeout", "timeout", None),
    ("wait-before", "wait_before", None), ("wait-after", "wait_after", None),
    ("pause-before", "pause_before", None),
    ("concurrency", "concurrency", None), ("fail-on", "fail_on", None),
    ("safe-rerun", "safe_rerun", False),
)

_NO_CLAUSE = ((), {})


class _Scope:
    """What building one workflow needs everywhere."""

    def __init__(self, task_names, problems):
        self.task_names = task_names
        self.problems = problems


def build_workflow(name, body, problems):
    """Build the spec of workflow ``name`` from its raw mapping ``body``."""
    task_bodies = _mapping(body.get("tasks"))
    scope = _Scope({k for k in task_bodies if isinstance(k, str)}, problems)
    defaults = _mapping(body.get("task-defaults"))
    default_clauses = {
        key: _parse_clause(defaults[key], "task-defaults." + key, scope)
        for key in CLAUSE_KEYS if key in defaults}
    tasks = {}
    for t_name, t_body in task_bodies.items():
        if isinstance(t_name, str) and isinstance(t_body, dict):
            tasks[t_name] = _build_task(t_name, t_body, defaults,
                                        default_clauses, scope)
    return spec.WorkflowSpec(
        name=name, version=spec.VERSION, type=_workflow_type(body),
        description=_text(body.get("description")),
        tags=_tags(body.get("tags")),
        input=_build_input(body.get("input"), problems),
        output=body.get("output"),
        output_on_error=body.get("output-on-error"),
        vars=_mapping(body.get("vars")), task_defaults=defaults, tasks=tasks)


def _tags(value):
    """The strings of a ``tags`` list (a task's own only: Mistral does not
    give a task those of ``task-defaults``)."""
    return tuple(t for t in _sequence(value) if isinstance(t, str))


def _workflow_type(body):
    value = body.get("type")
    return value if value in (spec.DIRECT, spec.REVERSE) else spec.DIRECT


def _build_input(items, problems):
    params = []
    seen = set()
    for index, item in enumerate(_sequence(items)):
        param = _input_param(item)
        if param is None:
            continue
        path = report.join_path("input", index)
        if not isinstance(param.name, str):
            problems.add(path, "input name must be a string, got %r"
                         % (param.name,))
        elif param.name in seen:
            problems.add(path, "duplicate input '%s'" % param.name)
        else:
            seen.add(param.name)
            params.append(param)
    return tuple(params)


def _input_param(item):
    if isinstance(item, str):
        return spec.InputParam(item)
    if isinstance(item, dict) and len(item) == 1:
        (name, default), = item.items()
        return spec.InputParam(name, default, True)
    return None


def _build_task(name, body, defaults, default_clauses, scope):
    path = report.join_path("tasks", name)
    action, action_input = _call(body.get("action"), path + ".action", scope)
    workflow, wf_input = _call(body.get("workflow"), path + ".workflow",
                               scope)
    if action is None and workflow is None:
        action = spec.DEFAULT_ACTION
    # As Mistral merges them: the inline parameters of ``action: name k=v``
    # win over the ``input`` map.
    task_input = _task_input(body.get("input"), wf_input, action_input,
                             path, scope)
    fields = _clause_fields(name, body, default_clauses, scope)
    fields.update(_policy_fields(body, defaults))
    return spec.TaskSpec(
        name=name, action=action, workflow=workflow,
        description=_text(body.get("description")),
        tags=_tags(body.get("tags")), input=task_input,
        publish=_mapping(body.get("publish")),
        publish_on_error=_mapping(body.get("publish-on-error")),
        publish_on_skip=_mapping(body.get("publish-on-skip")),
        join=_join(body.get("join")),
        requires=_requires(name, body, defaults),
        with_items=body.get("with-items"),
        keep_result=body.get("keep-result", True),
        target=_text(body.get("target")) or None, **fields)


def _task_input(given, wf_input, action_input, path, scope):
    """The task's input: a mapping, or (as Mistral allows) one expression
    that gives the whole mapping at run time."""
    if isinstance(given, str):
        if wf_input or action_input:
            scope.problems.add(path + ".input", "an input given as one "
                               "expression can not be combined with "
                               "inline parameters")
        return given
    task_input = _mapping(given).copy()
    task_input.update(wf_input)
    task_input.update(action_input)
    return task_input


def _call(value, path, scope):
    """``(name, params)`` of an inline call, ``(None, {})`` when absent."""
    if not isinstance(value, str):
        return None, {}
    try:
        name, params = inline.split_call(value)
    except inline.InlineError as exc:
        scope.problems.add(path, "cannot parse '%s': %s" % (value, exc))
        return value.strip(), {}
    if not expressions.has_expressions(name) and \
            not report.NAME_RE.match(name):
        scope.problems.add(path, "invalid name '%s'" % name)
    return name, params


def _clause_fields(name, body, default_clauses, scope):
    fields = {}
    for key, attr in CLAUSE_KEYS.items():
        inherited = default_clauses.get(key, _NO_CLAUSE)
        if key in body:
            transitions, publish = _parse_clause(
                body[key], report.join_path("tasks", name) + "." + key,
                scope)
        else:
            transitions, publish = (), inherited[1]
        if not transitions:
            transitions = tuple(t for t in inherited[0] if t.name != name)
        fields[attr] = transitions
        fields[attr + "_publish"] = publish
    return fields


def _policy_fields(body, defaults):
    fields = {}
    for key, attr, fallback in POLICY_KEYS:
        fields[attr] = body.get(key, defaults.get(key, fallback))
    return fields


def _requires(name, body, defaults):
    names = [n for n in _names(body.get("requires")) if n != name]
    for extra in _names(defaults.get("requires")):
        if extra != name and extra not in names:
            names.append(extra)
    return tuple(names)


def _names(value):
    if isinstance(value, str):
        return [value]
    return [v for v in _sequence(value) if isinstance(v, str)]


def _join(value):
    if value in ("all", "one"):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def _parse_clause(value, path, scope):
    """``(transitions, publish)`` of one on-* clause in any of its forms."""
    if isinstance(value, dict) and set(value) <= {"publish", "next"}:
        return (_parse_targets(value.get("next"), path + ".next", scope),
                _mapping(value.get("publish")))
    if isinstance(value, dict):
        if len(value) != 1:
            return _NO_CLAUSE
        # One {task: condition} mapping alone, as Mistral takes it.
        return _parse_targets([value], path, scope), {}
    return _parse_targets(value, path, scope), {}


def _parse_targets(value, path, scope):
    if isinstance(value, str):
        transition = _transition(value, None, path, scope)
        return (transition,) if transition else ()
    if isinstance(value, dict) and len(value) == 1:
        value = [value]     # next: {task: condition}
    result = []
    for index, item in enumerate(_sequence(value)):
        item_path = report.join_path(path, index)
        if isinstance(item, str):
            transition = _transition(item, None, item_path, scope)
        elif isinstance(item, dict) and len(item) == 1:
            (target, condition), = item.items()
            transition = _transition(target, condition, item_path, scope)
        else:
            transition = None
        if transition:
            result.append(transition)
    return tuple(result)


def _transition(text, condition, path, scope):
    if not isinstance(text, str):
        scope.problems.add(path, "transition target must be a string, got %r"
                           % (text,))
        return None
    try:
        name, params = inline.split_call(text)
    except inline.InlineError as exc:
        scope.problems.add(path, "cannot parse '%s': %s" % (text, exc))
        return None
    transition = spec.Transition(name, condition, params)
    if not transition.is_engine_command and name not in scope.task_names:
        scope.problems.add(path, "unknown task '%s'" % name)
    return transition


def _mapping(value):
    return value if isinstance(value, dict) else {}


def _sequence(value):
    return value if isinstance(value, list) else []


def _text(value):
    return value if isinstance(value, str) else ""
