"""Collecting validation problems as ``"<path>: <problem>"`` lines."""

import re

# Task and workflow names: a word character first, then word characters,
# dots or hyphens (no blanks: names appear in inline transitions).
NAME_RE = re.compile(r"^\w[\w.\-]{0,254}$")


class Problems:
    """An ordered list of problem messages, each prefixed by its path."""

    def __init__(self):
        self.items = []

    def add(self, path, message):
        """Record ``message`` at ``path`` (``""`` for the object itself)."""
        self.items.append("%s: %s" % (path, message) if path else message)

    def extend(self, messages):
        """Record messages that already carry their path."""
        self.items.extend(messages)

    def __bool__(self):
        return bool(self.items)


def join_path(path, key):
    """``path`` + ``key`` as in ``tasks.t1`` or ``input[2]``."""
    if isinstance(key, int):
        return "%s[%d]" % (path, key)
    return "%s.%s" % (path, key) if path else str(key)
