"""The message table: the methods and their versions are pinned here, and
every one has an endpoint method and a client method."""
import re

import oslo_messaging as messaging
import pytest

from wfengine import exceptions
from wfengine.rpc import clients
from wfengine.rpc import endpoints
from wfengine.rpc import messages
from wfengine.rpc import table

E, X = table.ENGINE, table.EXECUTOR
M = messages
# (topic, method, message, kind, since, many): what servers of older
# releases know; changing a row breaks them.
PINNED = [
    (E, "start_workflow", M.StartWorkflow, "call", "1.0", False),
    (E, "claim_action", M.ClaimAction, "call", "1.0", False),
    (E, "on_action_complete", M.ActionResult, "call", "1.0", False),
    (E, "update_execution", M.UpdateExecution, "call", "1.1", False),
    (E, "update_task", M.UpdateTask, "call", "1.1", False),
    (E, "delete_execution", M.DeleteExecution, "call", "1.3", False),
    (E, "run_action", M.StartAction, "call", "1.4", False),
    (E, "delete_action_execution", M.DeleteActionExecution, "call", "1.5",
     False),
    (E, "claim_actions", M.ClaimAction, "call", "1.6", True),
    (E, "on_actions_complete", M.ActionResult, "call", "1.6", True),
    (E, "hand_back_actions", M.ClaimAction, "call", "1.9", True),
    (E, "update_action", M.UpdateAction, "call", "1.11", False),
    (E, "report_results", M.ResultReport, "call", "1.14", False),
    (X, "run_action", M.RunAction, "cast", "1.0", False),
    (X, "run_actions", M.RunAction, "cast", "1.6", True),
]
ENDPOINTS = {E: endpoints.EngineEndpoint, X: endpoints.ExecutorEndpoint}
CLIENTS = {E: clients.EngineClient, X: clients.ExecutorClient}


def test_the_table_is_pinned():
    assert [(m.topic, m.name, m.message, m.kind, m.since, m.many)
            for m in table.METHODS] == PINNED


@pytest.mark.parametrize("entry", table.METHODS,
                         ids=lambda m: "%s.%s" % (m.topic, m.name))
def test_each_method_is_in_the_changelog_of_its_version(entry):
    blocks = re.split(r"^  (\d+\.\d+) - ", messages.__doc__, flags=re.M)
    log = dict(zip(blocks[1::2], blocks[2::2]))
    assert re.search(r"\b%s\b" % entry.name, log[entry.since])
    assert table.parse(entry.since) <= table.parse(messages.RPC_VERSION)


@pytest.mark.parametrize("entry", table.METHODS,
                         ids=lambda m: "%s.%s" % (m.topic, m.name))
def test_each_method_has_an_endpoint_and_a_client_method(entry):
    assert callable(getattr(ENDPOINTS[entry.topic], entry.name))
    assert callable(getattr(CLIENTS[entry.topic], entry.name))


def test_endpoints_answer_their_topic_only_at_the_newest_version():
    for topic, cls in ENDPOINTS.items():
        assert cls.target.version == messages.RPC_VERSION
        names = {n for n in vars(cls) if not n.startswith("_")} - {"target"}
        assert names == {m.name for m in table.of_topic(topic)}


class Recorder:
    """A service that records what its endpoint hands it."""

    def __init__(self, raises=None):
        self.calls = []
        self._raises = raises

    def __getattr__(self, name):
        def method(arg):
            self.calls.append((name, arg))
            if self._raises is not None:
                raise self._raises
            return name
        return method


@pytest.mark.parametrize("entry", table.METHODS,
                         ids=lambda m: "%s.%s" % (m.topic, m.name))
def test_endpoints_decode_and_call_the_service_method_of_that_name(entry):
    service = Recorder()
    endpoint = ENDPOINTS[entry.topic](service)
    wire = _sample(entry.message).to_dict()
    payload = [wire, wire] if entry.many else wire
    assert getattr(endpoint, entry.name)({}, **{entry.argument: payload}) \
        == entry.name
    decoded = entry.message.from_dict(wire)
    assert service.calls == [
        (entry.name, [decoded, decoded] if entry.many else decoded)]


def test_calls_let_the_engines_exceptions_through_to_the_caller():
    endpoint = endpoints.EngineEndpoint(
        Recorder(raises=exceptions.NotFound("no such execution")))
    with pytest.raises(messaging.ExpectedException) as caught:
        endpoint.delete_execution({}, msg={"wf_ex_id": "w1"})
    assert isinstance(caught.value.exc_info[1], exceptions.NotFound)


def test_casts_and_unexpected_errors_are_not_wrapped():
    endpoint = endpoints.EngineEndpoint(Recorder(raises=KeyError("bug")))
    with pytest.raises(KeyError):
        endpoint.delete_execution({}, msg={"wf_ex_id": "w1"})
    executor = endpoints.ExecutorEndpoint(
        Recorder(raises=exceptions.NotFound("x")))
    with pytest.raises(exceptions.NotFound):
        executor.run_action({}, msg=_sample(M.RunAction).to_dict())


def _sample(cls):
    from tests.unit.rpc import test_messages
    return next(msg for msg, _ in test_messages.WIRE if type(msg) is cls)


@pytest.mark.parametrize("method, msg, version", [
    ("start_workflow", M.StartWorkflow(wf_identifier="wf"), "1.0"),
    ("start_workflow", M.StartWorkflow(wf_identifier="wf", wf_ex_id="w"),
     "1.7"),
    ("start_workflow", M.StartWorkflow(wf_identifier="wf", wf_ex_id="w",
                                       project_id="p"), "1.8"),
    ("run_action", M.StartAction(name="std.noop"), "1.4"),
    ("run_action", M.StartAction(name="std.noop", project_id="p"), "1.8"),
    ("start_workflow", M.StartWorkflow(wf_identifier="wf", project_id="p",
                                       user_id="u"), "1.10"),
    ("run_action", M.StartAction(name="std.noop", project_id="p",
                                 user_id="u"), "1.10"),
    ("claim_action", M.ClaimAction(action_ex_id="a", claim="c"), "1.0"),
    ("claim_action", M.ClaimAction(action_ex_id="a", claim="c",
                                   executor="ex"), "1.2"),
    ("on_action_complete", M.ActionResult(action_ex_id="a", state="SUCCESS"),
     "1.0"),
    ("on_action_complete", M.ActionResult(action_ex_id="a", state="SUCCESS",
                                          from_api=True), "1.2"),
    ("claim_actions", M.ClaimAction(action_ex_id="a", claim="c",
                                    executor="ex"), "1.6"),
    ("hand_back_actions", M.ClaimAction(action_ex_id="a", claim="c"), "1.9"),
    ("update_action", M.UpdateAction(action_ex_id="a", state="PAUSED"),
     "1.11"),
    ("start_workflow", M.StartWorkflow(wf_identifier="wf", wf_ex_id="w",
                                       ticket="t"), "1.12"),
    ("hand_back_actions", M.ClaimAction(action_ex_id="a", claim="c",
                                        started=False), "1.13"),
])
def test_a_call_is_sent_at_the_version_it_needs(method, msg, version):
    assert table.version_of(table.method(E, method),
                            [msg.to_dict()]) == version


def test_a_cast_to_a_named_executor_needs_the_version_of_target():
    run = M.RunAction(action_ex_id="a", action_name="n", action_input={})
    entry = table.method(X, "run_action")
    assert table.version_of(entry, [run.to_dict()]) == "1.0"
    targeted = M.RunAction(action_ex_id="a", action_name="n",
                           action_input={}, target="host-1")
    assert table.version_of(
        entry, [run.to_dict(), targeted.to_dict()]) == "1.2"


def test_versions_compare_as_numbers():
    assert table.parse("1.10") > table.parse("1.9")
    entry = table.Method(E, "x", M.ClaimAction, "call", "1.10")
    wire = M.ClaimAction("a", "c", False).to_dict()
    assert table.version_of(entry, [wire]) == "1.10"


def test_a_field_an_older_sender_left_out_needs_no_later_version():
    entry = table.method(E, "start_workflow")
    assert table.version_of(entry, [{"wf_identifier": "wf"}]) == "1.0"


def test_an_unknown_method_is_a_key_error():
    with pytest.raises(KeyError):
        table.method(X, "start_workflow")
