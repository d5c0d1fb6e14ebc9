"""What the conductor reads and records as it decides. Pure.

The contexts a task sees (its input context, what expressions see of the
execution and its tasks), and the journal of the decision: tasks created,
moves of tasks and of the execution (each through ``states.transition``),
timers. A mixin of ``conductor.Conductor``.
"""
from wfengine.core.engine import commands
from wfengine.core.engine import context as ctx_lib
from wfengine.core.engine import states
from wfengine.core.engine import views

_KEEP = object()


class Bookkeeping:
    """Contexts and the journal (mixed into the conductor)."""

    # ---- contexts ----

    def _task_context(self, task):
        return ctx_lib.merge(self.wf.context, task.in_context)

    def _out_context(self, task):
        return ctx_lib.publish(task.in_context, task.published)

    def _final_context(self):
        ctx = dict(self.wf.context)
        completed = self._completed()
        self.tasks.load_data(completed)
        for task in completed:
            ctx = ctx_lib.publish(ctx, self._out_context(task))
        return ctx

    def _completed(self):
        return [t for t in self.tasks.all() if t.state in states.COMPLETED]

    def _runtime(self, task=None, task_data=None):
        index = ctx_lib.TaskIndex(self.tasks.all, lambda t: task_data if (
            task_data and t is task) else self._task_data(    # as it ends
                t, t.state, t.result, t.state_info))
        runtime = {
            "env": self.wf.env,
            "execution": self.wf.execution_info,
            "tasks": index, "task_list": index.summaries,
            "globals": self.wf.context,
            "find_executions": self._ports.find_executions,
            "find_tasks": self._ports.find_tasks,
        }
        if task is not None:
            runtime["task"] = task_data or self._task_data(
                task, task.state, [], task.state_info)  # no result yet: []
        return runtime

    def _task_data(self, task, state, result, state_info):
        return {"id": task.id, "name": task.name, "state": state,
                "state_info": state_info, "result": result,
                "published": task.published or {},
                "type": self.spec.tasks[task.name].type,
                "workflow_execution_id": self.wf.id}

    # ---- bookkeeping ----

    def _new_task(self, name, state, in_ctx):
        task_spec = self.spec.tasks[name]
        task = views.TaskView(id=self._new_id(), name=name, state=state,
                        in_context=dict(in_ctx))
        self.tasks.add(task)
        self.plan.new_tasks.append(commands.NewTask(
            id=task.id, name=name, state=state, type=task_spec.type,
            in_context=task.in_context, runtime_context=task.runtime_context))
        return task

    def _wf_move(self, event, state_info=None, output=None):
        before = self.wf.state
        self.wf.state = states.transition("workflow", before, event)
        self.plan.workflow_changes.append(commands.WorkflowChange(
            event, state_info, output, before, self.wf.state))

    def _timer(self, kind, task, delay):
        self.plan.timers.append(commands.ScheduleTimer(kind, task.id, delay))

    def _move(self, task, event, state_info=_KEEP, record=True):
        before = task.state
        task.state = states.transition("task", before, event)
        if state_info is not _KEEP:
            task.state_info = state_info
        if record:
            self._change(task, event, before)

    def _change(self, task, event, before=None):
        """Record that the task changed: by ``event`` from state
        ``before`` to the state it is in now, or (no event) only in its
        data. The decision writes the task's values as the plan ends."""
        if event is None:
            before = task.state
        self.plan.task_changes.append(commands.TaskChange(
            task_ex_id=task.id, event=event, before=before,
            after=task.state if event else None))
