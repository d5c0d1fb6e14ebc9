"""Keeps engine-bound calls from taking every API thread.

A call to the engine (start, update, complete, delete) waits for an
engine's answer; with no engine answering, each would hold an API thread
until its timeout, and a burst of them would leave none for reads. The
gate lets at most ``[api] max_engine_calls`` such calls be in flight at
once; another waits at most ``[api] engine_call_wait`` seconds for a slot
and is then refused with 503 and ``Retry-After``, at once. Reads never
pass the gate, so they always find a thread. The engine stays the only
writer of execution state, and a refused start may be sent again under
the same id (starts are idempotent by id).
"""
import functools
import logging
import threading

from wfengine import exceptions

LOG = logging.getLogger(__name__)


class EngineBusy(exceptions.EngineUnavailable):
    """Too many calls are waiting for the engine already."""

    message = ("Too many requests are waiting for the engine; retry the "
               "request later")


class EngineGate:
    """The engine client, with at most ``limit`` calls in flight."""

    def __init__(self, client, limit, wait):
        self._client = client
        self._slots = threading.BoundedSemaphore(limit)
        self._limit = limit
        self._wait = wait

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if not callable(attr) or name.startswith("_"):
            return attr

        @functools.wraps(attr)
        def gated(*args, **kwargs):
            if not self._slots.acquire(timeout=self._wait):
                LOG.warning("%d engine calls in flight already; %s refused",
                            self._limit, name)
                raise EngineBusy()
            try:
                return attr(*args, **kwargs)
            finally:
                self._slots.release()
        return gated


def limit_for(conf):
    """``[api] max_engine_calls``, or half the API's threads if unset."""
    configured = conf.api.max_engine_calls
    if configured:
        return configured
    return max(1, conf.api.api_workers // 2)
