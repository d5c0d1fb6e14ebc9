"""How API resources become cliff columns and rows.

Headings follow python-mistralclient (``workflow_name`` -> ``Workflow
name``, ``id`` -> ``ID``), so ``-f json`` keys match ``mistral``'s. Lists
and objects keep their type in machine formats (json, yaml) and read well
in tables.
"""
import json

from cliff import columns


class ListColumn(columns.FormattableColumn):
    """A list: ``a, b`` in a table, a list in json/yaml."""

    def human_readable(self):
        """Items joined by commas."""
        return ", ".join(str(item) for item in self._value or [])

    def machine_readable(self):
        """The list itself."""
        return list(self._value or [])


class DictColumn(columns.FormattableColumn):
    """An object: compact JSON in a table, an object in json/yaml."""

    def human_readable(self):
        """The object as sorted JSON."""
        return json.dumps(self._value, sort_keys=True)

    def machine_readable(self):
        """The object itself."""
        return dict(self._value)


def heading(name):
    """The column heading of wire field ``name``."""
    words = name.split("_")
    words = ["ID" if word == "id" else word for word in words]
    text = " ".join(words)
    return text[0].upper() + text[1:] if text else text


def cell(value):
    """A field value ready for cliff's formatters."""
    if isinstance(value, list):
        return ListColumn(value)
    if isinstance(value, dict):
        return DictColumn(value)
    return value


def show(item, names=None):
    """``(headings, values)`` of one resource, for a ShowOne."""
    names = list(names or item)
    return (tuple(heading(n) for n in names),
            tuple(cell(item.get(n)) for n in names))


def listing(items, names):
    """``(headings, rows)`` of resources, for a Lister."""
    return (tuple(heading(n) for n in names),
            [tuple(cell(item.get(n)) for n in names) for item in items])
