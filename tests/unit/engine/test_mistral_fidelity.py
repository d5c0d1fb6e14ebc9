"""Behaviours matched to Mistral 23.0.0 (issue 16), one test per fix.

Each has a conformance case under tests/functional/conformance/divergences/
recorded from the real Mistral; these tests pin the pure layer's part.
"""
import pytest

from tests.unit.engine import rehearsal
from wfengine import exceptions
from wfengine.core.engine import states

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
    assert task.state_info.startswith(
        "Failed to run task [error=Invalid input [task=a]")
    assert not out.actions


HANDLED_BUT_BROKEN = """
version: '2.0'
wf:
  tasks:
    t:
      action: %s
      on-error: [handler]
    handler:
      action: std.noop
"""


@pytest.mark.parametrize("action, words", [
    ("std.echo output=<% $.no.where %>", "Failed to run task [error="),
    ("<% $.no.where %>", "Failed to run task [error="),
    ("std.echo output=1\n      publish: {x: <% $.no.where %>}",
     "Failed to handle action completion [error="),
])
def test_an_engine_side_error_fails_the_workflow_despite_on_error(action,
                                                                   words):
    out = rehearsal.rehearse(HANDLED_BUT_BROKEN % action)
    assert out.state == states.ERROR
    assert out.state_info.startswith(words), out.state_info
    assert "handler" not in out.sequence
    task = next(t for t in out.tasks.values() if t.name == "t")
    assert task.state == states.ERROR
    assert task.state_info.startswith(words)


FAIL_ON_RETRY = """
version: '2.0'
wf:
  tasks:
    a:
      action: std.echo output=5
      fail-on: <% task().result > 3 %>
      retry: {count: 2, delay: 0}
"""


def test_a_run_fail_on_turns_into_a_failure_is_retried():
    out = rehearsal.rehearse(FAIL_ON_RETRY, results={"a": 5})
    assert out.state == states.ERROR
    assert len(out.actions) == 3


CONTINUE_ON = """
version: '2.0'
wf:
  tasks:
    a:
      action: %s
      publish:
        flag: <%% task().result %%>
      retry:
        count: 2
        delay: 0
        continue-on: <%% $.flag = 'again' %%>
"""


def test_continue_on_sees_what_the_run_publishes():
    out = rehearsal.rehearse(CONTINUE_ON % "std.echo output=again",
                             results={"a": "again"})
    assert out.state == states.SUCCESS
    assert len(out.actions) == 3


def test_a_failed_run_is_not_retried_once_continue_on_is_false():
    out = rehearsal.rehearse(CONTINUE_ON % "std.fail",
                             results={"a": (states.ERROR, "broke")})
    assert out.state == states.ERROR
    assert len(out.actions) == 1


CANCELLED_ACTION = """
version: '2.0'
wf:
  tasks:
    wait:
      action: std.async_noop
      on-error: [handler]
      on-complete: [always]
    handler:
      action: std.noop
    always:
      action: std.noop
"""


def test_a_cancelled_action_cancels_its_task_and_then_the_execution():
    out = rehearsal.rehearse(CANCELLED_ACTION,
                             results={"wait": (states.CANCELLED, None)})
    assert out.state == states.CANCELLED
    assert out.state_info == "Cancelled tasks: wait"
    assert out.output == {"result": "Cancelled tasks: wait"}
    assert out.sequence == ["wait"]
    (task,) = out.tasks.values()
    assert task.state == states.CANCELLED


PAUSE_IN_LIST = """
version: '2.0'
wf:
  tasks:
    a:
      action: std.noop
      on-success: [pause, b, c]
    b:
      action: std.noop
    c:
      action: std.noop
"""


def test_resume_after_a_pause_command_runs_the_rest_of_its_list():
    r = rehearsal.Rehearsal(PAUSE_IN_LIST, {}, {}, None)
    assert r.run().state == states.PAUSED
    cond = r._conductor()
    plan = cond.resume()
    assert sorted(a.task_name for a in plan.run_actions) == ["b", "c"]
    r._take(cond, plan)
    out = r.run_pending()
    assert out.state == states.SUCCESS
    assert sorted(out.sequence) == ["a", "b", "c"]


TWO_PAUSES = """
version: '2.0'
wf:
  tasks:
    a:
      action: std.noop
      on-success: [pause, x]
    b:
      action: std.noop
      on-success: [pause, y]
    x:
      action: std.noop
    y:
      action: std.noop
"""


def test_two_pause_commands_take_one_resume():
    r = rehearsal.Rehearsal(TWO_PAUSES, {}, {}, None)
    assert r.run().state == states.PAUSED
    # b's action ends while the execution is paused (as both end at once
    # on a server): its transitions wait for the resume.
    (_, _, _, run_b), = r.queue
    r.queue.clear()
    cond = r._conductor()
    r._take(cond, r._complete(cond, run_b))
    assert r.wf.state == states.PAUSED
    cond = r._conductor()
    plan = cond.resume()
    r._take(cond, plan)
    out = r.run_pending()
    assert out.state == states.SUCCESS
    assert sorted(out.sequence) == ["a", "b", "x", "y"]


FAIL_WITH_A_DICT = """
version: '2.0'
wf:
  tasks:
    a:
      action: std.noop
      on-success:
        - fail msg=<% dict(code => 7) %>
"""


def test_fail_with_a_dict_message_ends_the_execution():
    out = rehearsal.rehearse(FAIL_WITH_A_DICT)
    assert out.state == states.ERROR
    assert out.state_info == "{'code': 7}"


SUBWORKFLOW_TASK = """
version: '2.0'
wf:
  tasks:
    call:
      workflow: child
      on-success: [after]
    after:
      action: std.noop
"""


def _subworkflow_running():
    r = rehearsal.Rehearsal(SUBWORKFLOW_TASK, {}, {}, None)
    r.run()
    assert r.wf.state == states.RUNNING and r.subworkflows
    return r


def test_pausing_pauses_a_task_that_waits_on_a_subworkflow():
    r = _subworkflow_running()
    cond = r._conductor()
    cond.pause()
    (task,) = cond.tasks.values()
    assert task.state == states.PAUSED
    cond.resume()
    assert task.state == states.RUNNING


def test_a_subworkflow_that_ends_while_paused_is_not_lost():
    r = _subworkflow_running()
    cond = r._conductor()
    cond.pause()
    (task,) = cond.tasks.values()
    plan = cond.on_subworkflow_complete(task.id, states.SUCCESS, {}, None)
    assert task.state == states.SUCCESS and not plan.run_actions
    plan = cond.resume()
    assert [a.task_name for a in plan.run_actions] == ["after"]


TRIGGERS = """
version: '2.0'
wf:
  tasks:
    a:
      action: std.noop
      on-success: [b]
      on-complete: [j]
    b:
      action: std.noop
      on-success: [j]
    j:
      join: all
      action: std.noop
"""


def test_runtime_context_records_what_triggered_a_task():
    out = rehearsal.rehearse(TRIGGERS)
    by_name = {t.name: t for t in out.tasks.values()}
    assert "triggered_by" not in by_name["a"].runtime_context
    assert by_name["b"].runtime_context["triggered_by"] == [
        {"task_id": by_name["a"].id, "event": "on-success"}]
    assert sorted(map(str, by_name["j"].runtime_context["triggered_by"])) \
        == sorted(map(str, [
            {"task_id": by_name["a"].id, "event": "on-complete"},
            {"task_id": by_name["b"].id, "event": "on-success"}]))


INLINE_LIST = """
version: '2.0'
wf:
  tasks:
    a:
      with-items: i in [1, 2, 3]
      action: std.echo output=<% $.i %>
"""


def test_with_items_over_an_inline_list():
    out = rehearsal.rehearse(INLINE_LIST, results={"a": "x"})
    assert out.state == states.SUCCESS
    assert sorted(a.input["output"] for a in out.actions) == [1, 2, 3]


def test_timeout_and_expression_errors_start_with_mistral_words():
    text = """
version: '2.0'
wf:
  tasks:
    slow:
      action: std.sleep seconds=5
      timeout: 1
"""
    r = rehearsal.Rehearsal(text, {}, {}, None)
    cond = r._conductor()
    plan = cond.start()
    (slow,) = cond.tasks.values()
    cond.on_timer(plan.timers[0].kind, slow.id)
    assert slow.state_info.startswith("Task timed out [timeout(s)=1].")
    out = rehearsal.rehearse(HANDLED_BUT_BROKEN % "std.echo output=<% $.x %>")
    assert "[error=Can not evaluate YAQL expression [expression=$.x, " \
        "error=" in out.state_info


def test_a_cancelled_execution_outputs_its_message_as_result():
    r = _paused()
    plan = r._conductor().cancel("operator stop")
    (change,) = plan.workflow_changes
    assert change.output == {"result": "operator stop"}


SLOW_THEN_NEXT = """
version: '2.0'
wf:
  tasks:
    slow:
      action: std.sleep seconds=2
      on-success: [next]
    next:
      action: std.noop
"""


def test_cancel_lets_a_running_action_finish_and_starts_nothing():
    r = rehearsal.Rehearsal(SLOW_THEN_NEXT, {}, {}, None)
    cond = r._conductor()
    r._take(cond, cond.start())
    cond = r._conductor()
    plan = cond.cancel("stop")
    assert not plan.aborts
    (slow,) = cond.tasks.values()
    assert slow.state == states.RUNNING and r.wf.state == states.CANCELLED
    plan = r._conductor().on_action_complete(slow.id, states.SUCCESS, None)
    assert slow.state == states.SUCCESS and not plan.run_actions
    assert r.wf.state == states.CANCELLED


def test_a_skipped_task_keeps_its_error_message():
    text = """
version: '2.0'
wf:
  tasks:
    t:
      action: std.fail
      on-success: [after]
    after:
      action: std.noop
"""
    r = rehearsal.Rehearsal(text, {}, {"t": (states.ERROR, "broke")}, None)
    assert r.run().state == states.ERROR
    (task,) = r.tasks.values()
    cond = r._conductor()
    plan = cond.skip(task.id)
    assert task.state == states.SKIPPED and task.state_info == "broke"
    assert [a.task_name for a in plan.run_actions] == ["after"]
