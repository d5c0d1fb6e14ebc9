"""What the API answers when no engine answers within [api]
engine_answer_timeout (issue 17): a start is refused for good on its
ticket unless an engine started it first; a completion is kept in the
result inbox once checked; neither is ever answered with something that
turns out false. The engine client is a fake, the database real SQLite.
"""
import threading
import time

import oslo_messaging
import pytest
import sqlalchemy as sa

from tests.unit.api import base
from wfengine.api import engine_deadline
from wfengine.api import engine_gate
from wfengine.api import errors
from wfengine import conf
from wfengine.db import models
from wfengine.db import session
from wfengine.db import tickets
from wfengine import exceptions


@pytest.fixture(autouse=True)
def with_broker():
    conf.CONF.set_override("transport_url", "rabbit://127.0.0.1:1/")
    conf.CONF.set_override("engine_answer_timeout", 0.5, group="api")
    yield
    conf.CONF.clear_override("transport_url")
    conf.CONF.clear_override("engine_answer_timeout", group="api")


class SilentEngine(base.FakeEngine):
    """No engine answers; ``meanwhile`` runs where a slow engine would
    commit, after the API stopped waiting. ``refuse``: the gate's
    refusal raised before anything is sent."""

    def __init__(self):
        super().__init__()
        self.meanwhile = None
        self.refuse = None
        self.sent = []

    def _silence(self, kwargs):
        if self.refuse is not None:
            raise self.refuse
        self.sent.append(kwargs)
        if self.meanwhile is not None:
            self.meanwhile(kwargs)
        raise exceptions.EngineUnavailable()

    def start_workflow(self, wf_identifier, ticket=None, within=None,
                       **kwargs):
        self._silence(dict(kwargs, ticket=ticket, within=within))

    def complete_action(self, action_ex_id, within=None, **kwargs):
        self._silence(dict(kwargs, action_ex_id=action_ex_id,
                           within=within))


@pytest.fixture
def engine_client():
    return SilentEngine()


def _tickets():
    return session.reader(lambda s: [tuple(r) for r in s.execute(sa.select(
        models.StartTicket.workflow_execution_id,
        models.StartTicket.state))])


def _start(app, status):
    return app.post_json("/v2/executions", {
        "id": "run-1", "workflow_name": "wf1", "input": {"name": "x"}},
        status=status)


def test_a_start_no_engine_answers_is_refused_for_good(app, engine_client):
    base.create_workflow(app)
    resp = _start(app, 503)
    assert resp.headers["Retry-After"] == str(errors.RETRY_AFTER)
    assert resp.json["faultcode"] == "Server"
    assert "will not run" in resp.json["faultstring"]
    [sent] = engine_client.sent
    assert sent["wf_ex_id"] == "run-1" and sent["within"] == 0.5
    assert sent["ticket"]
    # Sent again within the deadline if its message was lost.
    assert sent["resend_after"] == 0.25
    assert _tickets() == [("run-1", tickets.REFUSED)]


def test_a_start_an_engine_took_after_the_deadline_is_201(app,
                                                          engine_client):
    base.create_workflow(app)

    def engine_commits(kwargs):
        # What the engine writes in its start: the ticket, the execution.
        session.unit_of_work(tickets.take, kwargs["ticket"],
                             kwargs["wf_ex_id"], models.utcnow())
        base.FakeEngine.start_workflow(engine_client, "wf1",
                                       wf_input={"name": "x"},
                                       wf_ex_id=kwargs["wf_ex_id"])
    engine_client.meanwhile = engine_commits
    resp = _start(app, 201)
    assert resp.json["id"] == "run-1"
    assert _tickets() == [("run-1", tickets.STARTED)]


def test_a_start_the_gate_refused_writes_no_ticket(app, engine_client):
    base.create_workflow(app)
    engine_client.refuse = engine_gate.NoEngine()
    resp = _start(app, 503)
    assert resp.headers["Retry-After"]
    assert _tickets() == [] and engine_client.sent == []


def test_a_refused_start_may_be_sent_again_under_a_new_ticket(
        app, engine_client):
    base.create_workflow(app)
    _start(app, 503)
    _start(app, 503)
    first, second = engine_client.sent
    assert first["ticket"] != second["ticket"]
    assert first["wf_ex_id"] == second["wf_ex_id"] == "run-1"


class OlderEngine(base.FakeEngine):
    """An engine of RPC 1.11: a start with a ticket is a version it does
    not know; without one, it starts the execution."""

    def __init__(self):
        super().__init__()
        self.sent = []

    def start_workflow(self, wf_identifier, ticket=None, within=None,
                       **kwargs):
        self.sent.append(dict(kwargs, ticket=ticket, within=within))
        if ticket is not None:
            raise oslo_messaging.RemoteError(
                "UnsupportedVersion", "Endpoint does not support RPC "
                "version 1.12. Attempted method: start_workflow")
        return super().start_workflow(wf_identifier, **kwargs)


@pytest.mark.parametrize("engine_client", [OlderEngine()])
def test_an_older_engine_gets_the_start_without_a_ticket(app, engine_client):
    # A rolling upgrade in the wrong order (API before the engines)
    # starts as before tickets, never answers 500.
    older = engine_client
    base.create_workflow(app)
    resp = _start(app, 201)
    assert resp.json["id"] == "run-1"
    with_ticket, without = older.sent
    assert with_ticket["ticket"] and without["ticket"] is None
    assert without["wf_ex_id"] == "run-1" and without["within"] is None
    assert _tickets() == []


def _action(state="RUNNING", is_sync=False, claimed_by="claim-1"):
    base.add_rows(models.ActionExecution(
        id="act-1", name="std.async_noop", state=state, is_sync=is_sync,
        claimed_by=claimed_by, input={}, params={},
        output={"result": "before"}))


def _inbox():
    return session.reader(lambda s: [(r.action_execution_id, r.executor,
                                      r.result) for r in s.query(
        models.ResultInbox)])


def _complete(app, status, state="SUCCESS", output="done"):
    return app.put_json("/v2/action_executions/act-1", {
        "state": state, "output": output}, status=status)


def test_a_completion_no_engine_answers_is_kept_and_answered_200(
        app, db, engine_client):
    _action()
    resp = _complete(app, 200)
    assert resp.json["state"] == "SUCCESS"
    assert resp.json["output"] == '{"result": "done"}'
    [(action_id, keeper, result)] = _inbox()
    assert (action_id, keeper) == ("act-1", "api")
    assert result["state"] == "SUCCESS" and result["result"] == "done"
    # Taken as an executor's result: a duplicate is dropped in silence.
    assert result["from_api"] is False
    assert engine_client.sent[0]["within"] == 0.5
    # The row itself is the engine's to change: still RUNNING.
    assert app.get("/v2/action_executions/act-1").json["state"] == "RUNNING"


def test_a_completion_the_gate_refused_is_kept_at_once(app, db,
                                                       engine_client):
    _action()
    engine_client.refuse = engine_gate.NoEngine()
    _complete(app, 200)
    assert [r[0] for r in _inbox()] == ["act-1"]


def test_a_completion_while_engines_are_busy_is_refused(app, db,
                                                        engine_client):
    _action()
    engine_client.refuse = engine_gate.EngineBusy()
    assert _complete(app, 503).headers["Retry-After"]
    assert _inbox() == []


def test_a_second_completion_while_one_is_kept_is_a_conflict(app, db):
    _action()
    _complete(app, 200)
    resp = _complete(app, 409, output="other")
    assert "by someone else" in resp.json["faultstring"]
    assert [r[2]["result"] for r in _inbox()] == ["done"]


@pytest.mark.parametrize("row, words", [
    (dict(is_sync=True), "synchronous"),
    (dict(claimed_by=None), "not started yet"),
    (dict(state="ERROR"), "in state ERROR"),
])
def test_a_completion_an_engine_would_refuse_is_not_kept(app, db, row,
                                                         words):
    _action(**row)
    resp = _complete(app, 409)
    assert words in resp.json["faultstring"]
    assert _inbox() == []


def test_an_action_that_ended_as_completed_meanwhile_is_answered_as_is(
        app, db, engine_client):
    # The engine took this very completion after the API stopped waiting.
    _action(state="SUCCESS")
    resp = _complete(app, 200)
    assert resp.json["output"] == '{"result": "before"}'
    assert _inbox() == []


def test_a_completion_of_an_unknown_action_is_404(app, db):
    _complete(app, 404)
    assert _inbox() == []


def test_the_embedded_server_waits_for_its_engine(app, db, engine_client):
    conf.CONF.clear_override("transport_url")
    _action()
    resp = _complete(app, 503)
    assert "did not answer" in resp.json["faultstring"]
    assert _inbox() == [] and engine_client.sent[0]["within"] is None


def test_a_start_whose_refusal_can_not_be_written_says_it_may_run(
        app, engine_client, monkeypatch):
    base.create_workflow(app)

    def outage(*_args):
        raise sa.exc.OperationalError(
            "INSERT", {}, Exception("connection refused"))
    monkeypatch.setattr(tickets, "refuse", outage)
    monkeypatch.setattr(session, "_max_retries", 0)
    resp = _start(app, 503)
    assert resp.headers["Retry-After"]
    text = resp.json["faultstring"]
    assert "may still run" in text and '"id": "run-1"' in text


def test_a_start_the_messaging_layer_holds_is_refused_at_the_deadline(
        app, engine_client):
    # A broker that swallows every byte holds the publish itself, before
    # the call's own timeout starts.
    base.create_workflow(app)
    release = threading.Event()
    engine_client.meanwhile = lambda _kw: release.wait(10)
    started = time.monotonic()
    resp = _start(app, 503)
    took = time.monotonic() - started
    assert "will not run" in resp.json["faultstring"]
    assert took < 0.5 + engine_deadline._GRACE + 0.5, took
    assert _tickets() == [("run-1", tickets.REFUSED)]
    release.set()
