"""Pure actions (``Action.is_pure``) run without a claim."""
import threading
import time

from tests.unit.executor import test_executor_service as base
from tests.unit.executor import test_executor_drain as drain
from wfengine.rpc import messages


def _noop(i):
    return messages.RunAction(action_ex_id="a%d" % i, action_name="std.noop",
                              action_input={})


def test_pure_actions_run_unclaimed_and_others_are_claimed(real_purity):
    engine = base.FakeEngine()
    executor = base._executor(engine, workers=4)
    try:
        executor.submit(base._msg(0, "std.echo", {"output": "zero"}))
        executor.submit(_noop(1))
        executor.submit(base._msg(2, "std.sleep", {"seconds": 0}))
        assert base._until(lambda: len(base._reported(engine)) == 3)
        assert base._reported(engine) == [("a0", "SUCCESS", "zero"),
                                          ("a1", "SUCCESS", None),
                                          ("a2", "SUCCESS", None)]
        claimed = [a for call in engine.claim_calls for a in call]
        assert claimed == ["a2"]
        assert executor.in_flight() == []
    finally:
        executor.stop()


def test_a_pure_action_outlasting_the_grace_is_not_handed_back(real_purity):
    engine = drain.HandBackEngine()
    executor = base._executor(engine, workers=4)
    executor.submit(drain._sleepy(0, 30))
    executor.submit(base._msg(1, "std.sleep", {"seconds": 30}))
    assert base._until(lambda: len(executor.in_flight()) == 2)
    assert executor.drain(grace=0.3) == 1
    # The echo holds no claim to give back: its outbox row is sent again.
    assert [a for a, _, _ in engine.handed_back] == ["a1"]
    assert engine.claim_calls == [["a1"]]


def test_a_refusing_engine_does_not_hold_back_pure_actions(real_purity):
    engine = base.FakeEngine(refuse={"a0"})
    executor = base._executor(engine, workers=2)
    try:
        executor.submit(base._msg(0, "std.sleep", {"seconds": 0}))
        executor.submit(_noop(1))
        assert base._until(lambda: len(base._reported(engine)) == 1)
        assert base._reported(engine) == [("a1", "SUCCESS", None)]
    finally:
        executor.stop()


def test_a_pure_action_is_not_held_behind_a_claim_under_way(real_purity):
    hold = threading.Event()
    engine = base.FakeEngine(hold=hold)
    executor = base._executor(engine, workers=4)
    try:
        executor.submit(base._msg(0, "std.sleep", {"seconds": 0}))
        time.sleep(0.1)  # its claim is on its way (held)
        executor.submit(_noop(1))
        assert base._until(lambda: base._reported(engine) == [
            ("a1", "SUCCESS", None)]), \
            "the noop waited for the claims thread"
        hold.set()
        assert base._until(lambda: len(base._reported(engine)) == 2)
    finally:
        hold.set()
        executor.stop()


def test_with_no_worker_idle_a_pure_action_waits_its_turn(real_purity):
    engine = base.FakeEngine()
    executor = base._executor(engine, workers=1)
    try:
        executor.submit(drain._sleepy(0, 0.3))
        assert base._until(lambda: executor.in_flight() == ["a0"])
        executor.submit(_noop(1))
        assert base._until(lambda: len(base._reported(engine)) == 2)
        assert [r[0] for call in engine.result_calls for r in call] == [
            "a0", "a1"]
    finally:
        executor.stop()
