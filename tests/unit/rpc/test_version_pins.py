"""Clients pin each call to its version: a server of an older release
(its target at an older RPC_VERSION) keeps serving the calls it knows and
refuses, rather than misreads, the newer ones.

Through oslo.messaging's own dispatcher and its in-memory ``fake://``
driver: the version check is the library's, not ours. The functional
upgrade test runs a new engine with an old executor over RabbitMQ.
"""
import oslo_messaging as messaging
import pytest
from oslo_messaging.rpc import dispatcher

from wfengine import exceptions
from wfengine.conf import CONF
from wfengine.rpc import clients
from wfengine.rpc import endpoints
from wfengine.rpc import messages
from wfengine.rpc import server

pytestmark = pytest.mark.timeout(60)


class Engine:
    """A service answering what it is asked, or NotFound for ``missing``."""

    def __getattr__(self, name):
        def method(msg):
            if getattr(msg, "wf_ex_id", None) == "missing":
                raise exceptions.NotFound("no such execution")
            return {"method": name}
        return method


@pytest.fixture
def engine_at():
    """Start an engine server whose endpoint listens at a given version."""
    transport = messaging.get_rpc_transport(
        CONF, url="fake:/",
        allowed_remote_exmods=server.ALLOWED_EXMODS)
    saved, server._transport = server._transport, transport
    started = []

    def start(version):
        cls = type("OldEngineEndpoint", (endpoints.EngineEndpoint,),
                   {"target": messaging.Target(version=version)})
        srv = messaging.get_rpc_server(
            transport, messaging.Target(topic=CONF.engine.topic,
                                        server="engine-1"),
            [cls(Engine())])
        srv.start()
        started.append(srv)
        return clients.EngineClient(timeout=10)
    yield start
    for srv in started:
        srv.stop()
        srv.wait()
    server._transport = saved
    transport.cleanup()


def test_an_older_server_serves_the_calls_it_knows(engine_at):
    client = engine_at("1.7")
    assert client.start_workflow("wf", wf_ex_id="w1") == {
        "method": "start_workflow"}
    claim = messages.ClaimAction(action_ex_id="a", claim="c", executor="x")
    assert client.claim_actions([claim]) == {"method": "claim_actions"}


def test_an_older_server_refuses_a_field_it_would_drop(engine_at):
    client = engine_at("1.7")
    with pytest.raises(dispatcher.UnsupportedVersion, match="1.8"):
        client.start_workflow("wf", wf_ex_id="w1", project_id="p1")


def test_an_older_server_refuses_a_method_it_does_not_have(engine_at):
    client = engine_at("1.8")
    claim = messages.ClaimAction(action_ex_id="a", claim="c", executor="x")
    with pytest.raises(dispatcher.UnsupportedVersion, match="1.9"):
        client.hand_back_actions([claim])


def test_the_newest_server_serves_every_call(engine_at):
    client = engine_at(messages.RPC_VERSION)
    claim = messages.ClaimAction(action_ex_id="a", claim="c", executor="x")
    assert client.hand_back_actions([claim]) == {
        "method": "hand_back_actions"}
    assert client.start_workflow("wf", project_id="p1") == {
        "method": "start_workflow"}


def test_the_engines_errors_reach_the_caller_as_they_were(engine_at):
    client = engine_at(messages.RPC_VERSION)
    with pytest.raises(exceptions.NotFound):
        client.delete_execution("missing")


def test_an_executor_reports_the_older_way_to_an_engine_before_1_14(
        engine_at):
    """A new executor beside an engine not yet upgraded: the report that
    asks for actions is refused unread, and the results go as before."""
    from wfengine.executor import service as executor_service
    client = engine_at("1.13")
    result = messages.ActionResult(action_ex_id="a", state="SUCCESS")
    with pytest.raises(dispatcher.UnsupportedVersion, match="1.14"):
        client.report_results([result], 4)
    executor = executor_service.ExecutorService(
        client, 1, report_timeout=10, max_retry_delay=0.1, name="x1")
    try:
        assert executor._report([result], 10) == (
            {"method": "on_actions_complete"}, [])
    finally:
        executor.stop()
