"""A background thread that calls one function every few seconds.

The engine's sweeper, liveness check and cron scheduler, and the
executor's heartbeat, are each one of these. A round that raises is logged
and the next one comes as usual: a database or broker outage slows them,
never stops them.
"""
import logging
import threading

LOG = logging.getLogger(__name__)


class Periodic:
    """Calls ``fn()`` every ``interval`` seconds until stopped."""

    def __init__(self, name, interval, fn):
        self._name = name
        self._interval = interval
        self._fn = fn
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=self._name)
        self._thread.start()

    def stop(self, timeout=10.0):
        """Stop, waiting for the round in progress (at most ``timeout``)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self):
        while not self._stop.wait(self._interval):
            try:
                self._fn()
            except Exception:
                LOG.exception("%s round failed; the next one comes in %ss",
                              self._name, self._interval)
