"""The notifier loop end to end on SQLite, with a recording publisher."""
import threading
import time

import pytest

from tests.unit.notifier.conftest import add, event, execution, listener
from wfengine.api import resources
from wfengine import conf
from wfengine.engine import events as engine_events
from wfengine.notifier import payload
from wfengine.notifier import publishers
from wfengine.notifier import service
from wfengine.notifier import subscriptions


class Recorder:
    """A publisher that fails the first ``failures`` attempts."""

    def __init__(self, failures=0):
        self.failures = failures
        self.sent = []
        self.lock = threading.Lock()

    def publish(self, message):
        with self.lock:
            if self.failures:
                self.failures -= 1
                return publishers.Outcome(ok=False, status_code=500,
                                          error="HTTP 500")
            self.sent.append((message.delivery_id, message.event))
            return publishers.Outcome(ok=True, status_code=204)

    def close(self):
        pass


@pytest.fixture
def fast():
    for name, value in (("backoff_base", 0.01), ("backoff_max", 0.02),
                        ("poll_interval", 0.01)):
        conf.CONF.set_override(name, value, group="notifier")
    yield
    for name in ("backoff_base", "backoff_max", "poll_interval"):
        conf.CONF.clear_override(name, group="notifier")


def _wait(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_events_are_delivered_in_order_despite_failures(db, fast):
    recorder = Recorder(failures=3)
    wf_ex = execution()
    names = ["WORKFLOW_LAUNCHED", "TASK_LAUNCHED", "TASK_SUCCEEDED",
             "WORKFLOW_SUCCEEDED"]
    add(wf_ex, listener(), *[event(wf_ex, n, task="t" if "TASK" in n
                                   else None) for n in names])
    svc = service.NotifierService(conf.CONF, "n1", {"webhook": recorder})
    svc.start()
    try:
        _wait(lambda: len(recorder.sent) == 4)
    finally:
        svc.stop()
    assert [e for _, e in recorder.sent] == names


def test_claim_timeout_must_exceed_twice_the_http_timeout(db):
    conf.CONF.set_override("claim_timeout", 10, group="notifier")
    try:
        with pytest.raises(ValueError, match="claim_timeout"):
            service.NotifierService(conf.CONF, "n1", {})
    finally:
        conf.CONF.clear_override("claim_timeout", group="notifier")


def test_field_lists_match_the_api_resources():
    assert list(payload.EXECUTION_FIELDS) == resources.EXECUTION.names()
    assert list(payload.TASK_FIELDS) == resources.TASK.names()


def test_event_names_match_the_engines():
    assert set(subscriptions.EVENTS) == set(engine_events.ALL)
