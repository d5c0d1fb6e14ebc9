"""Outages are 503 with Retry-After, never 500; engine calls are gated so
that reads always find a thread."""
import threading

import oslo_messaging
import psycopg2
import pytest
from sqlalchemy import exc as sa_exc

from wfengine.api import engine_gate
from wfengine.api import errors

REFUSED = ('connection to server at "127.0.0.1", port 5432 failed: '
           'Connection refused\n\tIs the server running on that host and '
           'accepting TCP/IP connections?\n')


def _db_error(text, cls=sa_exc.OperationalError):
    return cls("SELECT 1", {}, psycopg2.OperationalError(text))


def test_refused_database_is_503_with_retry_after(app, monkeypatch):
    from wfengine.api.controllers.v2 import executions

    def refused(*_args):
        raise _db_error(REFUSED)

    monkeypatch.setattr(executions, "shown_execution", refused)
    resp = app.get("/v2/executions/x", status=503)
    assert resp.headers["Retry-After"] == str(errors.RETRY_AFTER)
    assert resp.json["faultcode"] == "Server"
    assert "database is unavailable" in resp.json["faultstring"]
    assert "5432" not in resp.json["faultstring"]
    assert resp.json["debuginfo"] is None


def test_broker_errors_and_engine_timeouts_are_503():
    for error in (oslo_messaging.MessageDeliveryFailure("gone"),
                  oslo_messaging.MessagingTimeout(),
                  oslo_messaging.RemoteError("OperationalError", "refused"),
                  sa_exc.TimeoutError("pool")):
        assert errors.classify(error)[0] == 503, error


def test_errors_that_are_not_outages_stay_500():
    assert errors.classify(_db_error("syntax error at or near x",
                                     sa_exc.ProgrammingError))[0] == 500
    assert errors.classify(
        oslo_messaging.RemoteError("KeyError", "x"))[0] == 500


class _SlowEngine:
    def __init__(self):
        self.release = threading.Event()
        self.entered = threading.Semaphore(0)

    def start_workflow(self, *args, **kwargs):
        self.entered.release()
        self.release.wait(10)
        return {"id": "x"}


def test_gate_refuses_calls_beyond_its_limit_at_once():
    slow = _SlowEngine()
    gate = engine_gate.EngineGate(slow, limit=2, wait=0.05)
    threads = [threading.Thread(target=gate.start_workflow)
               for _ in range(2)]
    for thread in threads:
        thread.start()
    assert slow.entered.acquire(timeout=5)
    assert slow.entered.acquire(timeout=5)
    with pytest.raises(engine_gate.EngineBusy) as caught:
        gate.start_workflow()
    assert errors.classify(caught.value)[0] == 503
    slow.release.set()
    for thread in threads:
        thread.join(5)
    assert gate.start_workflow() == {"id": "x"}


class _GoneEngine:
    def __init__(self):
        self.calls = 0
        self.back = False

    def start_workflow(self, *args, **kwargs):
        self.calls += 1
        if not self.back:
            from wfengine import exceptions
            raise exceptions.EngineUnavailable()
        return {"id": "x"}


def test_after_a_call_finds_no_engine_only_one_at_a_time_checks():
    from wfengine import exceptions
    gone = _GoneEngine()
    gate = engine_gate.EngineGate(gone, limit=4, wait=0.05)
    with pytest.raises(exceptions.EngineUnavailable):
        gate.start_workflow()
    # Refused at once for a while.
    with pytest.raises(engine_gate.NoEngine):
        gate.start_workflow()
    # Then one call checks again; while it does, others are refused.
    gate._lost_at -= engine_gate.COOLDOWN
    gate._probe.acquire()
    try:
        with pytest.raises(engine_gate.NoEngine) as caught:
            gate.start_workflow()
        assert errors.classify(caught.value)[0] == 503
        assert gone.calls == 1
    finally:
        gate._probe.release()
    gone.back = True
    assert gate.start_workflow() == {"id": "x"}
    assert gate.start_workflow() == {"id": "x"}
    assert gone.calls == 3
