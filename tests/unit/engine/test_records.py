"""The decision the conductor hands the writer: records with their values."""
import dataclasses

import pytest

from wfengine import exceptions
from wfengine.core.engine import commands
from wfengine.core.engine import conductor
from wfengine.core.engine import records
from wfengine.core.engine import states
from wfengine.core.engine import views
from wfengine.core.lang import parser

WF = """
version: '2.0'
wf:
  tasks:
    t1:
      action: std.echo output=1
      publish: {x: <% task().result %>}
      on-success: [t2]
    t2:
      with-items: i in [1, 2]
      action: std.echo output=<% $.i %>
"""


def _conductor(tasks=()):
    spec = parser.parse_workflows(WF)[0]
    wf = views.WorkflowView(id="wf", name="wf", state=states.RUNNING,
                            spec=spec, context={}, input={})
    ids = iter("id-%d" % i for i in range(100))
    return conductor.Conductor(wf, list(tasks), id_factory=lambda: next(ids))


def test_a_new_task_carries_its_row_values():
    decision = _conductor().decide(conductor.Conductor.start)
    (task,) = decision.tasks
    assert task.created and task.name == "t1" and task.type == "ACTION"
    assert (task.start, task.state, task.moves) == (
        states.RUNNING, states.RUNNING, ())
    assert task.values["in_context"] == {} and task.values["processed"] \
        is False
    assert decision.run_actions[0].task_ex_id == task.id


def test_an_ending_task_carries_its_moves_and_what_it_published():
    t1 = views.TaskView(id="t1", name="t1", state=states.RUNNING,
                        in_context={}, published={})
    decision = _conductor([t1]).decide(
        lambda c: c.on_action_complete("t1", states.SUCCESS, 7))
    ended, started = decision.tasks
    assert not ended.created and ended.start == states.RUNNING
    assert ended.moves == (commands.Move(states.RUNNING, states.SUCCEED,
                                         states.SUCCESS),)
    assert ended.values["published"] == {"x": 7} and ended.values[
        "processed"] is True
    assert ended.published == {"x": 7}
    # The view changes later do not reach the record.
    t1.runtime_context["later"] = True
    assert "later" not in ended.values["runtime_context"]
    assert started.created and started.name == "t2"
    # Items carry their with-items generation.
    assert [(r.index, r.gen) for r in decision.run_actions] == [(0, 1), (1, 1)]


def test_a_record_can_not_be_changed():
    decision = _conductor().decide(conductor.Conductor.start)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.tasks[0].state = states.ERROR


def test_moves_that_do_not_lead_to_the_final_state_are_refused():
    cond = _conductor([views.TaskView(id="t1", name="t1",
                                      state=states.RUNNING)])
    cond.plan.task_changes.append(commands.TaskChange(
        "t1", states.SUCCEED, states.RUNNING, states.SUCCESS))
    with pytest.raises(exceptions.Conflict):
        records.task_writes(cond.plan, cond.tasks, cond.spec)


def test_a_workflow_change_carries_its_states():
    cond = _conductor()
    decision = cond.decide(lambda c: c.pause("by hand"))
    (change,) = decision.workflow_changes
    assert (change.before, change.event, change.after) == (
        states.RUNNING, states.PAUSE, states.PAUSED)
