"""Named crash points: test-only places where a process kills itself.

Off unless the environment variable ``WFENGINE_CRASH_POINTS`` names
points, e.g. ``engine-after-commit:3,executor-after-run``: the process
sends itself SIGKILL (as ``kill -9`` would) at the given hit of a point
(the first unless ``:N`` says otherwise). Fault tests set it on the one
process they want to die at a precise moment; nothing else may. The
points are:

``engine-before-commit``
    an engine's unit of work has done its writes; the commit has not
    happened.
``engine-after-commit``
    the commit happened; the messages it staged are not sent yet.
``executor-after-run``
    an action ran; its result is not reported yet.
``notifier-after-send``
    a delivery was sent; its outcome is not recorded yet.
"""
import collections
import logging
import os
import signal
import threading

LOG = logging.getLogger(__name__)

ENV = "WFENGINE_CRASH_POINTS"
POINTS = ("engine-before-commit", "engine-after-commit",
          "executor-after-run", "notifier-after-send")


def _parse(text):
    armed = {}
    for part in (text or "").split(","):
        name, _, nth = part.strip().partition(":")
        if not name:
            continue
        if name not in POINTS:
            raise ValueError("%s: unknown crash point %r (known: %s)"
                             % (ENV, name, ", ".join(POINTS)))
        armed[name] = int(nth or 1)
    return armed


_armed = _parse(os.environ.get(ENV))
_hits = collections.Counter()
_lock = threading.Lock()


def hit(name):
    """Pass the crash point ``name``: die here if it is armed for this
    hit. Costs a dictionary look-up when nothing is armed."""
    if name not in _armed:
        return
    with _lock:
        _hits[name] += 1
        due = _hits[name] == _armed[name]
    if due:
        LOG.warning("Crash point %s reached (hit %d): SIGKILL", name,
                    _hits[name])
        logging.shutdown()
        os.kill(os.getpid(), signal.SIGKILL)
