"""A small, thread-safe, bounded cache (least recently used goes first).

For what a process may keep in memory because it never changes under a
key (a parsed spec by execution id or definition version, a statement
built for a shape): the bound keeps a long-running process from growing
without end, whatever the keys turn out to be. A leaf: it imports nothing
of wfengine.
"""
import collections
import threading


class BoundedCache:
    """At most ``size`` entries; a hit makes its entry the newest."""

    def __init__(self, size):
        if size < 1:
            raise ValueError("a cache holds at least one entry")
        self._size = size
        self._entries = collections.OrderedDict()
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._entries)

    def get(self, key, default=None):
        """The value cached under ``key``, or ``default``."""
        with self._lock:
            try:
                self._entries.move_to_end(key)
            except KeyError:
                return default
            return self._entries[key]

    def put(self, key, value):
        """Cache ``value`` under ``key``; returns ``value``."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value

    def get_or_make(self, key, make):
        """The value under ``key``, made by ``make()`` on a miss.

        ``make`` runs outside the lock: two threads missing at once may
        both make the value, and the last one's is kept (the values of a
        key are equal by the cache's contract).
        """
        found = self.get(key, _MISSING)
        if found is _MISSING:
            found = self.put(key, make())
        return found

    def clear(self):
        with self._lock:
            self._entries.clear()


_MISSING = object()
