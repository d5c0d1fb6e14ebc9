"""A join task's state_info while it waits, as Mistral 23.0.0 shows it.

Case by case: the workflow, the mocked results, and the state and
state_info each task ends with (conformance cases
``generated.fanout_command_then_task_all``, ``join``).
"""
import pytest

from tests.unit.engine import rehearsal
from wfengine.core.engine import endings
from wfengine.core.engine import states

FANOUT = """
version: '2.0'
wf:
  tasks:
    a:
      action: std.echo output=done
      wait-before: 2
      on-success: [%s]
    b:
      action: std.noop
      on-success: [d]
    c:
      action: std.noop
      on-success: [d]
    d:
      action: std.noop
      join: all
"""

CASES = [
    # A succeed command ends the execution while d waits for b: d keeps
    # showing that it waits.
    ("succeed_before_the_join", FANOUT % "succeed, b", {},
     states.SUCCESS, {"d": (states.WAITING, endings.WAITING_INFO)}),
    # Both arrive: d runs, and the waiting message is gone.
    ("join_satisfied", FANOUT % "b", {},
     states.SUCCESS, {"d": (states.SUCCESS, None)}),
    # The join can no longer be satisfied: its own message replaces it.
    ("join_given_up", FANOUT % "b", {"b": (states.ERROR, "broke")},
     states.ERROR, {"d": (states.ERROR, "Failed by tasks: ['b']")}),
]


@pytest.mark.parametrize("text, results, wf_state, expected",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_waiting_join_shows_that_it_waits(text, results, wf_state,
                                            expected):
    out = rehearsal.rehearse(text, results=results)
    assert out.state == wf_state
    tasks = {t.name: t for t in out.tasks.values()}
    for name, (state, state_info) in expected.items():
        assert tasks[name].state == state
        if state_info is None:
            assert tasks[name].state_info is None
        else:
            assert tasks[name].state_info.startswith(state_info)
