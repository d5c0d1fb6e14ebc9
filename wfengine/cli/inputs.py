"""Command line values: JSON given inline or as a file, texts, pairs."""
import json
import os

import yaml

from wfengine import exceptions
from wfengine.cli import http


def read_text(path):
    """The text of file ``path`` (``-`` is not special).

    :raises CliError: the file can not be read.
    """
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise http.CliError("ERROR: cannot read %s: %s"
                            % (path, e.strerror)) from None


def json_or_file(value, what):
    """A JSON object given inline, or the path of a JSON or YAML file.

    :param what: the option's name, for the error message.
    :raises CliError: not a readable file, nor a JSON object.
    """
    if value is None:
        return None
    if os.path.isfile(value):
        data = _parse_file(read_text(value), value, what)
    else:
        try:
            data = json.loads(value)
        except ValueError as e:
            raise exceptions.InvalidOption(
                option=what, expected="a JSON object or the path of a "
                "JSON/YAML file", got="neither (%s)" % e) from None
    if not isinstance(data, dict):
        raise exceptions.InvalidOption(option=what,
                                       expected="a JSON object",
                                       got=type(data).__name__)
    return data


def _parse_file(text, path, what):
    try:
        return yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as e:
        # YAML's own message quotes the lines around the error.
        raise exceptions.InvalidOption(
            option="%s file %s" % (what, path), expected="JSON or YAML",
            got=_yaml_problem(e)) from None


def _yaml_problem(error):
    """Where and what a YAML error is, without the text it quotes."""
    mark = getattr(error, "problem_mark", None)
    where = "" if mark is None else " at line %d, column %d" % (
        mark.line + 1, mark.column + 1)
    return "a YAML error%s (%s)" % (
        where, getattr(error, "problem", None) or "not YAML")


def key_values(pairs, what):
    """``["k=v", ...]`` as a dict.

    :raises CliError: an item without ``=``.
    """
    result = {}
    for number, pair in enumerate(pairs or [], 1):
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise exceptions.InvalidOption(
                option=what, expected="KEY=VALUE",
                got="item %d without %s" % (number,
                                            "a key" if sep else "'='"))
        result[key] = value
    return result


def pretty(value):
    """A JSON value (or a string holding one) as indented JSON text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, indent=4, sort_keys=True)
