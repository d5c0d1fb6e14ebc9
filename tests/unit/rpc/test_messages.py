"""The RPC contract: every message survives the wire as a plain dict, in
a shape pinned here field by field (renaming a field breaks a test, as it
would break a server of another release)."""
import dataclasses
import json
import re

import pytest

from wfengine.rpc import messages

# Every message with every field set, and the dict it travels as.
WIRE = [
    (messages.StartWorkflow(wf_identifier="wf", wf_namespace="ns",
                            wf_input={"a": 1}, description="d",
                            params={"env": {"k": "v"}}, wf_ex_id="w1",
                            project_id="p1", user_id="u1", ticket="t1"),
     {"wf_identifier": "wf", "wf_namespace": "ns", "wf_input": {"a": 1},
      "description": "d", "params": {"env": {"k": "v"}}, "wf_ex_id": "w1",
      "project_id": "p1", "user_id": "u1", "ticket": "t1"}),
    (messages.RunAction(action_ex_id="a1", action_name="std.echo",
                        action_input={"output": 1}, task_ex_id="t1",
                        task_name="t", wf_ex_id="w1", wf_name="wf",
                        safe_rerun=True, callback_url="http://cb",
                        target="host-1"),
     {"action_ex_id": "a1", "action_name": "std.echo",
      "action_input": {"output": 1}, "task_ex_id": "t1", "task_name": "t",
      "wf_ex_id": "w1", "wf_name": "wf", "safe_rerun": True,
      "callback_url": "http://cb", "target": "host-1"}),
    (messages.ClaimAction(action_ex_id="a1", claim="c1", is_sync=False,
                          executor="ex-1", started=False),
     {"action_ex_id": "a1", "claim": "c1", "is_sync": False,
      "executor": "ex-1", "started": False}),
    (messages.ActionResult(action_ex_id="a1", state=messages.ERROR,
                           result={"x": 1}, state_info="boom",
                           from_api=True),
     {"action_ex_id": "a1", "state": "ERROR", "result": {"x": 1},
      "state_info": "boom", "from_api": True}),
    (messages.UpdateExecution(wf_ex_id="w1", state="PAUSED",
                              state_info="why", env={"k": 1},
                              description="d"),
     {"wf_ex_id": "w1", "state": "PAUSED", "state_info": "why",
      "env": {"k": 1}, "description": "d"}),
    (messages.UpdateTask(task_ex_id="t1", state="SUCCESS", reset=False,
                         env={"k": 1}, published={"out": 2},
                         state_info="fixed"),
     {"task_ex_id": "t1", "state": "SUCCESS", "reset": False,
      "env": {"k": 1}, "published": {"out": 2}, "state_info": "fixed"}),
    (messages.DeleteExecution(wf_ex_id="w1", force=True),
     {"wf_ex_id": "w1", "force": True}),
    (messages.StartAction(name="std.echo", input={"output": 1},
                          namespace="ns", description="d", target="host-1",
                          project_id="p1", user_id="u1"),
     {"name": "std.echo", "input": {"output": 1}, "namespace": "ns",
      "description": "d", "target": "host-1", "project_id": "p1",
      "user_id": "u1"}),
    (messages.DeleteActionExecution(action_ex_id="a1"),
     {"action_ex_id": "a1"}),
    (messages.UpdateAction(action_ex_id="a1", state="PAUSED"),
     {"action_ex_id": "a1", "state": "PAUSED"}),
    (messages.ResultReport(results=[{"action_ex_id": "a1",
                                     "state": "SUCCESS"}], room=3),
     {"results": [{"action_ex_id": "a1", "state": "SUCCESS"}], "room": 3}),
]
IDS = [type(msg).__name__ for msg, _ in WIRE]


def _message_classes():
    return {cls for cls in vars(messages).values()
            if isinstance(cls, type) and issubclass(cls, messages.Message)
            and cls is not messages.Message}


def test_every_message_has_a_pinned_wire_shape():
    assert {type(msg) for msg, _ in WIRE} == _message_classes()


@pytest.mark.parametrize("msg, wire", WIRE, ids=IDS)
def test_wire_shape_is_pinned(msg, wire):
    assert msg.to_dict() == wire


@pytest.mark.parametrize("msg, wire", WIRE, ids=IDS)
def test_round_trip_through_json(msg, wire):
    travelled = json.loads(json.dumps(msg.to_dict()))
    assert type(msg).from_dict(travelled) == msg
    assert type(msg).from_dict(wire) == msg


@pytest.mark.parametrize("msg, wire", WIRE, ids=IDS)
def test_unknown_fields_from_newer_senders_are_ignored(msg, wire):
    assert type(msg).from_dict(dict(wire, added_later=1)) == msg


@pytest.mark.parametrize("msg, wire", WIRE, ids=IDS)
def test_fields_added_later_have_defaults(msg, wire):
    """An older sender leaves out what was added after it."""
    cls = type(msg)
    older = {k: v for k, v in wire.items() if k not in cls.FIELDS_SINCE}
    decoded = cls.from_dict(older)
    for name in cls.FIELDS_SINCE:
        field = next(f for f in dataclasses.fields(cls) if f.name == name)
        assert field.default is not dataclasses.MISSING or \
            field.default_factory is not dataclasses.MISSING
        assert getattr(decoded, name) != getattr(msg, name)


def test_new_fields_have_defaults_so_older_senders_are_understood():
    msg = messages.RunAction.from_dict(
        {"action_ex_id": "a", "action_name": "std.noop", "action_input": {}})
    assert msg.safe_rerun is False and msg.wf_ex_id is None


def _changelog():
    """Version -> its changelog text, from the module's docstring."""
    blocks = re.split(r"^  (\d+\.\d+) - ", messages.__doc__, flags=re.M)
    return dict(zip(blocks[1::2], blocks[2::2]))


@pytest.mark.parametrize("cls", sorted(_message_classes(),
                                       key=lambda c: c.__name__))
def test_fields_added_later_are_in_the_changelog(cls):
    names = {f.name for f in dataclasses.fields(cls)}
    log = _changelog()
    for field, since in cls.FIELDS_SINCE.items():
        assert field in names
        assert "%s.%s" % (cls.__name__, field) in log[since]


def test_rpc_version_is_the_newest_in_the_changelog():
    versions = [tuple(map(int, v.split("."))) for v in _changelog()]
    assert max(versions) == tuple(map(int, messages.RPC_VERSION.split(".")))
