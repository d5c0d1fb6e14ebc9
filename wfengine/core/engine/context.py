"""Workflow input and data contexts. Pure."""
import collections.abc
from wfengine.core import expressions
from wfengine import exceptions


def prepare_input(wf_spec, given):
    """Check the given input against the spec and apply defaults.

    Defaults may be expressions over the inputs before them.

    :raises InputError: a required input is missing or an unknown one given,
        naming them all.
    """
    given = dict(given or {})
    declared = {p.name for p in wf_spec.input}
    unknown = sorted(set(given) - declared)
    missing = [p.name for p in wf_spec.input
               if not p.has_default and p.name not in given]
    problems = []
    if missing:
        problems.append("missing required input: %s" % ", ".join(missing))
    if unknown:
        problems.append("unexpected input: %s (declared: %s)"
                        % (", ".join(unknown), ", ".join(sorted(declared))
                           or "none"))
    if problems:
        raise exceptions.InvalidInputNames(
            owner="workflow '%s'" % wf_spec.name, problems="; ".join(problems))
    result = {}
    for param in wf_spec.input:
        if param.name in given:
            result[param.name] = given[param.name]
        else:
            result[param.name] = _default(wf_spec, param, result)
    return result


def _default(wf_spec, param, known):
    try:
        return expressions.evaluate(param.default, known)
    except exceptions.ExpressionError as e:
        raise exceptions.CanNotEvaluate(
            what="the default of input '%s' of workflow '%s'"
            % (param.name, wf_spec.name), error=e) from e


def start_params(params, wf_input, namespace=""):
    """The params of an execution being started, as Mistral keeps them.

    ``env`` (``{}`` if none) and ``namespace`` are always there, and
    unless ``evaluate_env`` is false the expressions in the env values are
    evaluated once, now, over the workflow input (``env()`` reads the env
    as given).

    :raises InputError: an env expression could not be evaluated.
    """
    params = dict(params or {})
    params.setdefault("namespace", namespace or "")
    env = params.get("env") or {}
    if env and params.get("evaluate_env", True):
        try:
            env = expressions.evaluate(env, dict(wf_input or {}),
                                       {"env": env})
        except exceptions.ExpressionError as e:
            raise exceptions.CanNotEvaluate(
                what="the env of the execution", error=e) from e
    params["env"] = env
    return params


def initial_context(wf_spec, wf_input, runtime):
    """The workflow's context at start: its input plus evaluated vars."""
    ctx = dict(wf_input)
    try:
        ctx.update(expressions.evaluate(wf_spec.vars or {}, ctx, runtime))
    except exceptions.ExpressionError as e:
        raise exceptions.CanNotEvaluate(
            what="'vars' of workflow '%s'" % wf_spec.name, error=e) from e
    return ctx


def task_input(task_spec, ctx, runtime):
    """A task's input evaluated: a mapping, whether written as one or (as
    Mistral allows) as one expression giving it.

    :raises ExpressionError: the expression fails or gives no mapping.
    """
    value = expressions.evaluate(task_spec.input or {}, ctx, runtime)
    if not isinstance(value, dict):
        raise exceptions.InvalidTaskValue(
            field="Invalid input [task=%s]: the input expression"
            % task_spec.name, expected="a mapping",
            kind=type(value).__name__)
    return value


def merge(left, right):
    """Recursive merge: keys of ``right`` win, nested dicts merge."""
    result = dict(left or {})
    for key, value in (right or {}).items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = value
    return result


def publish(ctx, published):
    """``ctx`` with a task's published variables: each replaces the value
    of its name whole (Mistral's default ``merge_strategy = replace``: a
    dict published again is not merged into the one before)."""
    result = dict(ctx or {})
    result.update(published or {})
    return result


class TaskIndex(collections.abc.Mapping):
    """Task summaries by name for ``task(name)``, and in order for
    ``tasks()``; built on first use, since most expressions need neither
    and a large workflow has thousands of tasks."""

    def __init__(self, load_views, summarize):
        self._load_views = load_views
        self._summarize = summarize
        self._all = None
        self.summaries = _LazyList(self._summaries)

    def _summaries(self):
        if self._all is None:
            self._all = [self._summarize(v) for v in self._load_views()]
            self._by_name = {s["name"]: s for s in self._all}
        return self._all

    def __getitem__(self, name):
        self._summaries()
        return self._by_name[name]

    def __iter__(self):
        return iter({s["name"] for s in self._summaries()})

    def __len__(self):
        self._summaries()
        return len(self._by_name)


class _LazyList(collections.abc.Sequence):
    def __init__(self, load):
        self._load = load

    def __getitem__(self, index):
        return self._load()[index]

    def __len__(self):
        return len(self._load())
