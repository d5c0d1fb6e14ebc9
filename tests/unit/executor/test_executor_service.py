"""The executor's batching of claims and results, against a fake engine."""
import threading
import time

import oslo_messaging as messaging

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
        self.follow, self.rooms, self.cast = {}, [], []

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

    def report_results(self, results, room, timeout=None):
        """RPC 1.14's report: taken as ``on_actions_complete`` takes them,
        and the actions of ``follow`` (action id -> ``RunAction``) that
        the results start, up to ``room``; the others are "cast" to
        ``cast``."""
        started = [self.follow[r.action_ex_id] for r in results
                   if r.action_ex_id in self.follow]
        with self.lock:  # before the results show as reported
            self.rooms.append(room)
            self.cast += started[room:]
        return self.on_actions_complete(results, timeout), started[:room]


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


def test_the_actions_a_report_started_come_back_in_its_answer():
    """The answer to a report carries what its results started (up to
    the room the executor said it had), and the executor runs those as
    if they had been cast to it: claimed, run, reported."""
    engine = FakeEngine()
    engine.follow = {"a0": _msg(1), "a1": _msg(2)}
    executor = _executor(engine, workers=4)
    try:
        executor.submit(_msg(0))
        assert _until(lambda: len(_reported(engine)) == 3)
        assert engine.claim_calls == [["a0"], ["a1"], ["a2"]]
        assert _reported(engine) == [("a%d" % i, "SUCCESS", i)
                                     for i in range(3)]
        # Every worker was idle when each result went: room for four.
        assert engine.rooms == [4, 4, 4]
        assert engine.cast == []
    finally:
        executor.stop()


def test_a_report_asks_for_no_more_actions_than_workers_are_idle():
    engine = FakeEngine()
    engine.follow = {"a0": _msg(1)}
    executor = _executor(engine, workers=2)
    try:
        executor.submit(_msg(9, "std.sleep", {"seconds": 2}))
        assert _until(lambda: engine.claim_calls == [["a9"]])
        executor.submit(_msg(0))
        assert _until(lambda: len(_reported(engine)) >= 1)
        # a0's result went while a9 still ran: one worker of two idle.
        assert engine.rooms[0] == 1
        assert _until(lambda: len(_reported(engine)) == 3)
    finally:
        executor.stop()


def test_a_stopping_executor_asks_for_no_actions():
    executor = _executor(FakeEngine(), workers=4)
    assert executor._room() == 4
    executor.stop()
    assert executor._room() == 0


class OlderEngine(FakeEngine):
    """An engine of RPC 1.13: ``report_results`` is refused unread, as
    oslo.messaging refuses a version its target does not reach."""

    def __init__(self):
        super().__init__()
        self.refused = 0

    def report_results(self, results, room, timeout=None):
        with self.lock:
            self.refused += 1
        raise messaging.RemoteError("UnsupportedVersion",
                                    "Endpoint does not support RPC version "
                                    "1.14")


def test_results_go_the_older_way_to_an_older_engine():
    engine = OlderEngine()
    executor = _executor(engine)
    try:
        executor.submit(_msg(0))
        assert _until(lambda: len(_reported(engine)) == 1)
        executor.submit(_msg(1))
        assert _until(lambda: len(_reported(engine)) == 2)
        # Refused once; the next report did not ask again.
        assert engine.refused == 1
    finally:
        executor.stop()
