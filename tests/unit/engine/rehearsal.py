"""Drive the pure conductor through a workflow with mocked action results.

The rehearsal plays the engine service's part in memory: it keeps the task
views between events, feeds each planned action its mocked result, and
records the order in which tasks completed. No database, no broker.
"""
import dataclasses

from wfengine.engine import conductor
from wfengine.engine import states
from wfengine.lang import parser


@dataclasses.dataclass
class Outcome:
    state: str
    output: object
    state_info: str | None
    sequence: list
    tasks: dict
    actions: list


def rehearse(text, wf_input=None, results=None, env=None, max_steps=1000):
    """Run the (single) workflow of ``text`` to its end.

    :param results: task name -> result, or -> ``(state, result)``, or a
        list of those consumed one per run of that task. Default: SUCCESS
        with result None.
    """
    spec = parser.parse_workflows(text)[0]
    wf_input = conductor.prepare_input(spec, wf_input or {})
    runtime = {"env": env or {}, "execution": {"id": "wf-1"}}
    wf = conductor.WorkflowView(
        id="wf-1", name=spec.name, state=states.RUNNING, spec=spec,
        context=conductor.initial_context(spec, wf_input, runtime),
        env=env or {}, input=wf_input)
    tasks, pending, sequence, actions = {}, [], [], []
    counter = iter(range(10 ** 6))
    ids = lambda: "id-%d" % next(counter)  # noqa: E731
    plan_cond = conductor.Conductor(wf, [], id_factory=ids)
    plan = plan_cond.start()
    for _ in range(max_steps):
        tasks = plan_cond.tasks
        pending.extend(plan.run_actions)
        actions.extend(plan.run_actions)
        if plan.workflow_change:
            wf.state = states.transition("workflow", wf.state,
                                         plan.workflow_change.event)
            break
        if not pending:
            break
        run = pending.pop(0)
        state, result = _result_for(results or {}, run.task_name)
        plan_cond = conductor.Conductor(wf, list(tasks.values()),
                                        id_factory=ids)
        plan = plan_cond.on_action_complete(run.task_ex_id, state, result,
                                            None if state == states.SUCCESS
                                            else str(result))
        sequence.append(run.task_name)
    change = plan.workflow_change
    return Outcome(state=wf.state, output=change and change.output,
                   state_info=change and change.state_info,
                   sequence=sequence, tasks=plan_cond.tasks, actions=actions)


def _result_for(results, name):
    value = results.get(name)
    if isinstance(value, list):
        value = value.pop(0) if value else None
    if isinstance(value, tuple):
        return value
    return states.SUCCESS, value
