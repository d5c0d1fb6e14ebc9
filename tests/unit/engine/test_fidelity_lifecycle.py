"""Execution state requests on a PAUSED or RUNNING execution (issue 16).

Each case: the requests, then the answer to the last (None: taken) and the
state the execution ends in. Mistral 23.0.0 refuses SUCCESS on a PAUSED
execution (``generated.lifecycle_paused_succeed``); wfengine does the same.
"""
import pytest

from tests.unit.engine import rehearsal
from wfengine import exceptions
from wfengine.engine import service_local
from wfengine.core.engine import states

WF = """
version: '2.0'
wf:
  tasks:
    a:
      action: std.async_noop
"""

INFO = "stopped by hand"
# name, requests, refusal of the last, state, output of the last change
CASES = [
    ("running_succeed", [states.SUCCESS], None, states.SUCCESS, {}),
    # A failure's output holds its message as result, as in Mistral.
    ("running_fail", [states.ERROR], None, states.ERROR, {"result": INFO}),
    ("paused_fail", [states.PAUSED, states.ERROR], None, states.ERROR,
     {"result": INFO}),
    ("paused_succeed", [states.PAUSED, states.SUCCESS],
     exceptions.WrongState, states.PAUSED, None),
    ("resumed_succeed", [states.PAUSED, states.RUNNING, states.SUCCESS],
     None, states.SUCCESS, {}),
]


@pytest.mark.parametrize("requests, refused, wf_state, output",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_state_requests(requests, refused, wf_state, output):
    r = rehearsal.Rehearsal(WF, {}, {}, None)
    cond = r._conductor()
    cond.start()
    r.tasks = cond.tasks
    for index, state in enumerate(requests):
        cond = r._conductor()
        if refused and index == len(requests) - 1:
            with pytest.raises(refused) as err:
                service_local.execution_request(cond, state)
            assert "in state PAUSED (allowed in: RUNNING)" in str(err.value)
            assert err.value.http_code == 400
        else:
            service_local.execution_request(cond, state, INFO)
        r.tasks = cond.tasks
    assert r.wf.state == wf_state
    if output is not None:
        assert cond.plan.workflow_changes[-1].output == output
