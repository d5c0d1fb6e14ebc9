"""The inline ("short") form of calls: ``name key=value key2=value2``.

Used by ``action:`` / ``workflow:`` (``std.echo output="hi"``) and by
transitions (``fail msg="boom"``, or as a call: ``fail(msg="boom")``, the
parameters then separated by commas or blanks). The name may itself be an expression
(``<% $.action %>``). Values are read as:

* ``<% ... %>`` / ``{{ ... }}``: kept as the expression text;
* ``"..."`` / ``'...'``: the quoted text;
* ``{...}`` / ``[...]``: parsed as JSON, else as YAML flow, else text;
* anything else up to the next blank: JSON scalar when it parses
  (``1`` -> 1, ``true`` -> True, ``null`` -> None), else text.
"""

import json
import re

from wfengine.core import yamlsafe
from wfengine import exceptions

_KEY_RE = re.compile(r"([A-Za-z_][\w\-]*)=")
_CALL_RE = re.compile(r"([A-Za-z_][\w.\-]*)\((.*)\)$", re.DOTALL)
_CLOSERS = {"<%": "%>", "{{": "}}"}
_BRACKETS = {"{": "}", "[": "]"}


class InlineError(ValueError):
    """The inline text does not follow ``name key=value ...``."""


def split_call(text):
    """Split ``"name k=v ..."`` into ``(name, {k: v, ...})``.

    Raises InlineError describing the first problem.
    """
    text = text.strip()
    if not text:
        raise InlineError("empty name")
    call = _CALL_RE.match(text)
    if call:
        # ``fail(msg="x", code=1)``: the call form Mistral also reads.
        return call.group(1), _scan_params(call.group(2), 0, ",")
    name_end = _scan_name(text)
    return text[:name_end], _scan_params(text, name_end, "")


def _scan_params(text, pos, separators):
    params = {}
    pos = _skip_blanks(text, pos, separators)
    while pos < len(text):
        key, pos = _scan_key(text, pos)
        if key in params:
            raise InlineError("parameter '%s' given twice" % key)
        params[key], pos = _scan_value(text, pos, separators)
        pos = _skip_blanks(text, pos, separators)
    return params


def _scan_name(text):
    for opener, closer in _CLOSERS.items():
        if text.startswith(opener):
            return _find_closer(text, 0, closer)
    match = re.search(r"\s", text)
    return match.start() if match else len(text)


def _skip_blanks(text, pos, separators=""):
    while pos < len(text) and (text[pos].isspace()
                               or text[pos] in separators):
        pos += 1
    return pos


def _scan_key(text, pos):
    match = _KEY_RE.match(text, pos)
    if not match:
        raise InlineError("expected key=value at '%s'" % _excerpt(text, pos))
    return match.group(1), match.end()


def _scan_value(text, pos, separators=""):
    if pos >= len(text) or text[pos].isspace() or text[pos] in separators:
        return "", pos
    for opener, closer in _CLOSERS.items():
        if text.startswith(opener, pos):
            end = _find_closer(text, pos, closer)
            return text[pos:end], end
    char = text[pos]
    if char in "\"'":
        return _scan_quoted(text, pos)
    if char in _BRACKETS:
        return _scan_bracketed(text, pos)
    match = re.compile(r"[^\s%s]+" % re.escape(separators)).match(text, pos)
    return _scalar(match.group(0)), match.end()


def _find_closer(text, pos, closer):
    end = text.find(closer, pos + 2)
    if end < 0:
        raise InlineError("unterminated expression at '%s'"
                          % _excerpt(text, pos))
    return end + len(closer)


def _scan_quoted(text, pos):
    quote = text[pos]
    i = pos + 1
    while i < len(text):
        if text[i] == "\\" and quote == '"':
            i += 2
            continue
        if text[i] == quote:
            return _unquote(text[pos:i + 1]), i + 1
        i += 1
    raise InlineError("unterminated quoted string at '%s'"
                      % _excerpt(text, pos))


def _unquote(token):
    if token[0] == '"':
        try:
            return json.loads(token)
        except ValueError:
            pass
    return token[1:-1]


def _scan_bracketed(text, pos):
    depth = 0
    quote = None
    for i in range(pos, len(text)):
        char = text[i]
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return _structured(text[pos:i + 1]), i + 1
    raise InlineError("unbalanced brackets at '%s'" % _excerpt(text, pos))


def _structured(token):
    try:
        return json.loads(token)
    except ValueError:
        pass
    try:
        return yamlsafe.load(token, what="inline value")
    except exceptions.InvalidModelException:
        return token


def _scalar(token):
    try:
        return json.loads(token)
    except ValueError:
        return token


def _excerpt(text, pos):
    rest = text[pos:]
    return rest if len(rest) <= 40 else rest[:37] + "..."
