"""Readiness: can this process do its work right now?

A process is ready when it has started, is not stopping, its database
answers, the schema is at the migrations' head, and (where one is
configured) the broker accepts a connection. Each check answers
``None`` (fine) or a one-line reason; a check that does not answer
within ``[monitoring] check_timeout`` is a reason too, so a probe never
hangs behind a dead database.
"""
import concurrent.futures
import threading
import time
import urllib.parse

import kombu
import sqlalchemy as sa

from wfengine.db import migration
from wfengine.db import session as db_session

_pool = concurrent.futures.ThreadPoolExecutor(
    max_workers=4, thread_name_prefix="wfengine-readyz")
_state = {"started": False, "stopping": False, "services": ()}
_cache = {"at": 0.0, "reasons": None}
_cache_lock = threading.Lock()


def mark_started(services):
    """The process has started ``services``: it may report ready."""
    _state.update(started=True, stopping=False, services=tuple(services))


def mark_stopping():
    """The process is stopping: report unready from now on."""
    _state["stopping"] = True


def services():
    return _state["services"]


def reasons(conf):
    """Why the process is not ready (an empty list when it is)."""
    if not _state["started"]:
        return ["starting"]
    if _state["stopping"]:
        return ["stopping"]
    with _cache_lock:
        if time.monotonic() - _cache["at"] < conf.monitoring.check_cache:
            return list(_cache["reasons"])
    found = _run_checks(conf)
    with _cache_lock:
        _cache.update(at=time.monotonic(), reasons=found)
    return list(found)


def _run_checks(conf):
    timeout = conf.monitoring.check_timeout
    checks = [("database", _check_database),
              ("migrations", _check_migrations)]
    broker = broker_address(conf.transport_url)
    if broker:
        # The label names the address, so that a broker that does not
        # answer in time is as plain as one that refuses.
        checks.append(("broker at %s" % broker[1],
                       lambda: check_broker(conf.transport_url, timeout)))
    futures = [(name, _pool.submit(check)) for name, check in checks]
    found = []
    for name, future in futures:
        try:
            reason = future.result(timeout)
        except concurrent.futures.TimeoutError:
            reason = "%s did not answer within %ss" % (name, timeout)
        except Exception as e:  # a check must not break the probe
            reason = "%s check failed: %s" % (name, _one_line(e))
        if reason:
            found.append(reason)
    return found


def _check_database():
    try:
        with db_session.get_engine().connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError as e:
        return "database does not answer: %s" % _one_line(e.orig or e)
    return None


def _check_migrations():
    engine = db_session.get_engine()
    expected = {migration.HEAD}
    try:
        with engine.connect() as conn:
            current = migration.database_heads(conn)
    except sa.exc.DBAPIError as e:
        return "database does not answer: %s" % _one_line(e.orig or e)
    if current != expected:
        return ("database schema is at %s, this code needs %s: run "
                "wfengine-db-manage upgrade heads" % (
                    ",".join(sorted(current)) or "nothing",
                    ",".join(sorted(expected))))
    return None


def broker_address(transport_url):
    """``(amqp url, host:port)`` of the first broker of an AMQP
    ``transport_url`` (``rabbit://``), or ``None`` for another driver
    or none: only AMQP brokers are checked, others are taken as up."""
    if not transport_url:
        return None
    parts = urllib.parse.urlsplit(transport_url)
    if parts.scheme not in ("rabbit", "amqp", "kombu"):
        return None
    first = parts.netloc.split(",")[0]
    url = urllib.parse.urlunsplit(("amqp", first, parts.path or "/", "", ""))
    return url, first.rsplit("@", 1)[-1] or parts.netloc


def check_broker(transport_url, timeout):
    """``None`` if the broker of ``transport_url`` takes a connection and
    a login, else why not (one attempt: a retry would wait past the
    probe's own timeout)."""
    broker = broker_address(transport_url)
    if not broker:
        return None
    url, where = broker
    conn = kombu.Connection(url, connect_timeout=timeout,
                            transport_options={"max_retries": 0})
    try:
        conn.ensure_connection(max_retries=0, timeout=timeout)
        return None
    except Exception as e:
        return "broker at %s does not take a connection: %s" % (
            where, _one_line(e))
    finally:
        conn.release()


def _one_line(error):
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
