"""Drive the pure conductor through a workflow with mocked action results.

The rehearsal plays the engine service's part in memory: it keeps the task
views between events, answers each planned action with its mocked result
at once, fires timers on a virtual clock, and records the order in which
actions completed. No database, no broker, no sleeping.
"""
import dataclasses
import heapq
import itertools

from wfengine.core.engine import conductor
from wfengine.core.engine import context as ctx_lib
from wfengine.core.engine import states
from wfengine.core.engine import views
from wfengine.core.engine import with_items
from wfengine.core.lang import parser


@dataclasses.dataclass
class Outcome:
    state: str
    output: object
    state_info: str | None
    sequence: list
    tasks: dict
    actions: list
    clock: float
    subworkflows: list


class Rehearsal:
    def __init__(self, text, wf_input, results, env):
        spec = parser.parse_workflows(text)[0]
        wf_input = ctx_lib.prepare_input(spec, wf_input or {})
        runtime = {"env": env or {}, "execution": {"id": "wf-1"}}
        self.wf = views.WorkflowView(
            id="wf-1", name=spec.name, state=states.RUNNING, spec=spec,
            context=ctx_lib.initial_context(spec, wf_input, runtime),
            env=env or {}, input=wf_input)
        self.results = results or {}
        self.tasks = {}
        self.queue, self.clock, self.seq = [], 0.0, itertools.count()
        self.sequence, self.actions, self.subworkflows = [], [], []
        self.item_results = {}
        self._ids = ("id-%d" % i for i in itertools.count())
        self.last_change = None

    def _conductor(self):
        return conductor.Conductor(self.wf, self.tasks.values() if self.tasks
                                   else [],
                                   id_factory=lambda: next(self._ids))

    def _take(self, cond, plan):
        self.tasks = cond.tasks
        for run in plan.run_actions:
            self.actions.append(run)
            heapq.heappush(self.queue, (self.clock, next(self.seq),
                                        "action", run))
        for timer in plan.timers:
            heapq.heappush(self.queue, (self.clock + timer.delay,
                                        next(self.seq), "timer", timer))
        self.subworkflows.extend(plan.subworkflows)
        if plan.workflow_change:
            self.last_change = plan.workflow_change

    def run(self, max_steps=10000):
        cond = self._conductor()
        self._take(cond, cond.start())
        return self.run_pending(max_steps)

    def run_pending(self, max_steps=10000):
        """Answer queued actions and timers until the execution stops."""
        for _ in range(max_steps):
            if self.wf.state != states.RUNNING or not self.queue:
                break
            self.clock, _, kind, item = heapq.heappop(self.queue)
            cond = self._conductor()
            if kind == "timer":
                plan = cond.on_timer(item.kind, item.task_ex_id)
            else:
                plan = self._complete(cond, item)
            self._take(cond, plan)
        change = self.last_change
        return Outcome(
            state=self.wf.state, output=change and change.output,
            state_info=change and change.state_info,
            sequence=self.sequence, tasks=self.tasks, actions=self.actions,
            clock=self.clock, subworkflows=self.subworkflows)

    def _complete(self, cond, run):
        state, result = _result_for(self.results, run.task_name)
        self.sequence.append(run.task_name)
        task = cond.tasks[run.task_ex_id]
        items = None
        progress = task.runtime_context.get(with_items.KEY)
        if run.index is not None:
            self.item_results.setdefault(task.id, {})[run.index] = result
            if with_items.completes(progress, state == states.SUCCESS):
                got = self.item_results.pop(task.id)
                items = [got.get(i) for i in range(len(got))]
        return cond.on_action_complete(
            run.task_ex_id, state, result,
            None if state == states.SUCCESS else str(result), items)


def rehearse(text, wf_input=None, results=None, env=None):
    """Run the (single) workflow of ``text`` to its end.

    :param results: task name -> result, or -> ``(state, result)``, or a
        list of those consumed one per run of that task. Default: SUCCESS
        with result None.
    """
    return Rehearsal(text, wf_input, results, env).run()


def _result_for(results, name):
    value = results.get(name)
    if isinstance(value, list):
        value = value.pop(0) if value else None
    if callable(value):
        value = value()
    if isinstance(value, tuple):
        return value
    return states.SUCCESS, value


