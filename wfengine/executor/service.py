"""The executor service: claims actions, runs them, reports results.

It has no database. Each ``run_action`` doorbell is claimed through the
engine first (a compare-and-set there), so a duplicate doorbell never runs
an action twice; results are reported with a ``call`` that is repeated
until an engine has committed it, so a result is never lost to an engine
that dies while handling it.
"""
import concurrent.futures
import logging
import random
import threading
import uuid

import oslo_messaging as messaging

from wfengine import exceptions
from wfengine.executor import runner
from wfengine.rpc import messages

LOG = logging.getLogger(__name__)


class ExecutorService:
    """Runs actions on a bounded pool of threads."""

    def __init__(self, engine_client, workers, report_timeout,
                 max_retry_delay, name):
        self._engine = engine_client
        self.name = name
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="action")
        self._timeout = report_timeout
        self._max_delay = max_retry_delay
        self._stopping = threading.Event()

    def submit(self, msg):
        """Queue ``messages.RunAction``; returns at once."""
        self._pool.submit(self._handle, msg)

    def stop(self):
        self._stopping.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _handle(self, msg):
        try:
            claim = str(uuid.uuid4())
            allowed = self._ask(self._engine.claim_action, msg.action_ex_id,
                                claim, runner.is_sync(msg.action_name),
                                self.name)
            if not allowed:
                LOG.debug("Action execution %s is taken or over; skipped",
                          msg.action_ex_id)
                return
            result = runner.run(msg)
            if result is not None:
                self._ask(self._engine.on_action_complete, result)
        except _Stopping:
            LOG.warning("Executor stopping; action execution %s left to "
                        "recovery", msg.action_ex_id)
        except Exception:
            LOG.exception("Action execution %s could not be handled",
                          msg.action_ex_id)

    def _ask(self, method, *args):
        """Call the engine until it answers; transient failures retry."""
        delay = 0.05
        while True:
            if self._stopping.is_set():
                raise _Stopping()
            try:
                return method(*args, timeout=self._timeout)
            except (exceptions.EngineUnavailable,
                    messaging.MessageDeliveryFailure,
                    messaging.MessagingException) as e:
                LOG.warning("Engine did not take %s (%s); retrying",
                            method.__name__, type(e).__name__)
            self._stopping.wait(delay * (0.5 + random.random()))
            delay = min(delay * 2, self._max_delay)


class _Stopping(Exception):
    pass


class ExecutorEndpoint:
    """RPC endpoint of the executors."""

    target = messaging.Target(version=messages.RPC_VERSION)

    def __init__(self, service):
        self._service = service

    def run_action(self, ctxt, msg):
        self._service.submit(messages.RunAction.from_dict(msg))
