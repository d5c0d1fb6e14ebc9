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


ON_COMPLETE_ONLY = """
version: '2.0'
wf:
  tasks:
    boom:
      action: std.fail
      on-complete: [after]
    after:
      action: std.noop
"""


def test_on_complete_runs_but_does_not_handle_a_failure():
    out = rehearsal.rehearse(ON_COMPLETE_ONLY,
                             results={"boom": ("ERROR", "broke")})
    assert out.state == states.ERROR
    assert sorted(out.sequence) == ["after", "boom"]


def test_on_error_next_to_on_complete_handles_it():
    text = ON_COMPLETE_ONLY.replace("on-complete: [after]",
                                    "on-error: [after]")
    out = rehearsal.rehearse(text, results={"boom": ("ERROR", "broke")})
    assert out.state == states.SUCCESS


PUBLISH_TWICE = """
version: '2.0'
wf:
  output:
    x: <% $.x %>
  tasks:
    a:
      action: std.noop
      publish:
        x: {one: 1, shared: a}
      on-success: [b]
    b:
      action: std.noop
      publish:
        x: {two: 2, shared: b}
"""


def test_publishing_a_dict_again_replaces_it():
    out = rehearsal.rehearse(PUBLISH_TWICE)
    assert out.output == {"x": {"two": 2, "shared": "b"}}


FAILS_AFTER_PUBLISH = """
version: '2.0'
wf:
  input:
    - given: 1
  tasks:
    a:
      action: std.noop
      publish: {seen: yes}
      on-success: [b]
    b:
      action: std.fail
"""


def test_a_failed_workflow_output_holds_what_was_published():
    out = rehearsal.rehearse(FAILS_AFTER_PUBLISH,
                             results={"b": ("ERROR", "broke")})
    assert out.state == states.ERROR
    assert out.output["seen"] is True
    assert "given" not in out.output
    assert out.output["result"].startswith(
        "Failure caused by error in tasks: b")


INPUT_EXPRESSION = """
version: '2.0'
wf:
  input:
    - args: {output: whole}
  tasks:
    a:
      action: std.echo
      input: <% $.args %>
"""


def test_a_task_input_given_as_one_expression():
    out = rehearsal.rehearse(INPUT_EXPRESSION)
    assert out.state == states.SUCCESS
    assert [a.input for a in out.actions] == [{"output": "whole"}]


def test_an_input_expression_that_gives_no_mapping_fails_the_task():
    out = rehearsal.rehearse(INPUT_EXPRESSION, wf_input={"args": [1, 2]})
    assert out.state == states.ERROR
    task = next(t for t in out.tasks.values() if t.name == "a")
    assert task.state_info.startswith("Invalid input [task=a]")
    assert not out.actions
