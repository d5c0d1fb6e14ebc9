"""Keeps engine-bound calls from taking every API thread.

A call to the engine (start, update, complete, delete) waits for an
engine's answer; with no engine answering, each would hold an API thread
until its timeout, and a burst of them would leave none for reads. The
gate lets at most ``[api] max_engine_calls`` such calls be in flight at
once; another waits at most ``[api] engine_call_wait`` seconds for a slot
and is then refused with 503 and ``Retry-After``, at once.

Once a call found no engine (its timeout passed, or the broker failed),
every call is refused at once for ``COOLDOWN`` seconds; then one call at
a time goes on to see whether an engine is back, every other still
refused at once, until a call is answered. So with the engines gone,
requests do not wait a timeout each.

Reads never pass the gate, so they always find a thread. The engine
stays the only writer of execution state, and a refused start may be
sent again under the same id (starts are idempotent by id). With a
message broker, a start or a completion that passed the gate waits
``[api] engine_answer_timeout`` at most, not the whole timeout
(``api.engine_deadline``).
"""
import functools
import logging
import threading
import time

import oslo_messaging

from wfengine import exceptions

LOG = logging.getLogger(__name__)

# Seconds every engine call is refused at once after one found no engine.
COOLDOWN = 5.0


class EngineBusy(exceptions.EngineUnavailable):
    """Too many calls are waiting for the engine already."""

    message = ("Too many requests are waiting for the engine; retry the "
               "request later")


class NoEngine(exceptions.EngineUnavailable):
    """No engine answered the last call; another is checking."""

    message = ("No engine answered lately; retry the request later")


class EngineGate:
    """The engine client, with at most ``limit`` calls in flight."""

    def __init__(self, client, limit, wait):
        self._client = client
        self._slots = threading.BoundedSemaphore(limit)
        self._probe = threading.Lock()
        self._lost_at = None  # monotonic time a call found no engine
        self._limit = limit
        self._wait = wait

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if not callable(attr) or name.startswith("_"):
            return attr

        @functools.wraps(attr)
        def gated(*args, **kwargs):
            lost_at = self._lost_at
            probing = lost_at is not None
            if probing and (time.monotonic() - lost_at < COOLDOWN
                            or not self._probe.acquire(blocking=False)):
                raise NoEngine()
            try:
                return self._call(name, attr, args, kwargs)
            finally:
                if probing:
                    self._probe.release()
        return gated

    def _call(self, name, method, args, kwargs):
        if not self._slots.acquire(timeout=self._wait):
            LOG.warning("%d engine calls in flight already; %s refused",
                        self._limit, name)
            raise EngineBusy()
        try:
            result = method(*args, **kwargs)
        except (exceptions.EngineUnavailable,
                oslo_messaging.MessageDeliveryFailure,
                oslo_messaging.MessagingTimeout):
            if self._lost_at is None:
                LOG.warning("No engine answered %s; refusing engine calls "
                            "at once until one answers", name)
            self._lost_at = time.monotonic()
            raise
        except Exception:
            self._lost_at = None  # an engine answered, with an error
            raise
        finally:
            self._slots.release()
        if self._lost_at is not None:
            LOG.info("An engine answered %s again", name)
            self._lost_at = None
        return result


def limit_for(conf):
    """``[api] max_engine_calls``, or half the API's threads if unset."""
    configured = conf.api.max_engine_calls
    if configured:
        return configured
    return max(1, conf.api.api_workers // 2)
