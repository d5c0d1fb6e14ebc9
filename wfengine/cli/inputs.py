"""Command line values: JSON given inline or as a file, texts, pairs."""
import json
import os

import yaml

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
            raise http.CliError(
                "ERROR: %s must be a JSON object or the path of a JSON/YAML "
                "file; %r is neither (%s)" % (what, value, e)) from None
    if not isinstance(data, dict):
        raise http.CliError("ERROR: %s must be a JSON object, got %s"
                            % (what, type(data).__name__))
    return data


def _parse_file(text, path, what):
    try:
        return yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as e:
        raise http.CliError("ERROR: %s file %s is neither JSON nor YAML: %s"
                            % (what, path, http.one_line(e, 200))) from None


def key_values(pairs, what):
    """``["k=v", ...]`` as a dict.

    :raises CliError: an item without ``=``.
    """
    result = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise http.CliError("ERROR: %s expects KEY=VALUE, got %r"
                                % (what, pair))
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
