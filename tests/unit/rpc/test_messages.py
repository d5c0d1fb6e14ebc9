"""The RPC contract: every message survives the wire as a plain dict."""
import json

import pytest

from wfengine.rpc import messages

SAMPLES = [
    messages.StartWorkflow(wf_identifier="wf", wf_namespace="ns",
                           wf_input={"a": 1}, description="d",
                           params={"env": {"k": "v"}}),
    messages.RunAction(action_ex_id="a1", action_name="std.echo",
                       action_input={"output": 1}, task_ex_id="t1",
                       task_name="t", wf_ex_id="w1", wf_name="wf",
                       safe_rerun=True),
    messages.ClaimAction(action_ex_id="a1", claim="c1"),
    messages.ActionResult(action_ex_id="a1", state=messages.ERROR,
                          result={"x": 1}, state_info="boom"),
]


@pytest.mark.parametrize("msg", SAMPLES, ids=lambda m: type(m).__name__)
def test_round_trip_through_json(msg):
    wire = json.loads(json.dumps(msg.to_dict()))
    assert type(msg).from_dict(wire) == msg


def test_unknown_fields_from_newer_senders_are_ignored():
    wire = SAMPLES[2].to_dict()
    wire["added_in_a_later_version"] = 1
    assert messages.ClaimAction.from_dict(wire) == SAMPLES[2]


def test_new_fields_have_defaults_so_older_senders_are_understood():
    msg = messages.RunAction.from_dict(
        {"action_ex_id": "a", "action_name": "std.noop", "action_input": {}})
    assert msg.safe_rerun is False and msg.wf_ex_id is None
