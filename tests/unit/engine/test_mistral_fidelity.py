"""Behaviours matched to Mistral 23.0.0 (issue 16), one test per fix.

Each has a conformance case under tests/functional/conformance/divergences/
recorded from the real Mistral; these tests pin the pure layer's part.
"""
import pytest

from tests.unit.engine import rehearsal
from wfengine import exceptions
from wfengine.engine import states

ASYNC_TASK = """
version: '2.0'
wf:
  tasks:
    t:
      pause-before: true
      action: std.noop
"""


def _paused():
    r = rehearsal.Rehearsal(ASYNC_TASK, {}, {}, None)
    assert r.run().state == states.PAUSED
    return r


def test_pausing_a_paused_execution_changes_nothing():
    r = _paused()
    cond = r._conductor()
    plan = cond.pause("again")
    assert r.wf.state == states.PAUSED
    assert not plan.run_actions


def test_resuming_a_running_execution_changes_nothing():
    r = _paused()
    cond = r._conductor()
    cond.resume()
    assert r.wf.state == states.RUNNING
    plan = r._conductor().resume()
    assert not plan.run_actions
    assert r.wf.state == states.RUNNING


@pytest.mark.parametrize("state", [states.SUCCESS, states.RUNNING,
                                   states.CANCELLED])
def test_env_update_refused_unless_idle_paused_or_error(state):
    r = _paused()
    r.wf.state = state
    with pytest.raises(exceptions.Forbidden) as info:
        r._conductor().update_env({"k": 2})
    assert str(info.value).startswith(
        "Updating env to workflow execution is only permitted if it is in "
        "IDLE, PAUSED, or ERROR state")


def test_env_update_of_a_paused_execution_is_kept():
    r = _paused()
    plan = r._conductor().update_env({"k": 2})
    assert plan.params["env"] == {"k": 2}
