"""The in-process bus of the embedded deployment (``rpc.local``)."""
import threading

import pytest

from wfengine.rpc import local


class Queuing:
    """An endpoint whose cast only queues, as the executor's does."""

    def __init__(self):
        self.got = []

    def run_actions(self, ctxt, msgs):
        self.got.append((threading.get_ident(), msgs))


class Failing:
    def run_actions(self, ctxt, msgs):
        raise RuntimeError("boom")


def test_a_cast_reaches_its_endpoint_at_once_as_a_copy():
    bus = local.Bus()
    endpoint = Queuing()
    bus.register("executor", [endpoint])
    sent = [{"action_ex_id": "a1", "action_input": {"x": [1]}}]
    local.Client(bus, "executor").cast({}, "run_actions", msgs=sent)
    # No thread in between: it is there when cast returns.
    assert len(endpoint.got) == 1
    thread, got = endpoint.got[0]
    assert thread == threading.get_ident()
    assert got == sent
    got[0]["action_input"]["x"].append(2)
    assert sent[0]["action_input"]["x"] == [1], "the sender's object " \
                                                 "was shared"


@pytest.mark.parametrize("endpoints", [[Failing()], None])
def test_a_cast_never_raises_to_its_sender(endpoints):
    bus = local.Bus()
    if endpoints:
        bus.register("executor", endpoints)
    local.Client(bus, "executor").cast({}, "run_actions", msgs=[])


def test_after_shutdown_nothing_is_delivered():
    bus = local.Bus()
    endpoint = Queuing()
    bus.register("executor", [endpoint])
    bus.shutdown()
    local.Client(bus, "executor").cast({}, "run_actions", msgs=[])
    assert endpoint.got == []
    with pytest.raises(LookupError):
        local.Client(bus, "executor").call({}, "run_actions", msgs=[])
