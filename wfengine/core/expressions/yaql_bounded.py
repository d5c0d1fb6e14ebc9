"""YAQL's standard library with every unbounded C operation bounded.

:func:`build_context` makes the root context of our YAQL engine:

* the standard library without its regular-expression functions, which
  run on ``re`` (no timeout: a backtracking pattern holds the interpreter
  lock for as long as it likes); they are replaced here by functions of
  the same names and signatures on the ``regex`` package, each match given
  the time left to the evaluation and run without holding the lock;
* the standard functions whose cost is decided by their operands (``*``,
  ``pow``, ``shiftBitsLeft``, ``join``, ``replace``) checked by
  :mod:`wfengine.core.expressions.bounds` before they run.
"""

import collections.abc  # noqa: F401  (yaql needs it loaded first)

import regex
import yaql
from yaql.language import specs
from yaql.language import yaqltypes
from yaql.standard_library import math as yaql_math
from yaql.standard_library import strings as yaql_strings

from wfengine.core.expressions import bounds

# How often (in items) a join looks at the clock.
_CHECK_EVERY = 256


class Pattern:
    """A compiled regular expression whose every match is time-bounded."""

    __slots__ = ("compiled",)

    def __init__(self, pattern, flags=0):
        self.compiled = regex.compile(pattern, flags)

    def search(self, string):
        return bounds.run_timed(lambda timeout: self.compiled.search(
            string, concurrent=True, timeout=timeout))

    def find_all(self, string):
        """Every match, as a list (bounded in number by the text)."""
        return bounds.run_timed(lambda timeout: list(self.compiled.finditer(
            string, concurrent=True, timeout=timeout)))

    def split(self, string, max_split=0):
        return bounds.run_timed(lambda timeout: self.compiled.split(
            string, max_split, concurrent=True, timeout=timeout))

    def sub(self, repl, string, count=0):
        if isinstance(repl, str) and len(repl) > 1:
            # Each match may add the replacement once: refuse a result
            # beyond the value cap before building it.
            matches = len(string) + 1 if count <= 0 else count
            bounds.check_size(len(string) + matches * len(repl),
                              "a regular-expression replace")
        if not isinstance(repl, str):
            # A YAQL lambda per match: it needs the interpreter, so it
            # runs here, with the deadline looked at between matches.
            return self.compiled.sub(repl, string, count,
                                     timeout=bounds.remaining())
        return bounds.run_timed(lambda timeout: self.compiled.sub(
            repl, string, count, concurrent=True, timeout=timeout))


def _compile(pattern):
    return pattern if isinstance(pattern, Pattern) else Pattern(pattern)


@specs.parameter("pattern", yaqltypes.String())
@specs.name("regex")
def _regex(pattern, ignore_case=False, multi_line=False, dot_all=False):
    flags = 0
    if ignore_case:
        flags |= regex.IGNORECASE
    if multi_line:
        flags |= regex.MULTILINE
    if dot_all:
        flags |= regex.DOTALL
    return Pattern(pattern, flags)


@specs.parameter("regexp", Pattern)
@specs.parameter("string", yaqltypes.String())
@specs.method
@specs.name("matches")
def _matches(regexp, string):
    return regexp.search(string) is not None


@specs.parameter("string", yaqltypes.String())
@specs.parameter("regexp", yaqltypes.String())
@specs.method
@specs.name("matches")
def _string_matches(string, regexp):
    return _compile(regexp).search(string) is not None


@specs.parameter("string", yaqltypes.String())
@specs.parameter("regexp", yaqltypes.AnyOf(yaqltypes.String(), Pattern))
@specs.name("#operator_=~")
def _match_operator(string, regexp):
    return _compile(regexp).search(string) is not None


@specs.parameter("string", yaqltypes.String())
@specs.parameter("regexp", yaqltypes.AnyOf(yaqltypes.String(), Pattern))
@specs.name("#operator_!~")
def _no_match_operator(string, regexp):
    return _compile(regexp).search(string) is None


def _publish(context, match):
    """``$1`` the whole match, ``$2``... the groups, ``$name`` named ones."""
    def record(group):
        return {"value": match.group(group), "start": match.start(group),
                "end": match.end(group)}
    context["$1"] = record(0)
    for index in range(1, len(match.groups()) + 1):
        context["$%d" % (index + 1)] = record(index)
    for name in match.groupdict():
        context["$" + name] = record(name)


def _selected(context, match, selector):
    if selector is None:
        return match.group()
    child = context.create_child_context()
    _publish(child, match)
    return selector(child)


@specs.parameter("regexp", Pattern)
@specs.parameter("string", yaqltypes.String())
@specs.parameter("selector", yaqltypes.Lambda(with_context=True))
@specs.method
@specs.name("search")
def _search(context, regexp, string, selector=None):
    match = regexp.search(string)
    return None if match is None else _selected(context, match, selector)


@specs.parameter("regexp", Pattern)
@specs.parameter("string", yaqltypes.String())
@specs.parameter("selector", yaqltypes.Lambda(with_context=True))
@specs.method
@specs.name("searchAll")
def _search_all(context, regexp, string, selector=None):
    return [_selected(context, match, selector)
            for match in regexp.find_all(string)]


@specs.parameter("regexp", Pattern)
@specs.parameter("string", yaqltypes.String())
@specs.parameter("max_split", int)
@specs.method
@specs.name("split")
def _split(regexp, string, max_split=0):
    return regexp.split(string, max_split)


@specs.parameter("string", yaqltypes.String())
@specs.parameter("regexp", Pattern)
@specs.parameter("max_split", int)
@specs.method
@specs.name("split")
def _split_string(string, regexp, max_split=0):
    return regexp.split(string, max_split)


@specs.parameter("regexp", Pattern)
@specs.parameter("string", yaqltypes.String())
@specs.parameter("repl", yaqltypes.String())
@specs.parameter("count", int)
@specs.method
@specs.name("replace")
def _replace(regexp, string, repl, count=0):
    return regexp.sub(repl, string, count)


@specs.parameter("string", yaqltypes.String())
@specs.parameter("regexp", Pattern)
@specs.parameter("repl", yaqltypes.String())
@specs.parameter("count", int)
@specs.method
@specs.name("replace")
def _replace_string(string, regexp, repl, count=0):
    return regexp.sub(repl, string, count)


def _replacer(context, repl):
    def replace(match):
        bounds.check()
        child = context.create_child_context()
        _publish(child, match)
        return repl(child)
    return replace


@specs.parameter("regexp", Pattern)
@specs.parameter("string", yaqltypes.String())
@specs.parameter("repl", yaqltypes.Lambda(with_context=True))
@specs.parameter("count", int)
@specs.method
@specs.name("replaceBy")
def _replace_by(context, regexp, string, repl, count=0):
    return _bounded_text(regexp.sub(_replacer(context, repl), string, count))


@specs.parameter("string", yaqltypes.String())
@specs.parameter("regexp", Pattern)
@specs.parameter("repl", yaqltypes.Lambda(with_context=True))
@specs.parameter("count", int)
@specs.method
@specs.name("replaceBy")
def _replace_by_string(context, string, regexp, repl, count=0):
    return _bounded_text(regexp.sub(_replacer(context, repl), string, count))


@specs.parameter("string", yaqltypes.String())
@specs.name("escapeRegex")
def _escape_regex(string):
    return regex.escape(string)


@specs.name("isRegex")
def _is_regex(value):
    return isinstance(value, Pattern)


def _bounded_text(text):
    bounds.check_size(len(text), "a regular-expression replace")
    return text


REGEX_FUNCTIONS = (
    _regex, _matches, _string_matches, _match_operator, _no_match_operator,
    _search, _search_all, _split, _split_string, _replace, _replace_string,
    _replace_by, _replace_by_string, _escape_regex, _is_regex)


def _checked(check, original):
    def run(*args, **kwargs):
        check(*args)
        return original(*args, **kwargs)
    run.__name__ = original.__name__
    return run


def _join(sequence, separator, str_delegate):
    items = []
    for count, item in enumerate(sequence):
        if count % _CHECK_EVERY == 0:
            bounds.check()
        items.append(str_delegate(item))
    bounds.check_join(separator, items)
    return separator.join(items)


def _join_separator_first(separator, sequence, str_delegate):
    return _join(sequence, separator, str_delegate)


def _replace_plain(string, old, new, count=-1):
    bounds.check_replace(string, old, new, count)
    return string.replace(old, new, count)


def _replace_with_dict(string, str_func, replacements, count=-1):
    for old, new in replacements.items():
        old, new = str_func(old), str_func(new)
        bounds.check_replace(string, old, new, count)
        string = string.replace(old, new, count)
    return string


def _check_string_by_int(left, right, *rest):
    bounds.check_product(left, right)


# The standard functions (by their Python function) and what replaces
# them: same parameters, checked first.
REPLACEMENTS = {
    yaql_math.multiplication: _checked(
        lambda left, right: bounds.check_product(left, right),
        yaql_math.multiplication),
    yaql_math.pow_: _checked(bounds.check_power, yaql_math.pow_),
    yaql_math.shift_bits_left: _checked(bounds.check_shift,
                                        yaql_math.shift_bits_left),
    yaql_strings.string_by_int: _checked(_check_string_by_int,
                                         yaql_strings.string_by_int),
    yaql_strings.int_by_string: _checked(_check_string_by_int,
                                         yaql_strings.int_by_string),
    yaql_strings.join: _join,
    yaql_strings.join_: _join_separator_first,
    yaql_strings.replace: _replace_plain,
    yaql_strings.replace_with_dict: _replace_with_dict,
}
_REPLACED_NAMES = ("#operator_*", "pow", "shiftBitsLeft", "join", "replace")


def build_context():
    """A root context: the bounded standard library, without delegates."""
    root = yaql.create_context(regex=False)
    for name in _REPLACED_NAMES:
        for layer in root.collect_functions(name):
            for definition in layer:
                replacement = REPLACEMENTS.get(definition.payload)
                if replacement is not None:
                    definition.payload = replacement
    for function in REGEX_FUNCTIONS:
        root.register_function(function)
    return root
