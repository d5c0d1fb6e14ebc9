"""A graceful stop of the executor: no new claims, results of the actions
in flight still reported, the rest handed back (DESIGN.md rule 5)."""
import threading
import time

from tests.unit.executor import test_executor_service as base
from wfengine import exceptions
from wfengine.executor import service


class HandBackEngine(base.FakeEngine):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.handed_back = []
        self.results_blocked = threading.Event()

    def hand_back_actions(self, claims, timeout=None):
        with self.lock:
            self.handed_back += [(c.action_ex_id, c.claim, c.executor)
                                 for c in claims]
        return [True] * len(claims)


def _sleepy(i, seconds):
    return base._msg(i, "std.echo", {"output": i, "delay": seconds})


def test_actions_in_flight_finish_and_report_within_the_grace():
    engine = HandBackEngine()
    executor = base._executor(engine, workers=4)
    for i in range(3):
        executor.submit(_sleepy(i, 0.3))
    assert base._until(lambda: len(executor.in_flight()) == 3)
    assert executor.drain(grace=10) == 0
    assert base._reported(engine) == [("a%d" % i, "SUCCESS", i)
                                      for i in range(3)]
    assert engine.handed_back == []
    assert executor.in_flight() == []


def test_nothing_new_is_claimed_once_draining():
    engine = HandBackEngine()
    executor = base._executor(engine, workers=4)
    executor.submit(_sleepy(0, 0.3))
    assert base._until(lambda: len(executor.in_flight()) == 1)
    stopper = threading.Thread(target=executor.drain, args=(10,))
    stopper.start()
    time.sleep(0.05)
    executor.submit(_sleepy(1, 0))
    stopper.join(10)
    claimed = [a for call in engine.claim_calls for a in call]
    assert claimed == ["a0"]
    assert [r[0] for r in base._reported(engine)] == ["a0"]


def test_what_outlasts_the_grace_is_handed_back_with_its_claim():
    engine = HandBackEngine()
    executor = base._executor(engine, workers=4)
    executor.submit(_sleepy(0, 0.05))
    executor.submit(_sleepy(1, 30))
    assert base._until(lambda: len(executor.in_flight()) == 2)
    started = time.monotonic()
    assert executor.drain(grace=0.5) == 1
    assert time.monotonic() - started < 10, "the drain waited for the action"
    assert [r[0] for r in base._reported(engine)] == ["a0"]
    [(action_ex_id, claim, name)] = engine.handed_back
    assert (action_ex_id, name) == ("a1", "x1")
    assert claim  # the token the engine holds for the claim


def test_a_claim_under_way_when_the_drain_starts_is_waited_for():
    hold = threading.Event()
    engine = HandBackEngine(hold=hold)
    executor = base._executor(engine, workers=4)
    executor.submit(_sleepy(0, 0.1))
    time.sleep(0.2)  # the claim is on its way, held by the engine
    stopper = threading.Thread(target=executor.drain, args=(10,))
    stopper.start()
    time.sleep(0.2)
    assert stopper.is_alive(), "the drain did not wait for the claim"
    hold.set()
    stopper.join(10)
    assert [r[0] for r in base._reported(engine)] == ["a0"]
    assert engine.handed_back == []


class UnreachableEngine(HandBackEngine):
    """Grants claims, then answers nothing more: every report and hand
    back times out (the engines or the broker are gone)."""

    def on_actions_complete(self, results, timeout=None):
        raise exceptions.EngineUnavailable()

    def hand_back_actions(self, claims, timeout=None):
        raise exceptions.EngineUnavailable()


def test_results_no_engine_took_are_kept_at_the_end_of_the_grace():
    engine = UnreachableEngine()
    kept = []
    executor = service.ExecutorService(
        engine, 4, report_timeout=0.2, max_retry_delay=0.1, name="x1",
        keep=kept.extend)
    for i in range(3):
        executor.submit(_sleepy(i, 0.05))
    assert base._until(lambda: len(executor.in_flight()) == 3)
    executor.drain(grace=1)
    assert sorted((r.action_ex_id, r.state, r.result) for r in kept) == [
        ("a%d" % i, "SUCCESS", i) for i in range(3)]
    assert executor.in_flight() == []


class StuckEngine(HandBackEngine):
    """A report call that does not come back, whatever its timeout (a
    call into a broker that refuses connections waits for it)."""

    def on_actions_complete(self, results, timeout=None):
        threading.Event().wait(30)
        raise exceptions.EngineUnavailable()


def test_the_results_of_a_report_call_that_never_came_back_are_kept():
    kept = []
    executor = service.ExecutorService(
        StuckEngine(), 4, report_timeout=0.2, max_retry_delay=0.1,
        name="x1", keep=kept.extend)
    executor.submit(_sleepy(0, 0.05))
    assert base._until(lambda: len(executor.in_flight()) == 1)
    started = time.monotonic()
    executor.drain(grace=0.5)
    assert time.monotonic() - started < 5
    assert [r.action_ex_id for r in kept] == ["a0"]
    assert executor.in_flight() == []


class SilentEngine(HandBackEngine):
    """Grants claims, then no call comes back, whatever its timeout: a
    call into a broker out of reach waits for the broker."""

    def on_actions_complete(self, results, timeout=None):
        threading.Event().wait(30)
        raise exceptions.EngineUnavailable()

    hand_back_actions = on_actions_complete


def test_the_hand_off_after_the_grace_takes_one_report_timeout():
    kept = []
    executor = service.ExecutorService(
        SilentEngine(), 4, report_timeout=1, max_retry_delay=0.1,
        name="x1", keep=kept.extend)
    executor.submit(_sleepy(0, 0.05))  # reported into the silence
    executor.submit(_sleepy(1, 30))    # to hand back into the silence
    assert base._until(lambda: len(executor.in_flight()) == 2)
    assert base._until(lambda: executor._reporting)
    started = time.monotonic()
    assert executor.drain(grace=0.5) == 0
    took = time.monotonic() - started
    # the grace, then the report call and the hand back at once, each
    # waited for a report timeout and a second at most
    assert took < 0.5 + 1 + 1 + 1, took
    assert [r.action_ex_id for r in kept] == ["a0"]
    assert executor.in_flight() == ["a1"]  # the liveness check's now


def test_results_are_left_to_the_liveness_check_when_they_cannot_be_kept():
    def keep(_results):
        raise RuntimeError("database down too")

    executor = service.ExecutorService(
        UnreachableEngine(), 4, report_timeout=0.2, max_retry_delay=0.1,
        name="x1", keep=keep)
    executor.submit(_sleepy(0, 0.05))
    assert base._until(lambda: len(executor.in_flight()) == 1)
    executor.drain(grace=0.5)
    assert executor.in_flight() == ["a0"]


class FailingOnceEngine(base.FakeEngine):
    """Its first result call fails with an engine error."""

    def __init__(self):
        super().__init__()
        self.failed = False

    def on_actions_complete(self, results, timeout=None):
        if not self.failed:
            self.failed = True
            raise exceptions.StaleState("lost its compare-and-set")
        return super().on_actions_complete(results, timeout)


def test_a_result_batch_the_engine_failed_is_reported_again():
    engine = FailingOnceEngine()
    executor = base._executor(engine)
    try:
        executor.submit(base._msg(0))
        assert base._until(lambda: base._reported(engine) == [
            ("a0", "SUCCESS", 0)])
        assert engine.failed
    finally:
        executor.stop()


class LostAnswerEngine(HandBackEngine):
    """Commits a claim, but its answer does not come back until
    ``answer`` is set (the broker lost or holds it), and then grants it;
    ``hand_back_ok`` False: the hand back fails too."""

    def __init__(self, hand_back_ok=True):
        super().__init__()
        self.answer = threading.Event()
        self.committed = []
        self.hand_back_ok = hand_back_ok

    def claim_actions(self, claims, timeout=None):
        with self.lock:
            self.committed += [(c.action_ex_id, c.claim) for c in claims]
        self.answer.wait(30)
        return super().claim_actions(claims, timeout)

    def hand_back_actions(self, claims, timeout=None):
        if not self.hand_back_ok:
            raise exceptions.EngineUnavailable()
        with self.lock:
            self.handed_back += [(c.action_ex_id, c.claim, c.started)
                                 for c in claims]
        return [True] * len(claims)


def test_a_claim_whose_answer_is_lost_is_handed_back_as_never_run():
    engine = LostAnswerEngine()
    executor = base._executor(engine)
    executor.submit(_sleepy(0, 0))
    assert base._until(lambda: engine.committed)
    started = time.monotonic()
    assert executor.drain(grace=0.3) == 0
    assert time.monotonic() - started < 0.3 + 1 + 1 + 1
    [(action_ex_id, token)] = engine.committed
    assert engine.handed_back == [(action_ex_id, token, False)]
    # The answer comes at last, granting the claim: the action is not
    # run here, it is the engine's to send elsewhere.
    engine.answer.set()
    time.sleep(0.3)
    assert executor.in_flight() == []
    assert engine.result_calls == []


def test_claims_never_run_that_no_engine_took_back_are_kept():
    engine = LostAnswerEngine(hand_back_ok=False)
    kept = []
    executor = service.ExecutorService(
        engine, 4, report_timeout=0.2, max_retry_delay=0.1, name="x1",
        keep=kept.extend)
    executor.submit(_sleepy(0, 0))
    assert base._until(lambda: engine.committed)
    executor.drain(grace=0.3)
    [(action_ex_id, token)] = engine.committed
    assert [(c.action_ex_id, c.claim, c.started, c.executor)
            for c in kept] == [(action_ex_id, token, False, "x1")]
    engine.answer.set()


def test_a_claim_granted_after_a_stop_is_handed_back_as_never_run():
    engine = LostAnswerEngine()
    executor = base._executor(engine)
    executor.submit(_sleepy(0, 0))
    assert base._until(lambda: engine.committed)
    executor.stop()
    engine.answer.set()
    assert base._until(lambda: engine.handed_back)
    [(action_ex_id, token)] = engine.committed
    assert engine.handed_back == [(action_ex_id, token, False)]
    assert engine.result_calls == []


class SlowEngine(base.FakeEngine):
    """Takes results only when let go, and counts the report calls it
    holds at once."""

    def __init__(self):
        super().__init__()
        self.let_go = threading.Event()
        self.held = 0
        self.most_held = 0

    def on_actions_complete(self, results, timeout=None):
        with self.lock:
            self.held += 1
            self.most_held = max(self.most_held, self.held)
        try:
            if not self.let_go.wait(30):
                raise exceptions.EngineUnavailable()
            return super().on_actions_complete(results, timeout)
        finally:
            with self.lock:
                self.held -= 1


def test_two_reports_go_at_once_and_every_result_is_taken_once():
    engine = SlowEngine()
    executor = service.ExecutorService(
        engine, 4, report_timeout=1, max_retry_delay=0.1, name="x1",
        reporters=2)
    executor.submit(_sleepy(0, 0))
    assert base._until(lambda: engine.held == 1)
    executor.submit(_sleepy(1, 0))  # while the first report is held
    assert base._until(lambda: engine.held == 2)
    engine.let_go.set()
    assert base._until(lambda: executor.in_flight() == [])
    assert base._reported(engine) == [("a0", "SUCCESS", 0),
                                      ("a1", "SUCCESS", 1)]
    assert engine.most_held == 2
    executor.drain(grace=1)


def test_the_batches_of_every_report_under_way_are_kept_at_the_end():
    kept = []
    engine = SlowEngine()  # never lets go: an engine gone silent
    executor = service.ExecutorService(
        engine, 4, report_timeout=1, max_retry_delay=0.1, name="x1",
        keep=kept.extend, reporters=2)
    executor.submit(_sleepy(0, 0))
    assert base._until(lambda: engine.held == 1)
    executor.submit(_sleepy(1, 0))
    assert base._until(lambda: engine.held == 2)
    assert executor.drain(grace=0.2) == 0
    assert sorted(r.action_ex_id for r in kept) == ["a0", "a1"]
