"""Bounded JSON decoding for untrusted text.

JSON from clients (request bodies, callback results) and from
``json_parse()`` is refused before it is decoded when it nests deeper than
the depth limit (a body of 100,000 ``[`` would otherwise end in a
RecursionError, in the decoder or in whatever walks the result later), and
while it is decoded when it holds ``NaN``, ``Infinity`` or ``-Infinity``,
which Python accepts but JSON does not (stored, they would make the
column invalid JSON for every other reader).

This module is a leaf like :mod:`wfengine.core.yamlsafe`, whose depth limit it
shares.
"""

import json
import re

from wfengine.core import yamlsafe
from wfengine import exceptions

_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET_RE = re.compile(r"[\[\]{}]")


def loads(text, what="request body", error=exceptions.InputError):
    """Decode ``text`` (str or UTF-8 bytes) into plain data.

    :raises error: (InputError by default) naming ``what`` when the text
        is not JSON, nests too deep or holds a non-finite number.
    """
    if isinstance(text, (bytes, bytearray)):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error("%s is not valid UTF-8: %s" % (what, exc)) from None
    check_depth(text, what, error)
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise error("%s is not valid JSON: %s" % (what, exc)) from None
    except RecursionError:
        raise error("%s nests too deep" % what) from None


def _refuse_constant(name):
    raise ValueError("%s is not a JSON number (JSON has no NaN or "
                     "Infinity)" % name)


def check_depth(text, what="request body", error=exceptions.InputError):
    """Raise ``error`` if JSON ``text`` nests deeper than the limit."""
    limit = yamlsafe.current().max_depth
    # Cheap first look: fewer opening brackets than the limit in all.
    if text.count("[") + text.count("{") <= limit:
        return
    depth = 0
    for match in _BRACKET_RE.finditer(_STRING_RE.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                raise error("%s nests deeper than %d levels (limit: [api] "
                            "max_document_depth)" % (what, limit))
        else:
            depth -= 1
