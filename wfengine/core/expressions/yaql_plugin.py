"""YAQL evaluation (``<% ... %>``).

One YAQL engine and one root context (standard library plus the custom
functions of :mod:`wfengine.core.expressions.functions`) are built at import
time. Each evaluate() call gets a :class:`Scope`, whose cheap child
context holds the data (``$``) and the runtime dict. Parsed expressions
are kept in a bounded LRU cache keyed by their text; the parse itself
takes a lock, because the engine's one ply lexer and parser hold the
text they work on (threads parsing at once read each other's tokens).
"""

import collections.abc  # noqa: F401  (yaql needs it loaded first)
import functools
import inspect
import re
import threading

import yaql
from yaql.language import exceptions as yaql_exc
from yaql.language import factory
from yaql.language import runner
from yaql.language import utils as yaql_utils

from wfengine.core.expressions import bounds
from wfengine.core.expressions import functions
from wfengine.core.expressions import yaql_bounded
from wfengine import exceptions

CACHE_SIZE = 4096
_CHECK_EVERY = 256

_RUNTIME_KEY = "__wf_runtime"


def _engine_options(limits):
    # yaql's own quota measures each function's result shallowly
    # (sys.getsizeof): room for a list of ``iterators`` references or a
    # text of ``value_size`` characters of any width, then the value cap
    # of :mod:`bounds` measures what an expression returns.
    return {
        "yaql.limitIterators": limits.iterators,
        "yaql.memoryQuota": max(8 * limits.iterators,
                                4 * limits.value_size) + 65536,
        "yaql.convertTuplesToLists": True,
        "yaql.convertSetsToLists": True,
        "yaql.iterableDicts": False,
        "yaql.convertOutputData": True,
    }


def _create_engine(limits):
    return factory.YaqlFactory(allow_delegates=False).create(
        options=_engine_options(limits))


_ENGINE = _create_engine(bounds.current())


def configure(limits):
    """Use ``limits`` (a :class:`bounds.Limits`) in every later evaluation."""
    global _ENGINE
    _ENGINE = _create_engine(limits)
    _parse.cache_clear()


_limit_iterable = yaql_utils.limit_iterable
_call = runner.call


def _timed(iterable):
    for count, item in enumerate(iterable):
        if count % _CHECK_EVERY == 0:
            bounds.check()
        yield item


def _limit_and_time(iterable, limit_or_engine):
    """yaql's collection limit, plus the evaluation's time budget: every
    collection a YAQL function walks passes through here."""
    limited = _limit_iterable(iterable, limit_or_engine)
    bounds.check()
    if isinstance(limited, (collections.abc.Sequence,
                            collections.abc.Mapping, collections.abc.Set)):
        return limited
    return _timed(limited)


def _timed_call(*args, **kwargs):
    """yaql's function call, after a look at the deadline: every operator
    and function of an expression passes through here."""
    bounds.check()
    return _call(*args, **kwargs)


# yaql converts every iterable argument with utils.limit_iterable and
# calls every function through runner.call (both looked up at call time):
# adding the time check there bounds loops and chains wherever they are
# written.
yaql_utils.limit_iterable = _limit_and_time
runner.call = _timed_call


def _no_limit(iterable):
    return iterable


def _runtime(context):
    return context[_RUNTIME_KEY]


def _env(context):
    return functions.env(_runtime(context))


def _execution(context):
    return functions.execution(_runtime(context))


def _task(context, name=None):
    return functions.task(_runtime(context), name)


def _tasks(context, workflow_execution_id=None, recursive=False, state=None,
           flat=False):
    return functions.tasks(_runtime(context), workflow_execution_id,
                           recursive, state, flat)


def _executions(context, id=None, root_execution_id=None, state=None,
                from_time=None, to_time=None):
    return functions.executions(_runtime(context), id, root_execution_id,
                                state, from_time, to_time)


def _global(context, name=None):
    return functions.global_(_runtime(context), name)


def _plain(data):
    """YAQL hands frozen dicts/tuples to functions: make them plain data."""
    return yaql_utils.convert_output_data(data, _no_limit, _ENGINE)


def _json_pp(data):
    return functions.json_pp(_plain(data))


def _json_dump(data):
    return functions.json_dump(_plain(data))


def _yaml_dump(data):
    return functions.yaml_dump(_plain(data))


def _build_root_context():
    root = yaql_bounded.build_context()
    registered = {
        "env": _env, "execution": _execution, "task": _task,
        "tasks": _tasks, "global": _global,
        "executions": _executions, "json_pp": _json_pp,
        "json_dump": _json_dump,
        "yaml_dump": _yaml_dump, "json_parse": functions.json_parse,
        "yaml_parse": functions.yaml_parse, "uuid": functions.uuid,
    }
    for name, func in registered.items():
        root.register_function(func, name=name)
    return root


_ROOT_CONTEXT = _build_root_context()


# yaql's engine parses with one ply lexer and one ply parser, which keep
# the text, position and stacks of the parse under way on themselves: two
# threads parsing at once (two API requests creating workflows, an engine
# thread meeting an expression for the first time) read each other's
# tokens and fail with a parse error that is not in either expression.
_PARSING = threading.Lock()


@functools.lru_cache(maxsize=CACHE_SIZE)
def _parse(expression):
    with _PARSING:
        return _ENGINE(expression)


# ``$.a.b``, ``task().result``, ``env().url``: names read from the data
# or from a function without arguments. Most expressions in workflows
# are such paths; Scope reads them without running YAQL.
_PATH_ROOTS = {"$": None, "task": functions.task, "env": functions.env,
               "execution": functions.execution}
_PATH_RE = re.compile(r"(\$|(?:task|env|execution)\(\s*\))"
                      r"((?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*)")
_KEYWORDS = {"and", "or", "not", "in", "is", "true", "false", "null"}


@functools.lru_cache(maxsize=CACHE_SIZE)
def _path(expression):
    """``(root, (name, ...))`` if ``expression`` is a simple path, else
    None. ``root`` is None for ``$``, else the function it calls."""
    match = _PATH_RE.fullmatch(expression.strip())
    if match is None:
        return None
    names = tuple(n.strip() for n in match.group(2).split(".")[1:])
    if _KEYWORDS.intersection(names):
        return None  # yaql reads these as constants or operators
    root = match.group(1)
    return _PATH_ROOTS[root.split("(")[0]], names


def _copy(value):
    """What yaql's output conversion makes of plain data: new dicts and
    lists (a result never shares containers with the context)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy(v) for v in value]
    return value


def validate(expression):
    """None when ``expression`` (without ``<% %>``) parses, else the error."""
    try:
        _parse(expression)
    except (yaql_exc.YaqlException, KeyError, ValueError, TypeError) as exc:
        return str(exc) or type(exc).__name__
    return None


def _make_context(data, runtime):
    context = _ROOT_CONTEXT.create_child_context()
    context["$"] = data
    context[_RUNTIME_KEY] = runtime or {}
    return context


class Scope:
    """The data and runtime of one evaluate() call, for any number of
    YAQL expressions.

    Expressions first run on the caller's data as is (no copy). Some
    YAQL operations need hashable containers (``distinct()`` over dicts,
    for instance) and fail with TypeError on plain dicts: only then is
    the data converted once to YAQL's frozen types and the expression run
    again. YAQL functions are pure, so the second run is safe.
    """

    __slots__ = ("_data", "_runtime", "_plain", "_frozen")

    def __init__(self, data, runtime):
        self._data = data
        self._runtime = runtime
        self._plain = None
        self._frozen = None

    def evaluate(self, expression):
        """Evaluate one YAQL ``expression`` (without ``<% %>``).

        Raises ExpressionError naming the expression and the cause.
        """
        path = _path(expression)
        if path is not None:
            found, value = self._read_path(*path)
            if found:
                return value
        try:
            statement = _parse(expression)
        except Exception as exc:
            raise _error(expression, "syntax error", exc) from None
        try:
            return self._run(statement)
        except Exception as exc:
            raise _error(expression, "evaluation failed", exc) from None

    def _read_path(self, root, names):
        """``(True, value)`` of a simple path through dicts; ``(False,
        None)`` for anything else (a missing key, a list, a string), which
        YAQL evaluates, and explains if it fails."""
        value = self._data if root is None else root(self._runtime or {})
        for name in names:
            if not isinstance(value, dict) or name not in value:
                return False, None
            value = value[name]
        return True, _copy(value)

    def _run(self, statement):
        if self._plain is None:
            self._plain = _make_context(self._data, self._runtime)
        with bounds.deadline():
            try:
                result = statement.evaluate(context=self._plain)
            except TypeError:
                frozen = self._frozen_context()
                result = statement.evaluate(context=frozen)
            return bounds.check_value(_sanitize(result))

    def _frozen_context(self):
        if self._frozen is None:
            self._frozen = _make_context(
                yaql_utils.convert_input_data(self._data), self._runtime)
        return self._frozen


def _sanitize(result):
    if isinstance(result, yaql_utils.FrozenDict):
        return yaql_utils.convert_output_data(result, _no_limit, _ENGINE)
    if inspect.isgenerator(result) or isinstance(result,
                                                 collections.abc.Iterator):
        return list(yaql_utils.limit_iterable(result, _ENGINE))
    return result


def _error(expression, what, exc):
    # Mistral's words first (users' alerts match on them), then ours.
    return exceptions.ExpressionError(
        "Can not evaluate YAQL expression [expression=%s, error=%s: %s]"
        % (expression.strip(), what, _cause(exc)))


def _limit_cause(exc):
    if isinstance(exc, TimeoutError):
        # The regex package's timeout: the deadline of the evaluation.
        exc = bounds.LimitExceeded("time_limit", "the evaluation time")
    return "limit exceeded: %s" % exc


def _cause(exc):
    if isinstance(exc, KeyError):
        return "no key %s in the data" % exc
    if isinstance(exc, yaql_exc.CollectionTooLargeException):
        return str(bounds.LimitExceeded("iterators", "a collection"))
    if isinstance(exc, yaql_exc.MemoryQuotaExceededException):
        return str(bounds.LimitExceeded("value_size", "a value"))
    if isinstance(exc, (bounds.LimitExceeded, TimeoutError)):
        return _limit_cause(exc)
    text = str(exc)
    return "%s: %s" % (type(exc).__name__, text) if text else \
        type(exc).__name__
