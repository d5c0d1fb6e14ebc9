"""An asynchronous action paused and resumed by request, as in Mistral 23.0.0.

``PUT /v2/action_executions/<id>`` with state PAUSED pauses the action,
its task and its execution; RUNNING lets it run again, and the execution
resumes once none of its tasks is paused (conformance cases
``generated.complete_paused_*`` and ``generated.complete_running_*``).
Each case is a list of steps played on the conductor and the states the
tasks and the execution end in.
"""
import pytest

from tests.unit.engine import rehearsal
from wfengine.core.engine import lifecycle
from wfengine.core.engine import states

WF = """
version: '2.0'
wf:
  tasks:
    a:
      action: std.async_noop
      on-success: [after]
    other:
      action: std.async_noop
    after:
      action: std.noop
"""
ACTION = "act-a"


class Player:
    """Plays the steps: each on a fresh conductor, as the engine would."""

    def __init__(self):
        self.r = rehearsal.Rehearsal(WF, {}, {}, None)
        self._step(lambda cond: cond.start())

    def _step(self, entry):
        cond = self.r._conductor()
        self.plan = entry(cond)
        self.r.tasks = cond.tasks

    def task(self, name):
        return next(t for t in self.r.tasks.values() if t.name == name)

    def play(self, step):
        kind, name = step
        task_id = self.task(name).id if name else None
        if kind == "pause_action":
            self._step(lambda c: c.on_action_paused(task_id, ACTION))
        elif kind == "resume_action":
            self._step(lambda c: c.on_action_resumed(task_id, ACTION))
        elif kind == "complete":
            self._step(lambda c: c.on_action_complete(
                task_id, states.SUCCESS, {"ok": 1}, action_ex_id=ACTION))
        elif kind in ("pause", "resume", "cancel"):
            self._step(lambda c: getattr(c, kind)())
        else:
            raise ValueError(kind)


P, R, S = states.PAUSED, states.RUNNING, states.SUCCESS
CASES = [
    ("pause", [("pause_action", "a")],
     P, {"a": P, "other": R}),
    ("pause_twice_changes_nothing", [("pause_action", "a"),
                                     ("pause_action", "a")],
     P, {"a": P, "other": R}),
    ("pause_then_run_again", [("pause_action", "a"),
                              ("resume_action", "a")],
     R, {"a": R, "other": R}),
    # A resume of the execution leaves the task with the paused action
    # PAUSED; the execution does not end while it is.
    ("execution_resumed_task_stays_paused",
     [("pause_action", "a"), ("resume", None), ("complete", "other")],
     R, {"a": P, "other": S}),
    # A paused action may be completed: its task ends, and its
    # transitions wait for the execution's resume.
    ("paused_action_completed", [("pause_action", "a"), ("complete", "a")],
     P, {"a": S, "other": R}),
    ("paused_action_completed_then_resumed",
     [("pause_action", "a"), ("complete", "a"), ("resume", None),
      ("complete", "other")],
     R, {"a": S, "other": S, "after": R}),
    # A cancel leaves the paused task and its action as they are.
    ("cancelled", [("pause_action", "a"), ("cancel", None)],
     states.CANCELLED, {"a": P}),
    # Running again a task of a paused execution resumes the execution
    # once nothing is paused.
    ("run_again_in_an_execution_paused_by_hand",
     [("pause", None), ("pause_action", "a"), ("resume_action", "a")],
     R, {"a": R, "other": R}),
]


@pytest.mark.parametrize("steps, wf_state, tasks", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_action_pause_and_resume(steps, wf_state, tasks):
    player = Player()
    for step in steps:
        player.play(step)
    assert player.r.wf.state == wf_state
    for name, state in tasks.items():
        assert player.task(name).state == state, name
    paused = player.task("a").runtime_context.get(lifecycle.PAUSED_ACTIONS)
    assert bool(paused) == (tasks["a"] == P)
