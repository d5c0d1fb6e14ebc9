"""Bounded YAML loading for untrusted text.

Workflow definitions arrive from API users and ``yaml_parse()`` runs on
data, so the loader refuses input that could exhaust memory or CPU before
a single object is built:

* text longer than ``max_size`` characters;
* a document whose *expanded* size is over ``max_expanded_size``: every
  alias (``*name``) counts the whole size of the node it repeats, so 48
  aliases of 3 per level ("billion laughs") are refused for what they
  would build, not for how many they are, while many aliases of small
  nodes stay fine;
* collections nested deeper than ``max_depth``.

The check scans the parser's event stream (libyaml when available), which
holds one event at a time and builds nothing. Only plain data comes out
(``yaml.SafeLoader`` semantics). Timestamps and binary scalars stay strings
so that every loaded document is JSON-serializable.

This module is a leaf: the language and the expressions both use it, and
it imports neither.
"""

import dataclasses

import yaml

from wfengine import exceptions


@dataclasses.dataclass(frozen=True)
class Limits:
    """Bounds of one document.

    :param max_size: characters of text.
    :param max_expanded_size: size of what the document expands to, in
        characters of its scalars plus :data:`NODE_COST` per node.
    :param max_depth: nesting of collections.
    """

    max_size: int = 1024 * 1024
    max_expanded_size: int = 10 * 1024 * 1024
    max_depth: int = 64


# What one node (a scalar, a list, a mapping) costs beside its text: a
# document of many tiny nodes builds many objects.
NODE_COST = 8

_limits = Limits()

_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE_LOADER):
    """SafeLoader that keeps timestamps and binary scalars as text."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp",
                        _BASE_LOADER.construct_yaml_str)
_Loader.add_constructor("tag:yaml.org,2002:binary",
                        _BASE_LOADER.construct_yaml_str)


def configure(limits):
    """Use ``limits`` (a :class:`Limits`) for every later document."""
    global _limits
    _limits = limits


def current():
    """The :class:`Limits` in force."""
    return _limits


def load(text, what="workflow text", max_expanded_size=None):
    """Parse ``text`` into plain data or raise InvalidModelException.

    ``what`` names the document in error messages; ``max_expanded_size``
    lowers the limit of the expanded size for this document.
    """
    return _checked(yaml.load, text, what, max_expanded_size)


def compose(text, what="workflow text"):
    """The node tree of ``text`` (nodes know their lines), within the
    limits :func:`load` keeps; raises InvalidModelException."""
    return _checked(yaml.compose, text, what, None)


def _checked(parse, text, what, max_expanded_size):
    if not isinstance(text, str):
        raise exceptions.InvalidText(
            what=what, problem="expected text, got %s" % type(text).__name__)
    if len(text) > _limits.max_size:
        raise exceptions.InvalidText(
            what=what, problem="%d characters exceed the limit of %d"
            % (len(text), _limits.max_size))
    try:
        _Scan(what, min(max_expanded_size or _limits.max_expanded_size,
                        _limits.max_expanded_size)).run(text)
        return parse(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise exceptions.InvalidText(
            what=what, problem="invalid YAML: %s" % _describe(exc)) from None
    except RecursionError:
        raise exceptions.InvalidText(what=what,
                                     problem="nesting too deep") from None


class _Scan:
    """One pass over the events: depth, and the expanded size of every
    node (an anchored node remembers its size for the aliases to it)."""

    def __init__(self, what, max_expanded_size):
        self.what = what
        self.limit = max_expanded_size
        self.total = 0
        self.anchors = {}
        # One entry per open collection: [anchor, size so far].
        self.open = []

    def run(self, text):
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.ScalarEvent):
                self._node(event.anchor, len(event.value) + NODE_COST, event)
            elif isinstance(event, yaml.AliasEvent):
                self._alias(event)
            elif isinstance(event, yaml.CollectionStartEvent):
                self._start(event)
            elif isinstance(event, yaml.CollectionEndEvent):
                anchor, size = self.open.pop()
                self._node(anchor, size, event)

    def _start(self, event):
        if len(self.open) >= _limits.max_depth:
            raise exceptions.InvalidText(
                what=self.what, problem="nesting deeper than %d levels%s"
                % (_limits.max_depth, _where(event.start_mark)))
        self.open.append([event.anchor, NODE_COST])

    def _alias(self, event):
        size = self.anchors.get(event.anchor)
        if size is None:
            raise exceptions.InvalidText(
                what=self.what, problem="alias *%s before its anchor%s"
                % (event.anchor, _where(event.start_mark)))
        self._node(None, size, event)

    def _node(self, anchor, size, event):
        if anchor is not None:
            self.anchors[anchor] = size
        if self.open:
            self.open[-1][1] += size
        self.total += size if not self.open else 0
        expanded = self.total + sum(entry[1] for entry in self.open)
        if size > self.limit or expanded > self.limit:
            raise exceptions.InvalidText(
                what=self.what, problem="expands to more than %d characters "
                "(aliases repeat what they name)%s, the limit of its "
                "expanded size" % (self.limit, _where(event.start_mark)))


def _describe(exc):
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return "%s%s" % (problem, _where(mark))


def _where(mark):
    if mark is None:
        return ""
    return " (line %d, column %d)" % (mark.line + 1, mark.column + 1)
