"""Conductor scenarios for with-items, retry, waits, timeout and fail-on."""
import pytest

from wfengine.core.engine import states
from wfengine.core.engine import with_items
from tests.unit.engine import rehearsal

ITEMS = """
version: '2.0'
wf:
  input: [names]
  output: {greetings: <% $.greetings %>}
  tasks:
    greet:
      with-items: name in <% $.names %>
      concurrency: %(concurrency)s
      action: std.echo output="hi <%% $.name %%>"
      publish: {greetings: <% task().result %>}
"""


def _items(concurrency):
    return ITEMS.replace("%(concurrency)s", str(concurrency)) \
        .replace("%%", "%")


def _echo_results(count):
    return {"greet": [(states.SUCCESS, "hi %d" % i) for i in range(count)]}


@pytest.mark.parametrize("concurrency", [100, 1, 3])
def test_with_items_runs_every_item_and_keeps_order(concurrency):
    names = [str(i) for i in range(7)]
    out = rehearsal.rehearse(_items(concurrency), {"names": names},
                             results=_echo_results(7))
    assert out.state == states.SUCCESS
    assert [a.input for a in out.actions] == [
        {"output": "hi %s" % n} for n in names]
    assert [a.index for a in out.actions] == list(range(7))
    assert out.output == {"greetings": ["hi %d" % i for i in range(7)]}


def test_with_items_concurrency_bounds_running_actions():
    r = rehearsal.Rehearsal(_items(2), {"names": list("abcde")},
                            _echo_results(5), None)
    cond = r._conductor()
    plan = cond.start()
    assert len(plan.run_actions) == 2
    progress = next(iter(cond.tasks.values())).runtime_context["with_items"]
    assert progress["started"] == 2 and progress["count"] == 5


def test_with_items_over_an_empty_list_succeeds_with_empty_result():
    out = rehearsal.rehearse(_items(100), {"names": []})
    assert out.state == states.SUCCESS
    assert out.actions == []
    assert out.output == {"greetings": []}


def test_a_failed_item_fails_the_task_once_every_item_has_run():
    """As Mistral 23.0.0 does (conformance case
    generated.with_items_3_1_fail): the other items still run."""
    results = {"greet": [(states.SUCCESS, "ok"), (states.ERROR, "bad")] +
               [(states.SUCCESS, "ok")] * 5}
    out = rehearsal.rehearse(_items(1), {"names": list("abcdefg")},
                             results=results)
    assert out.state == states.ERROR
    assert len(out.actions) == 7
    assert "1 of 7 items failed" in out.state_info


RETRY = """
version: '2.0'
wf:
  tasks:
    flaky:
      action: std.echo output=1
      retry: %s
      publish: {attempt: <%% task().result %%>}
"""


def test_retry_reruns_until_success_after_each_delay():
    text = (RETRY % "{count: 3, delay: 2}").replace("%%", "%")
    results = {"flaky": [(states.ERROR, "e1"), (states.ERROR, "e2"),
                         (states.SUCCESS, "third")]}
    out = rehearsal.rehearse(text, results=results)
    assert out.state == states.SUCCESS
    assert out.sequence == ["flaky"] * 3
    assert out.clock == 4.0
    assert out.output == {"attempt": "third"}


def test_retry_count_is_a_bound():
    text = (RETRY % "count=2 delay=0").replace("%%", "%")
    out = rehearsal.rehearse(text, results={"flaky": [(states.ERROR, "e")] *
                                            5})
    assert out.state == states.ERROR
    assert out.sequence == ["flaky"] * 3


def test_retry_break_on_stops_early():
    text = (RETRY % "{count: 5, break-on: <% task().result = 'fatal' %>}"
            ).replace("%%", "%")
    out = rehearsal.rehearse(text, results={"flaky": [
        (states.ERROR, "transient"), (states.ERROR, "fatal"),
        (states.SUCCESS, 1)]})
    assert out.state == states.ERROR
    assert out.sequence == ["flaky"] * 2


def test_retry_continue_on_repeats_successful_runs():
    text = (RETRY % "{count: 5, continue-on: <% task().result < 3 %>}"
            ).replace("%%", "%")
    out = rehearsal.rehearse(text, results={"flaky": [
        (states.SUCCESS, 1), (states.SUCCESS, 2), (states.SUCCESS, 3)]})
    assert out.state == states.SUCCESS
    assert out.output == {"attempt": 3}


WAITS = """
version: '2.0'
wf:
  tasks:
    t1:
      action: std.noop
      wait-before: 3
      wait-after: <% 2 %>
      on-success: [t2]
    t2:
      action: std.noop
"""


def test_wait_before_and_after_delay_the_task_on_the_clock():
    r = rehearsal.Rehearsal(WAITS, {}, {}, None)
    cond = r._conductor()
    plan = cond.start()
    assert plan.run_actions == []
    task = next(iter(cond.tasks.values()))
    assert task.state == states.RUNNING_DELAYED
    out = rehearsal.rehearse(WAITS)
    assert out.state == states.SUCCESS
    assert out.sequence == ["t1", "t2"]
    assert out.clock == 5.0


TIMEOUT = """
version: '2.0'
wf:
  tasks:
    slow:
      action: std.async_noop
      timeout: 10
      on-error: [handled]
    handled:
      action: std.noop
"""


def test_timeout_fails_the_task_and_aborts_its_action():
    r = rehearsal.Rehearsal(TIMEOUT, {}, {}, None)
    cond = r._conductor()
    plan = cond.start()
    (timer,) = plan.timers
    assert timer.delay == 10
    r._take(cond, plan)
    cond = r._conductor()
    plan = cond.on_timer(timer.kind, timer.task_ex_id)
    slow = cond.tasks[timer.task_ex_id]
    assert slow.state == states.ERROR
    assert "timed out" in slow.state_info
    assert [a.task_ex_id for a in plan.aborts] == [slow.id]
    assert [a.task_name for a in plan.run_actions] == ["handled"]


def test_a_late_timer_for_a_finished_task_changes_nothing():
    r = rehearsal.Rehearsal(TIMEOUT, {}, {}, None)
    cond = r._conductor()
    plan = cond.start()
    r._take(cond, plan)
    run = plan.run_actions[0]
    cond = r._conductor()
    r._take(cond, cond.on_action_complete(run.task_ex_id, states.SUCCESS,
                                          None))
    cond = r._conductor()
    plan = cond.on_timer(plan.timers[0].kind, run.task_ex_id)
    assert plan.task_changes == [] and plan.aborts == []


def test_fail_on_turns_success_into_error():
    text = """
version: '2.0'
wf:
  tasks:
    check:
      action: std.echo output=5
      fail-on: <% task().result > 3 %>
"""
    out = rehearsal.rehearse(text, results={"check": 5})
    assert out.state == states.ERROR
    assert "fail-on" in out.state_info


def test_a_workflow_task_asks_for_a_sub_workflow():
    text = """
version: '2.0'
wf:
  input: [x]
  tasks:
    sub:
      workflow: child
      input: {y: <% $.x %>}
"""
    out = rehearsal.rehearse(text, {"x": 4}, env={"k": "v"})
    (sub,) = out.subworkflows
    assert (sub.workflow_name, sub.input, sub.index) == ("child", {"y": 4},
                                                         0)
    assert out.state == states.RUNNING


def test_with_items_over_a_sub_workflow_starts_one_per_item():
    text = """
version: '2.0'
wf:
  tasks:
    each:
      with-items: x in <% [1, 2, 3] %>
      concurrency: 2
      workflow: child x=<% $.x %>
"""
    out = rehearsal.rehearse(text)
    assert [(s.workflow_name, s.input, s.index)
            for s in out.subworkflows] == [("child", {"x": 1}, 0),
                                           ("child", {"x": 2}, 1)]
    assert out.state == states.RUNNING


PAUSE_BEFORE = """
version: '2.0'
wf:
  tasks:
    t1:
      action: std.noop
      on-success: [t2]
    t2:
      pause-before: true
      action: std.noop
"""


def test_pause_before_pauses_the_execution_and_resume_runs_the_task():
    r = rehearsal.Rehearsal(PAUSE_BEFORE, {}, {}, None)
    out = r.run()
    assert out.state == states.PAUSED
    assert out.sequence == ["t1"]
    t2 = next(t for t in out.tasks.values() if t.name == "t2")
    assert t2.state == states.IDLE  # held, as Mistral does
    cond = r._conductor()
    plan = cond.resume()
    assert [a.task_name for a in plan.run_actions] == ["t2"]
    assert cond.tasks[t2.id].state == states.RUNNING
    r._take(cond, plan)
    assert r.run_pending().state == states.SUCCESS


def test_target_routes_the_action():
    text = """
version: '2.0'
wf:
  tasks:
    t:
      action: std.noop
      target: <% 'host-' + '7' %>
"""
    out = rehearsal.rehearse(text)
    assert [a.target for a in out.actions] == ["host-7"]


def test_without_concurrency_items_start_in_batches_of_half_the_bound(
        monkeypatch):
    monkeypatch.setattr(with_items, "IN_FLIGHT", 4)
    progress = with_items.start(10, None)
    assert with_items.take_next(progress) == [0, 1, 2, 3]
    with_items.record(progress, True)
    assert with_items.take_next(progress) == [], "refilled per item"
    with_items.record(progress, True)
    assert with_items.take_next(progress) == [4, 5]
    explicit = with_items.start(10, 4)
    assert with_items.take_next(explicit) == [0, 1, 2, 3]
    with_items.record(explicit, True)
    assert with_items.take_next(explicit) == [4], "explicit concurrency " \
                                                   "keeps every slot busy"


def test_a_batched_with_items_task_runs_every_item_in_order(monkeypatch):
    monkeypatch.setattr(with_items, "IN_FLIGHT", 4)
    names = [str(i) for i in range(11)]
    text = "\n".join(line for line in _items(1).splitlines()
                     if "concurrency" not in line)
    out = rehearsal.rehearse(text, {"names": names},
                             results=_echo_results(11))
    assert out.state == states.SUCCESS
    assert [a.index for a in out.actions] == list(range(11))
    assert out.output == {"greetings": ["hi %d" % i for i in range(11)]}
