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

``WFENGINE_INJECT_DB_FAULTS`` (also test-only), e.g. ``40001:0.2,40P01:0.1``,
makes PostgreSQL itself raise the given SQLSTATE (serialization failure,
deadlock) at the end of that share of the units of work, just before
their commit, so that the whole-unit retry runs through the real driver.
"""
import collections
import logging
import os
import random
import signal
import threading

LOG = logging.getLogger(__name__)

ENV = "WFENGINE_CRASH_POINTS"
DB_FAULTS_ENV = "WFENGINE_INJECT_DB_FAULTS"
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


def _parse_db_faults(text):
    faults = []
    for part in (text or "").split(","):
        code, _, share = part.strip().partition(":")
        if code:
            if len(code) != 5 or not code.isalnum():
                raise ValueError("%s: %r is not a SQLSTATE" % (
                    DB_FAULTS_ENV, code))
            faults.append((code.upper(), float(share or 0.1)))
    return faults


_db_faults = _parse_db_faults(os.environ.get(DB_FAULTS_ENV))
_RAISE = ("DO $$ BEGIN RAISE EXCEPTION 'injected by %s' USING ERRCODE = "
          "'%s'; END $$")


def inject_db_fault(session):
    """At the end of a unit of work on PostgreSQL: maybe make the server
    raise one of the armed SQLSTATEs. Nothing unless armed."""
    if not _db_faults:
        return
    for code, share in _db_faults:
        if random.random() < share and \
                session.get_bind().dialect.name == "postgresql":
            LOG.info("Injecting SQLSTATE %s before a commit", code)
            session.connection().exec_driver_sql(
                _RAISE % (DB_FAULTS_ENV, code))
