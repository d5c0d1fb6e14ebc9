"""Finding expressions inside strings.

Two syntaxes may appear in a workflow value:

* YAQL, written ``<% ... %>``;
* Jinja2, written ``{{ ... }}`` (an expression) or ``{% ... %}`` (a
  statement block).

This module only looks at text: it never evaluates anything.
"""

import re

YAQL_RE = re.compile(r"<%(.*?)%>", re.DOTALL)
JINJA_EXPR_RE = re.compile(r"{{(.*?)}}", re.DOTALL)
JINJA_BLOCK_RE = re.compile(r"{%(.*?)%}", re.DOTALL)

YAQL = "yaql"
JINJA = "jinja"

# Names referenced as ``$.name`` (YAQL) or ``_.name`` (Jinja).
_YAQL_VAR_RE = re.compile(r"\$\.([A-Za-z_][A-Za-z0-9_]*)")
_JINJA_VAR_RE = re.compile(r"(?<![A-Za-z0-9_])_\.([A-Za-z_][A-Za-z0-9_]*)")


def may_contain(text):
    """Cheap pre-check: False guarantees that ``text`` has no expression."""
    return "<%" in text or "{{" in text or "{%" in text


def syntax_of(text):
    """Return ``YAQL``, ``JINJA``, ``None`` (plain text) or a tuple of both.

    A tuple ``(YAQL, JINJA)`` means the string mixes the two syntaxes,
    which is not allowed.
    """
    if not may_contain(text):
        return None
    has_yaql = YAQL_RE.search(text) is not None
    has_jinja = (JINJA_EXPR_RE.search(text) is not None
                 or JINJA_BLOCK_RE.search(text) is not None)
    if has_yaql and has_jinja:
        return (YAQL, JINJA)
    if has_yaql:
        return YAQL
    return JINJA if has_jinja else None


def whole_yaql(text):
    """The inner expression when ``text`` is exactly one ``<% %>`` block.

    Whitespace around the block is allowed. Returns ``None`` otherwise.
    """
    stripped = text.strip()
    if not (stripped.startswith("<%") and stripped.endswith("%>")):
        return None
    inner = stripped[2:-2]
    if "%>" in inner:
        return None
    return inner.strip()


def whole_jinja(text):
    """The inner expression when ``text`` is exactly one ``{{ }}`` block."""
    stripped = text.strip()
    if not (stripped.startswith("{{") and stripped.endswith("}}")):
        return None
    inner = stripped[2:-2]
    if "}}" in inner or "{%" in inner or "{{" in inner:
        return None
    return inner.strip()


def yaql_expressions(text):
    """All YAQL expression bodies (stripped) found in ``text``."""
    return [m.strip() for m in YAQL_RE.findall(text)]


def variables(text):
    """Names referenced as ``$.name`` or ``_.name`` in ``text``."""
    found = []
    for body in YAQL_RE.findall(text):
        found.extend(_YAQL_VAR_RE.findall(body))
    for regex in (JINJA_EXPR_RE, JINJA_BLOCK_RE):
        for body in regex.findall(text):
            found.extend(_JINJA_VAR_RE.findall(body))
    return found
