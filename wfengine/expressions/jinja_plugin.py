"""Sandboxed Jinja2 evaluation (``{{ ... }}`` and ``{% ... %}``).

The data context is the variable ``_`` (``{{ _.name }}``), as in
Mistral. The custom functions of :mod:`wfengine.expressions.functions`
are globals (``{{ env() }}``, ``{{ task('t1').result }}``) and the pure
ones are filters too (``{{ _.x | json_dump }}``).

Runaway templates are bounded rather than trusted:

* ``range()`` yields at most :data:`MAX_RANGE` items per call and
  :data:`RANGE_BUDGET` items per evaluation (nested loops add up);
* ``*`` on strings/lists, ``**``, ``%`` formatting, the ``center``,
  ``indent``, ``replace`` and ``format`` filters and the padding methods
  of strings refuse results beyond :data:`MAX_SIZE`;
* rendered text is capped at :data:`MAX_SIZE` characters.

For convenience ``_.name`` on a dict gives its key ``name`` even when a
dict method has that name (``_.items``, ``_.keys``), where plain Jinja
would return the method.

A bound hit raises ExpressionError. CPU spent on data the caller passed
in (looping over a big list) is not bounded here.
"""

import contextvars
import functools
import re

import jinja2
from jinja2 import sandbox

from wfengine import exceptions
from wfengine.expressions import functions

MAX_RANGE = 10000
RANGE_BUDGET = 100000
MAX_SIZE = 1000000
MAX_POWER_BITS = 100000
CACHE_SIZE = 4096

_RUNTIME_KEY = "__wf_runtime"
_PURE_FUNCTIONS = ("json_pp", "json_dump", "json_parse", "yaml_dump",
                   "yaml_parse", "uuid")
_PADDING_METHODS = ("center", "ljust", "rjust", "zfill")
# A %-style or {}-style conversion with a huge width/precision, or a '*'.
_HUGE_FORMAT_RE = re.compile(
    r"%[#0\- +]*(\*|\d*\.?\d{7,})|{[^{}]*:[^{}]*\d{7,}[^{}]*}")

_range_budget = contextvars.ContextVar("wfengine_jinja_range_budget",
                                       default=None)


class RunawayError(Exception):
    """An expression tried to exceed one of the bounds of this module."""


def _check_size(size, what):
    if size > MAX_SIZE:
        raise RunawayError("%s would build %d items, limit is %d"
                           % (what, size, MAX_SIZE))


def _check_format(template):
    if isinstance(template, str) and _HUGE_FORMAT_RE.search(template):
        raise RunawayError("format string '%s' asks for a huge width"
                           % template[:60])


def _check_replace(text, old, new):
    if isinstance(text, str) and isinstance(new, str) and old:
        growth = text.count(old) * max(len(new) - len(old), 0)
        _check_size(len(text) + growth, "replace()")


def _check_multiply(left, right):
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, (str, list, tuple)) and isinstance(count, int):
            _check_size(len(seq) * max(count, 0), "'*'")


def _check_power(base, exponent):
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
        bits = exponent * max(abs(base).bit_length() - 1, 0)
        if bits > MAX_POWER_BITS:
            raise RunawayError("'**' would build a %d-bit number" % bits)


def _check_binop(operator, left, right):
    if operator == "*":
        _check_multiply(left, right)
    elif operator == "**":
        _check_power(left, right)
    elif operator == "%":
        _check_format(left)


def _check_str_method(text, name, args):
    if name in _PADDING_METHODS and args and isinstance(args[0], int):
        _check_size(args[0], "str.%s()" % name)
    elif name == "expandtabs" and args and isinstance(args[0], int):
        _check_size(len(text) + text.count("\t") * args[0], "expandtabs()")
    elif name == "replace" and len(args) >= 2:
        _check_replace(text, args[0], args[1])
    elif name in ("format", "format_map"):
        _check_format(text)


def _guarded_range(*args):
    """``range()`` limited per call and per evaluation."""
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise RunawayError("range() of %d items, limit is %d"
                           % (len(rng), MAX_RANGE))
    budget = _range_budget.get()
    if budget is not None:
        budget[0] -= len(rng)
        if budget[0] < 0:
            raise RunawayError("range() calls exceed %d items in total"
                               % RANGE_BUDGET)
    return rng


class _Sandbox(sandbox.SandboxedEnvironment):
    """A SandboxedEnvironment that also bounds size-multiplying operations."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context, operator, left, right):
        """Check an intercepted operator before applying it."""
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def getattr(self, obj, attribute):
        """``_.items`` is the key 'items' of a dict, not its method."""
        if isinstance(obj, dict):
            try:
                return obj[attribute]
            except (KeyError, TypeError):
                pass
        return super().getattr(obj, attribute)

    def wrap_str_format(self, value):
        """Check the template of ``str.format`` when it is looked up."""
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_format(value.__self__)
        return wrapped

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805
        """Check calls of string methods before making them."""
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            _check_str_method(owner, getattr(__obj, "__name__", ""), args)
        return super().call(__context, __obj, *args, **kwargs)


def _runtime(context):
    return context.get(_RUNTIME_KEY) or {}


@jinja2.pass_context
def _env(context):
    return functions.env(_runtime(context))


@jinja2.pass_context
def _execution(context):
    return functions.execution(_runtime(context))


@jinja2.pass_context
def _task(context, name=None):
    return functions.task(_runtime(context), name)


@jinja2.pass_context
def _tasks(context, workflow_execution_id=None, recursive=False, state=None,
           flat=False):
    return functions.tasks(_runtime(context), workflow_execution_id,
                           recursive, state, flat)


@jinja2.pass_context
def _executions(context, id=None, root_execution_id=None, state=None,
                from_time=None, to_time=None):
    return functions.executions(_runtime(context), id, root_execution_id,
                                state, from_time, to_time)


@jinja2.pass_context
def _global(context, name=None):
    return functions.global_(_runtime(context), name)


def _wrap_filter(original, check):
    @functools.wraps(original)
    def guarded(*args, **kwargs):
        check(*args, **kwargs)
        return original(*args, **kwargs)
    return guarded


def _center_check(value, width=80):
    if isinstance(width, int):
        _check_size(width, "center")


def _indent_check(text, width=4, *args, **kwargs):
    if isinstance(text, str) and isinstance(width, int):
        _check_size(len(text) + (text.count("\n") + 1) * width, "indent")


def _replace_check(eval_ctx, text, old, new, count=None):
    _check_replace(text, old, new)


def _format_check(value, *args, **kwargs):
    _check_format(value)


def _install_guards(env):
    checks = {"center": _center_check, "indent": _indent_check,
              "replace": _replace_check, "format": _format_check}
    for name, check in checks.items():
        env.filters[name] = _wrap_filter(env.filters[name], check)


def _build_environment():
    env = _Sandbox(undefined=jinja2.StrictUndefined, trim_blocks=True,
                   lstrip_blocks=True, autoescape=False)
    env.globals["range"] = _guarded_range
    env.globals["env"] = _env
    env.globals["execution"] = _execution
    env.globals["task"] = _task
    env.globals["tasks"] = _tasks
    env.globals["global"] = _global
    env.globals["executions"] = _executions
    for name in _PURE_FUNCTIONS:
        env.globals[name] = getattr(functions, name)
        env.filters[name] = getattr(functions, name)
    _install_guards(env)
    return env


_ENV = _build_environment()


@functools.lru_cache(maxsize=CACHE_SIZE)
def _compile_expression(expression):
    return _ENV.compile_expression(expression, undefined_to_none=False)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _compile_template(text):
    return _ENV.from_string(text)


def make_variables(data, runtime):
    """The variables one evaluation passes to Jinja."""
    return {"_": data, _RUNTIME_KEY: runtime or {}}


def validate_expression(expression):
    """None when the ``{{ }}`` body parses, else the syntax error text."""
    return _syntax_error(_compile_expression, expression)


def validate_template(text):
    """None when the template ``text`` parses, else the syntax error text."""
    return _syntax_error(_compile_template, text)


def _syntax_error(compiler, text):
    try:
        compiler(text)
    except jinja2.TemplateSyntaxError as exc:
        return str(exc)
    return None


def evaluate_expression(expression, variables):
    """The raw value of one ``{{ }}`` body; raises ExpressionError."""
    label = "{{ %s }}" % expression
    compiled = _compile(_compile_expression, expression, label)
    result = _run(label, lambda: compiled(**variables))
    if isinstance(result, jinja2.Undefined):
        _run(label, lambda: str(result))
    return result


def render(text, variables):
    """Render the template ``text`` to a string; raises ExpressionError."""
    template = _compile(_compile_template, text, text)
    return _run(text, lambda: _render_bounded(template, variables))


def _render_bounded(template, variables):
    parts = []
    size = 0
    for chunk in template.generate(**variables):
        size += len(chunk)
        if size > MAX_SIZE:
            raise RunawayError("rendered text exceeds %d characters"
                               % MAX_SIZE)
        parts.append(chunk)
    return "".join(parts)


def _compile(compiler, text, label):
    try:
        return compiler(text)
    except Exception as exc:
        raise _error(label, "syntax error", exc) from None


def _run(label, thunk):
    token = _range_budget.set([RANGE_BUDGET])
    try:
        return thunk()
    except Exception as exc:
        raise _error(label, "evaluation failed", exc) from None
    finally:
        _range_budget.reset(token)


def _error(label, what, exc):
    cause = str(exc)
    cause = "%s: %s" % (type(exc).__name__, cause) if cause else \
        type(exc).__name__
    # Mistral's words first (users' alerts match on them), then ours.
    return exceptions.ExpressionError(
        "Can not evaluate Jinja expression [expression=%s, error=%s: %s]"
        % (_shorten(label), what, cause))


def _shorten(text):
    return text if len(text) <= 200 else text[:197] + "..."
