"""A result the engine could not complete (an ad-hoc action's ``output``
that fails over it) fails its task at once, whatever handlers it has, and
the execution with it, as in Mistral 23.0.0 (conformance case
``realworld_runs.zabbix_ok``). A plain failure follows the handlers."""
import pytest

from tests.unit.engine import rehearsal
from wfengine.core.engine import states

WF = """
version: '2.0'
wf:
  tasks:
    a:
      action: std.noop
      on-error: [handled]
    handled:
      action: std.noop
"""
MESSAGE = ("Failed to complete action [error=Can not evaluate YAQL "
           "expression [expression=$.content.result], action=auth, task=a]")

CASES = [
    # forced, wf state, wf state_info head, tasks that ran
    ("forced", True, states.ERROR, MESSAGE, {"a": states.ERROR}),
    ("plain_failure", False, states.SUCCESS, None,
     {"a": states.ERROR, "handled": states.SUCCESS}),
]


@pytest.mark.parametrize("forced, wf_state, wf_info, tasks",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_result_that_can_not_be_completed(forced, wf_state, wf_info,
                                            tasks):
    r = rehearsal.Rehearsal(WF, {}, {}, None)
    cond = r._conductor()
    cond.start()
    r.tasks = cond.tasks
    task = next(t for t in r.tasks.values() if t.name == "a")
    cond = r._conductor()
    plan = cond.on_action_complete(task.id, states.ERROR, MESSAGE, MESSAGE,
                                   forced=forced)
    r._take(cond, plan)
    out = r.run_pending()
    assert out.state == wf_state
    if wf_info is not None:
        assert out.state_info.startswith(wf_info)
    ran = {t.name: t.state for t in out.tasks.values()}
    assert ran == tasks
    if forced:
        assert ran["a"] == states.ERROR
        assert task.state_info == MESSAGE
        assert task.published == {}
