"""The executor's batching of claims and results, against a fake engine."""
import threading
import time

from wfengine.executor import service
from wfengine.rpc import messages


class FakeEngine:
    """Answers claims (refusing those named in ``refuse``) and records
    what it was asked, one list per call."""

    def __init__(self, refuse=(), hold=None):
        self.claim_calls = []
        self.result_calls = []
        self.refuse = set(refuse)
        self.hold = hold
        self.lock = threading.Lock()

    def claim_actions(self, claims, timeout=None):
        if self.hold is not None:
            self.hold.wait(5)
        with self.lock:
            self.claim_calls.append([c.action_ex_id for c in claims])
        return [c.action_ex_id not in self.refuse for c in claims]

    def on_actions_complete(self, results, timeout=None):
        with self.lock:
            self.result_calls.append([(r.action_ex_id, r.state, r.result)
                                      for r in results])
        return [True] * len(results)


def _msg(i, action="std.echo", action_input=None):
    return messages.RunAction(
        action_ex_id="a%d" % i, action_name=action,
        action_input=action_input or {"output": i})


def _until(predicate, timeout=5):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def _executor(engine, workers=4):
    return service.ExecutorService(engine, workers, report_timeout=1,
                                   max_retry_delay=0.1, name="x1")


def _reported(engine):
    return sorted(r for call in engine.result_calls for r in call)


def test_actions_waiting_together_are_claimed_in_one_call():
    hold = threading.Event()
    engine = FakeEngine(hold=hold)
    executor = _executor(engine, workers=8)
    try:
        executor.submit(_msg(0))
        time.sleep(0.1)  # the first claim is on its way (held)
        for i in range(1, 6):
            executor.submit(_msg(i))
        hold.set()
        assert _until(lambda: len(_reported(engine)) == 6)
        assert engine.claim_calls[0] == ["a0"]
        assert engine.claim_calls[1] == ["a1", "a2", "a3", "a4", "a5"]
        assert _reported(engine) == [("a%d" % i, "SUCCESS", i)
                                     for i in range(6)]
    finally:
        executor.stop()


def test_no_more_actions_are_claimed_than_workers_are_idle():
    engine = FakeEngine()
    executor = _executor(engine, workers=2)
    try:
        for i in range(3):
            executor.submit(_msg(i, "std.sleep", {"seconds": 0.3}))
        assert _until(lambda: len(engine.claim_calls) >= 1)
        time.sleep(0.1)
        claimed = [a for call in engine.claim_calls for a in call]
        assert len(claimed) == 2, "a third action was claimed with no " \
                                  "idle worker to run it"
        assert _until(lambda: len(_reported(engine)) == 3)
    finally:
        executor.stop()


def test_a_refused_claim_is_not_run():
    engine = FakeEngine(refuse={"a1"})
    executor = _executor(engine)
    try:
        for i in range(3):
            executor.submit(_msg(i))
        assert _until(lambda: len(_reported(engine)) == 2)
        time.sleep(0.1)
        assert [r[0] for r in _reported(engine)] == ["a0", "a2"]
    finally:
        executor.stop()
