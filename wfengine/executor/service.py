"""The executor service: claims actions, runs them, reports results.

It has no database. Each ``run_action`` doorbell is claimed through the
engine first (a compare-and-set there), so a duplicate doorbell never runs
an action twice; results are reported with a ``call`` that is repeated
until an engine has committed it, so a result is never lost to an engine
that dies while handling it.

Claims and results travel in batches: one thread claims whatever arrived
while the previous claim was on its way (at most as many actions as there
are idle workers, so that nothing claimed waits in a queue), and one
thread reports whatever results are ready. Under load one call carries
many; alone, an action travels by itself without waiting for company.
"""
import concurrent.futures
import logging
import queue
import random
import threading
import uuid

import oslo_messaging as messaging

from wfengine import exceptions
from wfengine import logcontext
from wfengine import metrics
from wfengine.executor import fieldsize
from wfengine.executor import runner
from wfengine.rpc import messages

LOG = logging.getLogger(__name__)

# Most results or claims one call carries.
BATCH = 64


class ExecutorService:
    """Runs actions on a bounded pool of threads."""

    def __init__(self, engine_client, workers, report_timeout,
                 max_retry_delay, name):
        self._engine = engine_client
        self.name = name
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="action")
        self._idle = threading.Semaphore(workers)
        self._incoming = queue.SimpleQueue()
        self._results = queue.SimpleQueue()
        self._timeout = report_timeout
        self._max_delay = max_retry_delay
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._loop, args=(self._claim_some,),
                             name="executor-claims", daemon=True),
            threading.Thread(target=self._loop, args=(self._report_some,),
                             name="executor-results", daemon=True)]
        for thread in self._threads:
            thread.start()

    def submit(self, msg):
        """Queue ``messages.RunAction``; returns at once."""
        self._incoming.put(msg)

    def stop(self):
        self._stopping.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _loop(self, step):
        while not self._stopping.is_set():
            try:
                step()
            except _Stopping:
                return
            except Exception:
                LOG.exception("Executor loop %s failed; going on",
                              threading.current_thread().name)

    # ---- claims ----

    def _claim_some(self):
        """Claim the actions that arrived, as many as workers are idle."""
        if not self._idle.acquire(timeout=0.5):
            return
        batch = self._take(self._incoming, 1)
        if not batch:
            self._idle.release()
            return
        while len(batch) < BATCH and self._idle.acquire(blocking=False):
            more = self._take(self._incoming, 1, wait=False)
            if not more:
                self._idle.release()
                break
            batch += more
        # One token for the batch: the engine claims it in one statement,
        # and asking again after a lost answer gets the same answer.
        token = str(uuid.uuid4())
        claims = [messages.ClaimAction(
            action_ex_id=msg.action_ex_id, claim=token,
            is_sync=runner.is_sync(msg.action_name), executor=self.name)
            for msg in batch]
        try:
            allowed = self._ask(self._engine.claim_actions, claims)
        except _Stopping:
            LOG.warning("Executor stopping; %d action executions left to "
                        "the outbox sweeper", len(batch))
            raise
        except Exception:
            # Unclaimed, they are sent again by the outbox sweeper.
            for _ in batch:
                self._idle.release()
            raise
        for msg, ok in zip(batch, allowed):
            if ok:
                self._pool.submit(self._run, msg)
            else:
                LOG.debug("Action execution %s is taken or over; skipped",
                          msg.action_ex_id)
                self._idle.release()

    def _run(self, msg):
        try:
            with logcontext.bound(execution_id=msg.wf_ex_id,
                                  task_id=msg.task_ex_id,
                                  action_id=msg.action_ex_id), \
                    metrics.action_timer(msg.action_name) as timer:
                result = fieldsize.checked(runner.run(msg))
                timer.state = result.state if result else "RUNNING"
            if result is not None:
                self._results.put(result)
        except Exception:
            LOG.exception("Action execution %s could not be run",
                          msg.action_ex_id)
        finally:
            self._idle.release()

    # ---- results ----

    def _report_some(self):
        batch = self._take(self._results, BATCH)
        if batch:
            try:
                self._ask(self._engine.on_actions_complete, batch)
            except _Stopping:
                LOG.warning("Executor stopping; %d results left to "
                            "recovery", len(batch))
                raise

    def _take(self, source, limit, wait=True):
        """Up to ``limit`` items of ``source``: what is there, waiting a
        little for the first unless ``wait`` is False."""
        items = []
        try:
            items.append(source.get(timeout=0.5) if wait
                         else source.get_nowait())
            while len(items) < limit:
                items.append(source.get_nowait())
        except queue.Empty:
            pass
        return items

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

    def run_actions(self, ctxt, msgs):
        for msg in msgs:
            self._service.submit(messages.RunAction.from_dict(msg))
