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
A report says how many more actions the executor would start at once,
and the engine's answer carries up to that many of the actions the
results started (``report_results``): a sequence's next action comes
with the reply to its predecessor's result instead of a cast of its own.

A graceful stop (:meth:`ExecutorService.drain`) is not a death (DESIGN.md
rule 5): the executor stops claiming, keeps reporting results (and the
caller keeps its heartbeat) while the actions in flight finish within a
grace period, then hands the ones still running back to the engine, which
runs them again elsewhere (``safe-rerun: true``) or fails them saying the
executor was stopped, together with the claims whose answers had not come
back (the engine may have granted them: they never ran here, so they go
to another executor whatever safe-rerun says). Results that no engine
took by then (the engines or the broker out of reach for the whole grace
period), and the claims never run that no engine took back, are kept in
the database's result inbox, which engines drain: finished work is not
lost, nor is work failed as that of a dead executor. Action threads are
daemons: one still running after the hand-back does not hold the process.
"""
import logging
import queue
import random
import threading
import time
import uuid

import oslo_messaging as messaging

from wfengine import crashpoints
from wfengine import exceptions
from wfengine import logcontext
from wfengine import metrics
from wfengine import state_names as states
from wfengine import waiting
from wfengine.executor import fieldsize
from wfengine.executor import runner
from wfengine.rpc import clients as rpc_clients
from wfengine.rpc import endpoints as rpc_endpoints
from wfengine.rpc import messages

LOG = logging.getLogger(__name__)

# Most results or claims one call carries.
BATCH = 64
# Seconds results go the older way after an engine refused a report.
_OLDER_ENGINE_HOLD = 60.0


class ExecutorService:
    """Runs actions on a bounded pool of threads."""

    def __init__(self, engine_client, workers, report_timeout,
                 max_retry_delay, name, keep=None, reporters=1):
        """:param keep: stores a list of ``messages.ActionResult`` durably
            (the result inbox) at the end of a graceful stop; None: the
            results are left to the engines' liveness check.
        :param reporters: report calls under way at once (threads that
            report results), so that engines can take this executor's
            results in as many units of work at a time."""
        self._engine = engine_client
        self._workers = workers
        # Until when (monotonic) results go without asking for actions:
        # an engine of RPC 1.13 or older refused a report.
        self._older_engine_until = 0.0
        self._keep = keep
        # Reporter thread -> the results of its report call under way:
        # kept at the end of a graceful stop if that call has not come
        # back by then (a call into a cut broker waits for the broker,
        # whatever its timeout).
        self._reporting = {}
        self.name = name
        self._work = queue.SimpleQueue()
        self._idle = threading.Semaphore(workers)
        self._incoming = queue.SimpleQueue()
        self._results = queue.SimpleQueue()
        self._timeout = report_timeout
        self._max_delay = max_retry_delay
        self._lock = threading.Lock()
        # action_ex_id -> claim token, from the claim until the result is
        # reported (or, for an asynchronous action, until it started).
        self._claims = {}
        self._running = set()
        self._handed_back = set()
        # token -> action_ex_ids, of the claim calls under way
        self._claiming = {}
        # Tokens of claim calls the drain gave up waiting for: their
        # actions are the drain's to give back, never run here.
        self._given_up = set()
        # Claims never run that no engine took back: for the inbox.
        self._unreturned = []
        self._draining = threading.Event()
        self._stopping = threading.Event()
        self._reporters = [
            threading.Thread(target=self._loop, args=(self._report_some,),
                             name="executor-results-%d" % i, daemon=True)
            for i in range(reporters)]
        self._threads = [
            threading.Thread(target=self._loop, args=(self._claim_some,),
                             name="executor-claims", daemon=True)]
        self._threads += self._reporters
        self._threads += [
            threading.Thread(target=self._work_loop, daemon=True,
                             name="action-%d" % i) for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def submit(self, msg):
        """Queue ``messages.RunAction``; returns at once.

        A pure action, while a worker is idle, goes straight to the
        workers: it needs no claim, and the claims thread in between
        was one more thread to wake on every hop of a lone execution.
        """
        if not self._draining.is_set() and runner.is_pure(msg.action_name) \
                and self._idle.acquire(blocking=False):
            self._start_pure([msg])
            return
        self._incoming.put(msg)

    def run_action(self, msg):
        """The ``run_action`` cast: queue one ``messages.RunAction``."""
        self.submit(msg)

    def run_actions(self, msgs):
        """The ``run_actions`` cast: queue several, in order."""
        for msg in msgs:
            self.submit(msg)

    def in_flight(self):
        """Ids of the claimed actions whose results are not reported."""
        with self._lock:
            return sorted(self._claims)

    def drain(self, grace):
        """Stop gracefully: claim nothing more, let the actions in flight
        finish and their results be reported for up to ``grace`` seconds,
        hand the ones still running back to the engine, stop, and keep the
        results no engine took in the result inbox. The hand-off after
        the grace takes at most ``report_timeout`` and a second (and the
        inbox's database write).

        :returns: how many actions were handed back.
        """
        self._draining.set()
        deadline = time.monotonic() + grace
        if self._claims:
            LOG.info("Executor %s stopping: waiting up to %.0fs for %d "
                     "actions in flight", self.name, grace, len(self._claims))
        while (self._claims or self._claiming) and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        # From here the stop takes at most one report timeout and a second
        # (and the inbox write): the hand back is asked while the results
        # go on being reported, and neither is waited for past ``until``.
        until = time.monotonic() + self._timeout + 1
        handed = self._hand_back(until)
        self.stop()
        self._keep_unreported(until)
        return handed

    def stop(self):
        """Stop at once (what is in flight is left to the engines)."""
        self._draining.set()
        self._stopping.set()
        for _ in self._threads:
            self._work.put(None)

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
        if self._draining.is_set():
            self._drop_incoming()
            self._stopping.wait(0.2)
            return
        if not self._idle.acquire(timeout=0.5):
            return
        batch = self._take(self._incoming, 1)
        if not batch or self._draining.is_set():
            self._idle.release()
            if batch:
                LOG.info("Executor %s stopping: action execution %s left "
                         "to the outbox sweeper", self.name,
                         batch[0].action_ex_id)
            return
        while len(batch) < BATCH and self._idle.acquire(blocking=False):
            more = self._take(self._incoming, 1, wait=False)
            if not more:
                self._idle.release()
                break
            batch += more
        batch = self._start_pure(batch)
        if batch:
            self._claim(batch)

    def _start_pure(self, batch):
        """Run the pure actions of ``batch`` without a claim (a claim is
        a round trip to the engine and a commit there, as long as the
        result's own); returns the others. A second run of a pure action,
        here or elsewhere, only sends a result the engine has taken
        already, which it ignores."""
        rest = []
        for msg in batch:
            if not runner.is_pure(msg.action_name):
                rest.append(msg)
                continue
            with self._lock:
                self._claims[msg.action_ex_id] = None
                self._running.add(msg.action_ex_id)
            self._work.put(msg)
        return rest

    def _claim(self, batch):
        """Claim ``batch`` through the engine; run what it grants."""
        # One token for the batch: the engine claims it in one statement,
        # and asking again after a lost answer gets the same answer.
        token = str(uuid.uuid4())
        ids = [msg.action_ex_id for msg in batch]
        claims = [messages.ClaimAction(
            action_ex_id=msg.action_ex_id, claim=token,
            is_sync=runner.is_sync(msg.action_name), executor=self.name)
            for msg in batch]
        with self._lock:
            self._claiming[token] = ids
        try:
            allowed = self._ask(self._engine.claim_actions, claims)
        except _Stopping:
            # An earlier attempt may have been granted: give back whatever
            # this token holds, or it would wait for the liveness check.
            self._not_run(token, ids)
            raise
        except Exception:
            with self._lock:
                self._claiming.pop(token, None)
            # Unclaimed, they are sent again by the outbox sweeper.
            for _ in batch:
                self._idle.release()
            raise
        granted = [msg for msg, ok in zip(batch, allowed) if ok]
        with self._lock:
            # Decided with the drain's snapshot of the claims under way
            # excluded: an action is either run here or given back.
            self._claiming.pop(token, None)
            run = token not in self._given_up and \
                not self._stopping.is_set()
            for msg in granted if run else ():
                self._claims[msg.action_ex_id] = token
                self._running.add(msg.action_ex_id)
        if not run:
            # Granted after the drain gave up on the claim, or ended.
            self._not_run(token, [msg.action_ex_id for msg in granted])
            return
        for msg, ok in zip(batch, allowed):
            if ok:
                self._work.put(msg)
            else:
                LOG.debug("Action execution %s is taken or over; skipped",
                          msg.action_ex_id)
                self._idle.release()

    def _not_run(self, token, ids):
        """Give back the claims ``token`` may hold on ``ids``, which were
        not run here, unless the drain took that over."""
        with self._lock:
            self._claiming.pop(token, None)
            if token in self._given_up:
                return
        self._give_back(self._unstarted(token, ids))

    def _unstarted(self, token, ids):
        return [messages.ClaimAction(action_ex_id=i, claim=token,
                                     executor=self.name, started=False)
                for i in ids]

    def _drop_incoming(self):
        dropped = len(self._take(self._incoming, BATCH, wait=False))
        if dropped:
            LOG.info("Executor %s stopping: %d unclaimed actions left to "
                     "the outbox sweeper", self.name, dropped)

    def _work_loop(self):
        while True:
            msg = self._work.get()
            if msg is None:
                return
            self._run(msg)

    def _run(self, msg):
        result = None
        try:
            with logcontext.bound(execution_id=msg.wf_ex_id,
                                  task_id=msg.task_ex_id,
                                  action_id=msg.action_ex_id), \
                    metrics.action_timer(msg.action_name) as timer:
                result = fieldsize.checked(runner.run(msg))
                timer.state = result.state if result else states.RUNNING
            crashpoints.hit("executor-after-run")
        except Exception:
            LOG.exception("Action execution %s could not be run",
                          msg.action_ex_id)
        finally:
            with self._lock:
                self._running.discard(msg.action_ex_id)
                handed_back = msg.action_ex_id in self._handed_back
                if result is None or handed_back:
                    self._claims.pop(msg.action_ex_id, None)
            if result is not None and not handed_back:
                self._results.put(result)
            self._idle.release()

    # ---- results ----

    def _report_some(self):
        batch = self._take(self._results, BATCH)
        if not batch:
            return
        me = threading.get_ident()
        with self._lock:
            self._reporting[me] = batch
        try:
            _taken, actions = self._ask(self._report, batch)
        except _Stopping:
            raise  # the batch stays in _reporting, for the inbox
        except Exception:
            # An engine's error (say, a unit of work that kept losing its
            # compare-and-set): reported again later, never lost.
            with self._lock:
                for result in batch:
                    self._results.put(result)
                self._reporting.pop(me, None)
            self._stopping.wait(self._max_delay)
            raise
        with self._lock:
            self._reporting.pop(me, None)
            for result in batch:
                self._claims.pop(result.action_ex_id, None)
        for msg in actions:
            self.submit(msg)

    def _report(self, results, timeout):
        """Report ``results``, asking for as many of the actions they
        start as this executor has room for: ``(taken, [RunAction])``.
        An engine older than RPC 1.14 gets them the older way, and casts
        the actions."""
        if time.monotonic() >= self._older_engine_until:
            try:
                return self._engine.report_results(results, self._room(),
                                                   timeout=timeout)
            except rpc_clients.REFUSED_AS_OLDER as e:
                if not rpc_clients.refused_as_older(e):
                    raise
                LOG.warning("An engine older than RPC %s refused a report "
                            "of results; reporting them without asking "
                            "for actions for %.0fs (upgrade the engines "
                            "first)", messages.RPC_VERSION,
                            _OLDER_ENGINE_HOLD)
                self._older_engine_until = \
                    time.monotonic() + _OLDER_ENGINE_HOLD
        return self._engine.on_actions_complete(results,
                                                timeout=timeout), []

    def _room(self):
        """How many more actions this executor would start at once: its
        idle workers less what waits for one (none while stopping)."""
        if self._draining.is_set():
            return 0
        with self._lock:
            busy = len(self._running)
        return max(0, min(BATCH, self._workers - busy
                          - self._incoming.qsize()))

    def _keep_unreported(self, until):
        """After :meth:`stop`: put the results no engine took, and the
        claims never run that no engine took back, into the result inbox
        (the heartbeat still beats meanwhile), once the report calls under
        way ended or at ``until`` (monotonic)."""
        for reporter in self._reporters:
            reporter.join(max(0.0, until - time.monotonic()))
        with self._lock:
            # A call still under way may yet be taken: then the kept copy
            # is a duplicate, which the engine's compare-and-set refuses.
            left = [result for batch in self._reporting.values()
                    for result in batch]
            left += self._take(self._results, None, wait=False)
            self._reporting = {}
            # The claims never run that no engine took back go with them:
            # an engine sends those elsewhere instead of failing them as
            # the running actions of a dead executor.
            never_run, self._unreturned = self._unreturned, []
        if (left or never_run) and self._keep is not None:
            try:
                self._keep(left + never_run)
            except Exception as e:
                LOG.error("Executor %s could not keep %d results and %d "
                          "claims it never ran in the result inbox (%s)",
                          self.name, len(left), len(never_run),
                          type(e).__name__)
            else:
                LOG.warning("Executor %s stopping: no engine took %d "
                            "results nor %d claims it never ran in its "
                            "grace period; kept them in the result inbox",
                            self.name, len(left), len(never_run))
                with self._lock:
                    for result in left:
                        self._claims.pop(result.action_ex_id, None)
        if self._claims:
            LOG.error("Executor %s stopping with %d actions it could "
                      "neither report, keep nor hand back; the engines' "
                      "liveness check takes them over", self.name,
                      len(self._claims))

    def _hand_back(self, until):
        """Give the actions still running, and those of the claims whose
        answers have not come back, to the engine, waiting for its answer
        until ``until`` (monotonic); how many running ones it took."""
        with self._lock:
            # A pure action holds no claim: the outbox sweeper sends it
            # again if its result never comes.
            left = [messages.ClaimAction(action_ex_id=i,
                                         claim=self._claims[i],
                                         executor=self.name)
                    for i in sorted(self._running)
                    if self._claims[i] is not None]
            self._handed_back.update(c.action_ex_id for c in left)
            # The engine may have granted these, its answer lost or late:
            # they are given back as never run, and not run if granted.
            unanswered = [c for token, ids in self._claiming.items()
                          for c in self._unstarted(token, ids)]
            self._given_up.update(self._claiming)
        if not self._give_back(left + unanswered,
                               max(0.0, until - time.monotonic())):
            with self._lock:
                self._unreturned = unanswered
            return 0
        with self._lock:
            for claim in left:
                self._claims.pop(claim.action_ex_id, None)
        if left:
            LOG.warning("Executor %s handed back %d actions still running "
                        "at the end of its grace period: %s", self.name,
                        len(left), ", ".join(c.action_ex_id for c in left))
        return len(left)

    def _give_back(self, claims, wait=None):
        """Hand ``messages.ClaimAction`` back to the engine (once, best
        effort), waiting for its answer ``wait`` seconds (by default the
        report timeout and a second); True if it answered."""
        if not claims:
            return True
        # A call into a broker out of reach waits for the broker whatever
        # its timeout: not waited for longer than the timeout.
        outcome = waiting.within(
            lambda: self._engine.hand_back_actions(claims,
                                                   timeout=self._timeout),
            self._timeout + 1 if wait is None else wait,
            "executor-hand-back")
        if outcome.finished and outcome.error is None:
            return True
        LOG.error("Executor %s could not hand back %d actions (%s); the "
                  "engines' liveness check takes them over", self.name,
                  len(claims), type(outcome.error).__name__ if outcome.finished
                  else "no answer in %.0fs" % self._timeout)
        return False

    def _take(self, source, limit, wait=True):
        """Up to ``limit`` items of ``source`` (None: all): what is there,
        waiting a little for the first unless ``wait`` is False."""
        items = []
        try:
            items.append(source.get(timeout=0.5) if wait
                         else source.get_nowait())
            while limit is None or len(items) < limit:
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


# The RPC endpoint (generated from ``rpc.table``), where cmd/services.py
# has always found it.
ExecutorEndpoint = rpc_endpoints.ExecutorEndpoint
