"""Sandboxed Jinja2 evaluation (``{{ ... }}`` and ``{% ... %}``).

The data context is the variable ``_`` (``{{ _.name }}``), as in
Mistral. The custom functions of :mod:`wfengine.core.expressions.functions`
are globals (``{{ env() }}``, ``{{ task('t1').result }}``) and the pure
ones are filters too (``{{ _.x | json_dump }}``).

Runaway templates are bounded rather than trusted, by the limits of
:mod:`wfengine.core.expressions.bounds`:

* every evaluation has a deadline, looked at by every ``{% for %}`` loop
  (templates are compiled with their loops wrapped), every call and every
  chunk of output;
* ``range()`` yields at most ``limit_iterators`` items;
* ``*``, ``+`` and ``~`` on strings and lists, ``**``, ``%`` formatting,
  ``lipsum()``, the ``center``, ``indent``, ``join``, ``replace`` and
  ``format`` filters, the padding, ``join`` and ``replace`` methods of
  strings and the growing methods of lists and dicts refuse results beyond
  the value cap, before they build them;
* the rendered text and every value returned are capped likewise.

For convenience ``_.name`` on a dict gives its key ``name`` even when a
dict method has that name (``_.items``, ``_.keys``), where plain Jinja
would return the method.

A bound hit raises ExpressionError naming the limit.
"""

import functools
import itertools

import jinja2
from jinja2 import nodes
from jinja2 import sandbox
from jinja2 import utils as jinja_utils
from jinja2 import visitor

from wfengine.core.expressions import bounds
from wfengine.core.expressions import functions
from wfengine import exceptions

CACHE_SIZE = 4096
# How often (in items) a loop looks at the clock.
_CHECK_EVERY = 64
# A generous upper bound of the characters of one lipsum() word.
_LIPSUM_WORD = 12

_RUNTIME_KEY = "__wf_runtime"
_PURE_FUNCTIONS = ("json_pp", "json_dump", "json_parse", "yaml_dump",
                   "yaml_parse", "uuid")
_PADDING_METHODS = ("center", "ljust", "rjust", "zfill")
_GROWING_METHODS = ("append", "extend", "insert", "update", "add",
                    "setdefault", "__iadd__")

def _check_binop(operator, left, right):
    if operator == "*":
        bounds.check_product(left, right)
    elif operator == "**":
        bounds.check_power(left, right)
    elif operator == "%":
        bounds.check_format(left)
    elif operator == "+" and isinstance(left, (str, list, tuple)) and \
            isinstance(right, (str, list, tuple)):
        bounds.check_size(len(left) + len(right), "'+'")


def _check_str_method(text, name, args):
    if name in _PADDING_METHODS and args and isinstance(args[0], int):
        bounds.check_size(args[0], "str.%s()" % name)
    elif name == "expandtabs" and args and isinstance(args[0], int):
        bounds.check_size(len(text) + text.count("\t") * args[0],
                          "expandtabs()")
    elif name == "replace" and len(args) >= 2:
        bounds.check_replace(text, *args[:3])
    elif name in ("format", "format_map"):
        bounds.check_format(text)
    elif name == "join" and args:
        bounds.check_join(text, list(args[0]) if not isinstance(
            args[0], (list, tuple)) else args[0])


def _check_growth(owner, name, args):
    """Before a method that grows a list, dict or set in place."""
    added = 1
    if args and name in ("extend", "update", "__iadd__") and \
            hasattr(args[0], "__len__"):
        added = len(args[0])
    bounds.check_size(len(owner) + added, "%s.%s()"
                      % (type(owner).__name__, name))


def _bounded_lipsum(n=5, html=True, min=20, max=100):
    """Jinja's lipsum(), refused when it would exceed the value cap."""
    if isinstance(n, int) and isinstance(max, int):
        bounds.check_size(n * max * _LIPSUM_WORD, "lipsum()")
    return jinja_utils.generate_lorem_ipsum(n=n, html=html, min=min,
                                            max=max)


def _bounded_loop(iterable):
    """What every ``{% for %}`` iterates: the same items, with a look at
    the deadline every few of them (a loop without output or calls would
    otherwise never reach a check). Items are taken a few at a time, in C,
    to keep the cost per item small."""
    items = iter(iterable)
    while True:
        bounds.check()
        chunk = tuple(itertools.islice(items, _CHECK_EVERY))
        if not chunk:
            return
        yield from chunk


def _bounded_concat(parts):
    """``a ~ b ~ ...``: the parts as text, joined if not too long."""
    texts = [str(part) for part in parts]
    bounds.check_concat(texts)
    return "".join(texts)


class _Bounder(visitor.NodeTransformer):
    """Routes every ``for`` loop and ``~`` of a template through the
    bounded helpers above (``environment.wf_loop``, ``wf_concat``)."""

    def visit_For(self, node):
        self.generic_visit(node)
        node.iter = self._call("wf_loop", [node.iter], node.lineno)
        return node

    def visit_Concat(self, node):
        self.generic_visit(node)
        return self._call("wf_concat",
                          [nodes.List(node.nodes, lineno=node.lineno)],
                          node.lineno)

    @staticmethod
    def _call(name, args, lineno):
        return nodes.Call(nodes.EnvironmentAttribute(name, lineno=lineno),
                          args, [], None, None, lineno=lineno)


def _guarded_range(*args):
    """``range()`` of at most ``limit_iterators`` items (loops over it are
    bounded by the deadline)."""
    rng = range(*args)
    if len(rng) > bounds.current().iterators:
        raise bounds.LimitExceeded("iterators", "range() of %d items"
                                   % len(rng))
    return rng


class _Sandbox(sandbox.SandboxedEnvironment):
    """A SandboxedEnvironment that also bounds size-multiplying operations,
    loops and concatenations."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    wf_loop = staticmethod(_bounded_loop)
    wf_concat = staticmethod(_bounded_concat)

    def _generate(self, source, name, filename, defer_init=False):
        """Compile templates and ``{{ }}`` expressions alike with their
        loops and concatenations bounded."""
        return super()._generate(_Bounder().visit(source), name, filename,
                                 defer_init)

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
            bounds.check_format(value.__self__)
        return wrapped

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805
        """Check calls of string methods before making them."""
        bounds.check()
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        if isinstance(owner, str):
            _check_str_method(owner, name, args)
        elif isinstance(owner, (list, dict, set)) and \
                name in _GROWING_METHODS:
            _check_growth(owner, name, args)
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
        bounds.check_size(width, "center")


def _indent_check(text, width=4, *args, **kwargs):
    if isinstance(text, str) and isinstance(width, int):
        bounds.check_size(len(text) + (text.count("\n") + 1) * width,
                          "indent")


def _replace_check(eval_ctx, text, old, new, count=None):
    bounds.check_replace(text, old, new, -1 if count is None else count)


def _format_check(value, *args, **kwargs):
    bounds.check_format(value)


def _bounded_join(original):
    """The ``join`` filter, refused when separators and items would exceed
    the value cap (checked on the items before joining them)."""
    @functools.wraps(original)
    def join(eval_ctx, value, d="", attribute=None):
        items = value if isinstance(value, (list, tuple)) else \
            list(_bounded_loop(value))
        bounds.check_join(str(d), items)
        return original(eval_ctx, items, d, attribute)
    return join


def _install_guards(env):
    checks = {"center": _center_check, "indent": _indent_check,
              "replace": _replace_check, "format": _format_check}
    for name, check in checks.items():
        env.filters[name] = _wrap_filter(env.filters[name], check)
    env.filters["join"] = _bounded_join(env.filters["join"])
    env.globals["lipsum"] = _bounded_lipsum


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
    cap = bounds.current().value_size
    for count, chunk in enumerate(template.generate(**variables), 1):
        size += len(chunk)
        if size > cap:
            bounds.check_size(size, "the rendered text")
        if count % _CHECK_EVERY == 0:
            bounds.check()
        parts.append(chunk)
    return "".join(parts)


def _compile(compiler, text, label):
    try:
        return compiler(text)
    except Exception as exc:
        raise _error(label, "syntax error", exc) from None


def _run(label, thunk):
    try:
        with bounds.deadline():
            return bounds.check_value(thunk())
    except Exception as exc:
        raise _error(label, "evaluation failed", exc) from None


def _error(label, what, exc):
    if isinstance(exc, bounds.LimitExceeded):
        return exceptions.ExpressionError(
            "Jinja expression '%s': limit exceeded: %s"
            % (_shorten(label), exc))
    cause = str(exc)
    cause = "%s: %s" % (type(exc).__name__, cause) if cause else \
        type(exc).__name__
    # Mistral's words first (users' alerts match on them), then ours.
    return exceptions.ExpressionError(
        "Can not evaluate Jinja expression [expression=%s, error=%s: %s]"
        % (_shorten(label), what, cause))


def _shorten(text):
    return text if len(text) <= 200 else text[:197] + "..."
