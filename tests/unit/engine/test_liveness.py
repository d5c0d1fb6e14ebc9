"""The liveness check counts silence only over time in which its own
database access worked (DESIGN.md rule 5)."""
import pytest
from sqlalchemy import exc as sa_exc

from wfengine.db import session as db_session
from wfengine.engine import liveness

TIMEOUT = 10.0


class _Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class _Service:
    def __init__(self):
        self.recovered = []
        self.inbox_rounds = 0

    def drain_inbox(self):
        self.inbox_rounds += 1
        return 0

    def recover_orphan(self, action_ex_id, claim, executor):
        self.recovered.append(action_ex_id)
        return True


@pytest.fixture
def world(monkeypatch):
    clock = _Clock()
    state = {"down": False, "orphans": [("a1", "c1", "x1")]}

    def reader(_fn, _silent_since):
        if state["down"]:
            db_session.note_connection_failure()
            raise sa_exc.OperationalError("SELECT", {}, Exception(
                "connection to server at x failed: Connection refused"))
        return list(state["orphans"])

    monkeypatch.setattr(liveness.time, "monotonic", clock)
    monkeypatch.setattr(db_session.time, "monotonic", clock)
    monkeypatch.setattr(db_session, "_last_connection_failure", 0.0)
    monkeypatch.setattr(db_session, "reader", reader)
    service = _Service()
    checker = liveness.LivenessChecker(service, TIMEOUT, interval=1.0)
    return clock, state, service, checker


def _rounds(clock, checker, seconds, step=1.0):
    results = []
    for _ in range(int(seconds / step)):
        clock.now += step
        try:
            results.append(checker.check_once())
        except sa_exc.OperationalError:
            results.append(None)
    return results


def test_nobody_is_dead_before_a_whole_timeout_of_evidence(world):
    clock, _state, service, checker = world
    _rounds(clock, checker, TIMEOUT - 1)
    assert service.recovered == []
    _rounds(clock, checker, 2)
    assert service.recovered == ["a1"]
    # Every round took the result inbox first.
    assert service.inbox_rounds == int(TIMEOUT - 1) + 2


def test_a_database_outage_restarts_the_evidence(world):
    clock, state, service, checker = world
    _rounds(clock, checker, TIMEOUT + 2)
    service.recovered.clear()
    state["down"] = True
    assert _rounds(clock, checker, 30) == [0] * 30
    state["down"] = False
    _rounds(clock, checker, TIMEOUT - 1)
    assert service.recovered == [], "silence during the outage counted"
    _rounds(clock, checker, 2)
    assert service.recovered == ["a1"]


def test_a_late_round_restarts_the_evidence(world):
    clock, _state, service, checker = world
    _rounds(clock, checker, TIMEOUT - 2)
    clock.now += 30  # the process was stopped, or the round hung
    _rounds(clock, checker, TIMEOUT - 1)
    assert service.recovered == []


def test_another_threads_lost_connection_counts(world):
    clock, _state, service, checker = world
    _rounds(clock, checker, TIMEOUT - 2)
    db_session.note_connection_failure()
    _rounds(clock, checker, TIMEOUT - 1)
    assert service.recovered == []
    _rounds(clock, checker, 2)
    assert service.recovered == ["a1"]
