"""How tasks and executions end otherwise than by a plain result. Pure.

Engine commands (``succeed``, ``fail``, ``pause``), timeouts, tasks the
engine itself could not run or complete (force-failed, as Mistral does),
tasks cancelled with their action or sub-workflow, and the end of the
execution once nothing runs. A mixin of ``conductor.Conductor``: these
steps use its scheduling and bookkeeping.
"""
from wfengine import exceptions
from wfengine.core import expressions
from wfengine.core import fieldsize
from wfengine.core.engine import commands
from wfengine.core.engine import lifecycle
from wfengine.core.engine import policies
from wfengine.core.engine import states
from wfengine.core.engine import transitions


# A join's runtime_context mark: it failed as it could not be satisfied.
JOIN_GAVE_UP = "join_given_up"
# The state_info of a join task while it waits (Mistral's words, which
# an execution ended meanwhile, by a succeed command say, keeps showing).
WAITING_INFO = "Task is waiting."


class Endings:
    """Ending steps (mixed into the conductor)."""

    def _time_out(self, task):
        try:
            seconds = "%g" % policies.seconds(
                "timeout", self.spec.tasks[task.name].timeout,
                self._task_context(task), self._runtime(task))
        except (exceptions.ExpressionError, TypeError):
            seconds = "?"
        # Mistral's words first, then ours.
        message = "Task timed out [timeout(s)=%s]. (task '%s')" % (
            seconds, task.name)
        self.plan.aborts.append(commands.AbortActions(task.id, message))
        if task.state == states.RUNNING_DELAYED:
            self._move(task, states.RUN)
        task.runtime_context.pop("held_result", None)
        self._complete_task(task, states.ERROR, None, message)

    def _cancel_task(self, task, state_info):
        """The task's action or sub-workflow was cancelled: so is the task,
        and no transition is followed."""
        self._move(task, states.CANCEL, state_info=state_info)
        task.processed = True
        self._change(task, None)

    def _force_fail(self, task, message):
        """The engine itself could not run or complete the task (an
        expression error, an unknown action, bad input): as Mistral, the
        task fails and so does its execution at once, whatever handlers
        it has."""
        task.published = {}
        if task.state == states.ERROR:
            task.state_info = message
        else:
            self._move(task, states.FAIL, state_info=message)
        task.processed = True
        task.runtime_context["error_handled"] = False
        self._change(task, None)
        if self.wf.state == states.RUNNING:
            self._finish(states.FAIL, message)

    def _hold_after_pause(self, task, rest):
        """A pause command stopped the transition list: as Mistral, the
        tasks after it in the list start when the execution resumes."""
        names = [t.name for t in rest if not t.is_engine_command]
        if self.wf.state == states.PAUSED and names:
            task.runtime_context[lifecycle.AFTER_PAUSE] = names
            self._change(task, None)

    def _engine_command(self, task, transition, ctx, runtime):
        params = expressions.evaluate(transition.params or {}, ctx, runtime)
        msg = params.get("msg") if isinstance(params, dict) else None
        if msg is not None and not isinstance(msg, str):
            msg = str(msg)      # a dict or a number: shown as Mistral does
        if transition.name == "pause" and self._resuming:
            return      # paused already while this task's end waited
        if transition.name == "fail":
            self._finish(states.FAIL, msg or "Workflow failed by 'fail' "
                         "command of task '%s'" % task.name)
        elif transition.name == "succeed":
            self._finish(states.SUCCEED, msg)
        elif transition.name == "pause":
            self._wf_move(states.PAUSE, msg)

    def _check_completion(self):
        if self.wf.state != states.RUNNING:
            return
        if self.tasks.busy():
            return
        # Nothing runs: the execution ends, and its end reads every task
        # with its data (the final context). Read them now, all at once.
        self.tasks.all(with_data=True)
        # Nothing runs: joins still waiting never will be satisfied.
        for task in self.tasks.waiting_joins():
            self._give_up_join(task)
        failed = self.tasks.unhandled_errors()
        cancelled = [t.name for t in self.tasks.all()
                     if t.state == states.CANCELLED]
        if failed:
            self._finish(states.FAIL, transitions.failure_info(failed))
        elif cancelled:
            # As Mistral: a task whose action or sub-workflow was cancelled
            # cancels the execution once nothing else runs.
            message = "Cancelled tasks: %s" % ", ".join(cancelled)
            self._wf_move(states.CANCEL, message, {"result": message})
        else:
            self._finish(states.SUCCEED, None)

    def _give_up_join(self, task):
        """As Mistral, a join that can no longer be satisfied fails (and so
        does the execution), naming the inbound tasks that did not come.
        A re-run of one of them revives it (``_join_to_arrive_at``)."""
        arrived = task.runtime_context.get("join_arrivals") or []
        missing = [n for n in self.spec.get_inbound_task_names(task.name)
                   if n not in arrived]
        task.runtime_context[JOIN_GAVE_UP] = True
        self._move(task, states.FAIL, state_info=(
            "Failed by tasks: %s (the join of task '%s' can not be "
            "satisfied; arrived: %s)" % (missing, task.name, arrived)))

    def _join_to_arrive_at(self, name):
        """The join task an inbound task arrives at: the one waiting, else
        one given up (a re-run of what failed reached it: it waits again),
        else a new one; None if the join ran already."""
        task = self.tasks.waiting(name)
        if task is not None:
            return task
        earlier = self.tasks.named(name)
        for task in earlier:
            if (task.state == states.ERROR
                    and task.runtime_context.pop(JOIN_GAVE_UP, None)):
                self._reopen(task)
                self._move(task, states.RESET)
                self._move(task, states.WAIT, state_info=WAITING_INFO)
                return task
        if earlier:
            return None
        task = self._new_task(name, states.WAITING, {})
        task.state_info = WAITING_INFO
        return task

    def _finish(self, event, state_info):
        ctx = self._final_context()
        out_spec = (self.spec.output if event == states.SUCCEED
                    else self.spec.output_on_error)
        try:
            output = (expressions.evaluate(out_spec, ctx, self._runtime())
                      if out_spec else self._default_output(event))
        except exceptions.ExpressionError as e:
            # As Mistral: the output of a failure (what was published).
            event, output = states.FAIL, self._default_output(states.FAIL)
            state_info = "Failed to evaluate workflow output: %s" % e
        size = fieldsize.size_over(output)
        if size is not None:
            event, output = states.FAIL, {}
            state_info = fieldsize.message(fieldsize.WF_OUTPUT, size)
        if event == states.FAIL and isinstance(output, dict):
            output.setdefault("result", state_info)
        self._wf_move(event, state_info, output)

    def _default_output(self, event):
        # Without an output (output-on-error) spec, Mistral's output is
        # what the tasks published, for a failure too (plus its "result").
        if event not in (states.SUCCEED, states.FAIL):
            return {}
        published = {}
        for task in self._completed():
            published.update(task.published or {})
        return published
