"""Expression evaluation: one facade over YAQL and sandboxed Jinja2.

Values in a workflow may hold expressions in two syntaxes:

* YAQL, ``<% $.name %>``: the data context is ``$``;
* Jinja2, ``{{ _.name }}`` or ``{% ... %}`` blocks: the data context is
  ``_``.

:func:`evaluate` walks dicts (keys and values), lists and strings. A
string that is exactly one expression (whitespace around allowed) gives
the raw value of the expression (int, dict, ...); a string with text
around expressions is interpolated, each value converted with ``str()``
as Mistral does (a Jinja template is rendered). One string may not mix
YAQL and Jinja.

``runtime`` is plain data supplied by the engine for the functions
available in both syntaxes:

* ``runtime["env"]``: dict returned by ``env()``;
* ``runtime["execution"]``: dict returned by ``execution()``;
* ``runtime["task"]``: dict returned by ``task()`` (the current task);
* ``runtime["tasks"]``: dict name -> task dict for ``task(name)``.

Other functions: ``json_pp(x)``, ``json_dump(x)``, ``json_parse(s)``,
``yaml_dump(x)``, ``yaml_parse(s)``, ``uuid()``. Nothing here touches a
database.

Every evaluation runs within the limits of :mod:`.bounds` (time, size of
values, integers, collections), set for the process by :func:`configure`.
An error names the expression, and where it sits inside ``data`` (``at
'x.y[2]'``) when it is not ``data`` itself.
"""

from wfengine.core.expressions import bounds
from wfengine.core.expressions import jinja_plugin
from wfengine.core.expressions import patterns
from wfengine.core.expressions import yaql_plugin
from wfengine import exceptions

Limits = bounds.Limits


def configure(limits):
    """Evaluate every later expression of this process within ``limits``
    (a :class:`Limits`)."""
    bounds.configure(limits)
    yaql_plugin.configure(limits)


class _Session:
    """What one evaluate() call shares across the strings it visits.

    The YAQL scope and the Jinja variables are built on first use only,
    and once per call however many strings hold expressions.
    """

    __slots__ = ("data", "runtime", "expressions", "_yaql_scope",
                 "_jinja_vars")

    def __init__(self, data, runtime):
        self.data = data
        self.runtime = runtime or {}
        # Strings with expressions evaluated so far.
        self.expressions = 0
        self._yaql_scope = None
        self._jinja_vars = None

    def yaql(self, expression):
        """Evaluate one YAQL expression body in this session."""
        if self._yaql_scope is None:
            self._yaql_scope = yaql_plugin.Scope(self.data, self.runtime)
        return self._yaql_scope.evaluate(expression)

    def jinja_vars(self):
        """The Jinja variables of this session."""
        if self._jinja_vars is None:
            self._jinja_vars = jinja_plugin.make_variables(self.data,
                                                           self.runtime)
        return self._jinja_vars


def evaluate(data, ctx, runtime=None):
    """Evaluate every expression found in ``data`` against ``ctx``.

    Returns a new structure; ``data`` is not modified. A raw value may
    be the very object found in ``ctx`` (Jinja does not copy): copy it
    before mutating it. Raises ExpressionError naming the failing
    expression and the cause.
    """
    session = _Session(ctx, runtime)
    try:
        result = _walk(data, session)
    except _Located as located:
        raise exceptions.ExpressionError(
            "%s (at '%s')" % (located.error, located.where())) from None
    if session.expressions > 1:
        # One value is capped where it is made (or read from data that
        # was); several may add up past the cap.
        _check_whole(result)
    return result


def _check_whole(result):
    """Each expression's value is capped; so is what they make together
    (a publish or output of many values, each under the cap)."""
    try:
        bounds.check_value(result)
    except bounds.LimitExceeded as e:
        raise exceptions.ExpressionError(
            "The values of these expressions together: limit exceeded: %s"
            % e) from None


class _Located(Exception):
    """An ExpressionError on its way up, collecting where it happened."""

    def __init__(self, error, step):
        super().__init__(str(error))
        self.error = error
        self.steps = [step]

    def where(self):
        return "".join(self.steps).lstrip(".")


def _walk(data, session):
    if isinstance(data, str):
        return _evaluate_string(data, session)
    if isinstance(data, dict):
        return _walk_dict(data, session)
    if isinstance(data, (list, tuple)):
        return _walk_list(data, session)
    return data


def _walk_list(data, session):
    result = []
    for index, item in enumerate(data):
        try:
            result.append(_walk(item, session))
        except (exceptions.ExpressionError, _Located) as e:
            raise _locate(e, "[%d]" % index) from None
    return result


def _walk_dict(data, session):
    result = {}
    for key, value in data.items():
        try:
            new_key = _walk(key, session)
            result[new_key] = _walk(value, session)
        except TypeError:
            raise exceptions.ExpressionError(
                "Dict key '%s' evaluates to %s, which cannot be a key"
                % (key, type(new_key).__name__)) from None
        except (exceptions.ExpressionError, _Located) as e:
            raise _locate(e, ".%s" % key) from None
    return result


def _locate(error, step):
    if isinstance(error, _Located):
        error.steps.insert(0, step)
        return error
    return _Located(error, step)


def _evaluate_string(text, session):
    syntax = patterns.syntax_of(text)
    if syntax is None:
        return text
    session.expressions += 1
    if syntax == patterns.YAQL:
        return _evaluate_yaql(text, session)
    if syntax == patterns.JINJA:
        return _evaluate_jinja(text, session)
    raise exceptions.ExpressionError(
        "Expression '%s' mixes YAQL (<%% %%>) and Jinja ({{ }}) syntax"
        % text)


def _evaluate_yaql(text, session):
    whole = patterns.whole_yaql(text)
    if whole is not None:
        return session.yaql(whole)

    total = [len(text)]

    def substitute(match):
        # Each value is capped; their sum in one string must be too.
        value = str(session.yaql(match.group(1).strip()))
        total[0] += len(value)
        bounds.check_size(total[0], "text with expressions")
        return value
    try:
        return patterns.YAQL_RE.sub(substitute, text)
    except bounds.LimitExceeded as e:
        raise exceptions.ExpressionError(
            "YAQL expressions in '%s': limit exceeded: %s"
            % (text[:200], e)) from None


def _evaluate_jinja(text, session):
    whole = patterns.whole_jinja(text)
    if whole is not None:
        return jinja_plugin.evaluate_expression(whole, session.jinja_vars())
    return jinja_plugin.render(text, session.jinja_vars())


def validate(data):
    """Syntax problems of every expression found in ``data``.

    Walks dict keys and values, lists and strings. Returns a list of
    messages, each quoting the faulty expression; ``[]`` when all parse.
    """
    problems = []
    _collect_problems(data, problems)
    return problems


def _collect_problems(data, problems):
    if isinstance(data, str):
        problems.extend(_string_problems(data))
    elif isinstance(data, dict):
        for key, value in data.items():
            _collect_problems(key, problems)
            _collect_problems(value, problems)
    elif isinstance(data, (list, tuple)):
        for item in data:
            _collect_problems(item, problems)


def _string_problems(text):
    syntax = patterns.syntax_of(text)
    if syntax is None:
        return []
    if syntax == patterns.YAQL:
        return _yaql_problems(text)
    if syntax == patterns.JINJA:
        return _jinja_problems(text)
    return ["expression '%s' mixes YAQL (<%% %%>) and Jinja ({{ }}) syntax"
            % text]


def _yaql_problems(text):
    problems = []
    for body in patterns.yaql_expressions(text):
        if not body:
            problems.append("empty YAQL expression in '%s'" % text)
            continue
        error = yaql_plugin.validate(body)
        if error:
            problems.append("invalid YAQL expression '<%% %s %%>': %s"
                            % (body, error))
    return problems


def _jinja_problems(text):
    whole = patterns.whole_jinja(text)
    if whole is not None:
        error = jinja_plugin.validate_expression(whole)
        shown = "{{ %s }}" % whole
    else:
        error = jinja_plugin.validate_template(text)
        shown = text
    if error:
        return ["invalid Jinja expression '%s': %s" % (shown, error)]
    return []


def has_expressions(s):
    """True when the string ``s`` holds a YAQL or Jinja expression."""
    return isinstance(s, str) and patterns.syntax_of(s) is not None


def extract_vars(data):
    """Names referenced as ``$.name`` / ``_.name`` anywhere in ``data``.

    Best effort (a regular expression over each expression), in order of
    first appearance, without duplicates.
    """
    found = []
    _collect_vars(data, found)
    return list(dict.fromkeys(found))


def _collect_vars(data, found):
    if isinstance(data, str):
        if patterns.may_contain(data):
            found.extend(patterns.variables(data))
    elif isinstance(data, dict):
        for key, value in data.items():
            _collect_vars(key, found)
            _collect_vars(value, found)
    elif isinstance(data, (list, tuple)):
        for item in data:
            _collect_vars(item, found)
