"""The notifier service: fan events out, then deliver them.

One loop thread: fan out new events (one short unit of work), claim as
many due deliveries as there are idle workers (another), hand them to the
workers, and sleep ``poll_interval`` when there was nothing to do. A
finished attempt wakes the loop, so the next event of the same execution
and target goes out at once. Several notifier processes may run: claims
make each delivery attempted by one of them at a time.
"""
import concurrent.futures
import datetime
import logging
import threading

from wfengine import crashpoints
from wfengine.db import models
from wfengine.db import notifications
from wfengine.db import session as db_session
from wfengine.notifier import delivery
from wfengine.notifier import fanout
from wfengine.notifier import policy
from wfengine.notifier import publishers

LOG = logging.getLogger(__name__)


class NotifierService:
    """Runs the notifier loop in a thread of this process.

    :param conf: the configuration (``[notifier]`` and, for the messaging
        publisher, the transport options).
    :param holder: this notifier's name, recorded on its claims.
    :param loaded: ``{name: publisher}``; default the enabled entry points.
    """

    def __init__(self, conf, holder, loaded=None):
        group = conf.notifier
        if group.claim_timeout <= 2 * group.http_timeout:
            raise ValueError(
                "[notifier] claim_timeout (%s) must be longer than twice "
                "http_timeout (%s)" % (group.claim_timeout,
                                       group.http_timeout))
        self.holder = holder
        self._group = group
        self._retry = policy.RetryPolicy.from_conf(group)
        self._publishers = (loaded if loaded is not None
                            else publishers.load(group.publishers, conf))
        self._broadcast = list(group.broadcast_publishers)
        self._pool = concurrent.futures.ThreadPoolExecutor(
            group.workers, thread_name_prefix="notifier")
        self._idle = threading.Semaphore(group.workers)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._loop, name="notifier",
                                        daemon=True)
        self._thread.start()

    def stop(self):
        """Stop claiming; let attempts in flight finish and record."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(30)
        self._pool.shutdown(wait=True)
        for publisher in self._publishers.values():
            publisher.close()

    def _loop(self):
        while not self._stopping.is_set():
            try:
                busy = self.run_once()
            except Exception:
                LOG.exception("Notifier round failed; trying again")
                busy = False
            if not busy:
                self._wake.wait(self._group.poll_interval)
                self._wake.clear()

    def run_once(self):
        """One round: fan out, claim, submit. True if it found work."""
        fanned = self.fan_out()
        claimed = self.claim()
        for work in claimed:
            self._pool.submit(self._attempt, work)
        return bool(fanned or claimed)

    def fan_out(self):
        """Fan out new events; how many."""
        if not db_session.reader(notifications.has_events):
            return 0
        return db_session.unit_of_work(
            fanout.fan_out, self._group.batch_size, self._broadcast,
            models.utcnow())

    def claim(self):
        """Claim due deliveries for the idle workers; their Work."""
        free = 0
        while free < self._group.batch_size and self._idle.acquire(
                blocking=False):
            free += 1
        taken = 0
        try:
            claimed = self._claim(free) if free else []
            work = db_session.reader(delivery.load, claimed) if claimed else []
            taken = len(work)
            return work
        finally:
            # Workers not handed a delivery are idle again (a failed load
            # leaves its claims to run out, then they are attempted again).
            for _ in range(free - taken):
                self._idle.release()

    def _claim(self, limit):
        now = models.utcnow()
        if not db_session.reader(notifications.has_due_deliveries, now):
            return []
        until = now + datetime.timedelta(seconds=self._group.claim_timeout)
        return db_session.unit_of_work(notifications.claim_deliveries,
                                       self.holder, now, until, limit)

    def _attempt(self, work):
        try:
            outcome = delivery.publish(self._publishers, work)
            crashpoints.hit("notifier-after-send")
            delivery.record(work.delivery, outcome, self._retry, self.holder)
        except Exception:
            LOG.exception("Recording delivery %s failed; its claim runs "
                          "out and it is attempted again", work.delivery.id)
        finally:
            self._idle.release()
            self._wake.set()
