"""Bounded YAML loading for untrusted text.

Workflow definitions arrive from API users, so the loader refuses input
that could exhaust memory or CPU before a single object is built:

* text longer than :data:`MAX_SIZE` characters;
* more than :data:`MAX_ALIASES` alias references (``*name``), which is
  what "billion laughs" documents rely on;
* collections nested deeper than :data:`MAX_DEPTH`.

Only plain data comes out (``yaml.SafeLoader`` semantics, libyaml when
available). Timestamps and binary scalars stay strings so that every
loaded document is JSON-serializable.
"""

import yaml

from wfengine import exceptions

MAX_SIZE = 1024 * 1024
MAX_ALIASES = 50
MAX_DEPTH = 64

_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE_LOADER):
    """SafeLoader that keeps timestamps and binary scalars as text."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp",
                        _BASE_LOADER.construct_yaml_str)
_Loader.add_constructor("tag:yaml.org,2002:binary",
                        _BASE_LOADER.construct_yaml_str)


def load(text, what="workflow text"):
    """Parse ``text`` into plain data or raise InvalidModelException.

    ``what`` names the document in error messages.
    """
    if not isinstance(text, str):
        raise exceptions.InvalidModelException(
            "%s: expected text, got %s" % (what, type(text).__name__))
    if len(text) > MAX_SIZE:
        raise exceptions.InvalidModelException(
            "%s: %d characters exceed the limit of %d"
            % (what, len(text), MAX_SIZE))
    try:
        _check_structure(text, what)
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise exceptions.InvalidModelException(
            "%s: invalid YAML: %s" % (what, _describe(exc))) from None


def _check_structure(text, what):
    """Scan the event stream and refuse too many aliases or deep nesting."""
    aliases = 0
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise exceptions.InvalidModelException(
                    "%s: more than %d YAML aliases" % (what, MAX_ALIASES))
        elif isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise exceptions.InvalidModelException(
                    "%s: nesting deeper than %d levels%s"
                    % (what, MAX_DEPTH, _where(event.start_mark)))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _describe(exc):
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return "%s%s" % (problem, _where(mark))


def _where(mark):
    if mark is None:
        return ""
    return " (line %d, column %d)" % (mark.line + 1, mark.column + 1)
