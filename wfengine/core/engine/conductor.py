"""The workflow conductor: pure decisions for direct workflows.

Given a snapshot of one workflow execution (its spec, context and task
executions) and one event (start, an action or sub-workflow result, a
timer), it returns a ``commands.Plan``. It imports no database, RPC or
configuration and reads no clock. What it may read beyond the snapshot
comes through the ``ports.Ports`` it is given at construction: the snapshot's
tasks may be read lazily (``TaskSet``), expressions may look up other
executions and their tasks. The actions it may call come resolved, as an
``catalog.ActionCatalog`` read before it runs: a planned call is turned
into a call of the action that runs (an ad-hoc action's base) as it is
planned. The engine service builds the snapshot, the ports and the
catalog, and writes the decision (``persist.apply_plan``).

A task's life: created RUNNING (or WAITING at a join), optionally delayed
(``wait-before``), then its action runs (once, per item for
``with-items``, again for ``retry``), its result may be held
(``wait-after``), and finally it completes: publish, then transitions.
"""

import dataclasses

from wfengine import exceptions
from wfengine.core import expressions
from wfengine.core import fieldsize
from wfengine.core.engine import bookkeeping
from wfengine.core.engine import catalog
from wfengine.core.engine import commands
from wfengine.core.engine import context as ctx_lib
from wfengine.core.engine import endings
from wfengine.core.engine import lifecycle
from wfengine.core.engine import policies
from wfengine.core.engine import ports as ports_lib
from wfengine.core.engine import records
from wfengine.core.engine import reverse
from wfengine.core.engine import states
from wfengine.core.engine import taskset
from wfengine.core.engine import transitions
from wfengine.core.engine import views
from wfengine.core.engine import with_items



class Conductor(lifecycle.Lifecycle, endings.Endings,
                bookkeeping.Bookkeeping):
    """Decides what follows an event in one direct workflow execution."""

    def __init__(self, wf, tasks, id_factory=views.new_id,
                 ports=ports_lib.Ports(), actions=catalog.ActionCatalog()):
        self.wf = wf
        self.spec = wf.spec
        self.tasks = tasks if isinstance(tasks, taskset.TaskSet) \
            else taskset.TaskSet(tasks)
        self.plan = commands.Plan()
        self._new_id = id_factory
        self._ports = ports
        self._actions = actions

    def decide(self, entry):
        """Run ``entry(self)`` (one entry point); returns the plan, frozen
        (a ``Decision``), its records carrying the values to write."""
        entry(self)
        return self.plan.freeze(records.task_writes(self.plan, self.tasks,
                                                    self.spec))

    # ---- entry points ----

    def start(self):
        """Plan the start tasks of a new execution."""
        if self._is_reverse():
            target = reverse.check_target(self.spec, self.wf.params)
            names = reverse.start_names(self.spec, target)
        else:
            names = self.spec.get_start_task_names()
        for name in names:
            self._schedule(name, None)
        self._check_completion()
        return self.plan

    def _is_reverse(self):
        return self.spec.type == "reverse"

    def on_action_complete(self, task_ex_id, state, result, state_info=None,
                           item_results=None, action_ex_id=None,
                           forced=False):
        """Plan what follows the completion of one of the task's actions.

        :param item_results: for a ``with-items`` task whose last item this
            is, the results of all items in index order.
        :param action_ex_id: the action's id (an action paused by request
            may be completed: its task runs again to take the result).
        :param forced: the result could not be completed (an ad-hoc
            action's output failed, ``state_info`` says why): as in
            Mistral, the task fails at once, whatever handlers it has.
        """
        task = self.tasks[task_ex_id]
        if forced and task.state in (states.RUNNING, states.PAUSED):
            task.runtime_context.pop(lifecycle.PAUSED_ACTIONS, None)
            if task.state == states.PAUSED:
                self._move(task, states.RESUME)
            self._force_fail(task, state_info)
            self._check_completion()
            return self.plan
        if task.state == states.PAUSED and \
                self._unpause_action(task, action_ex_id) and \
                task.state == states.PAUSED:
            # Another of its actions is still paused: the task takes the
            # result running, then pauses again if it has not ended.
            self._move(task, states.RESUME)
            self._after_action(task, state, result, state_info,
                               item_results)
            if task.state == states.RUNNING:
                self._move(task, states.PAUSE)
            return self.plan
        if task.state != states.RUNNING:
            return self.plan
        self._after_action(task, state, result, state_info, item_results)
        return self.plan

    def _after_action(self, task, state, result, state_info, item_results):
        """``on_action_complete`` for a RUNNING task."""
        progress = task.runtime_context.get(with_items.KEY)
        if state == states.CANCELLED and progress is None:
            self._cancel_task(task, state_info)
            self._check_completion()
            return
        if progress is not None:
            with_items.record(progress, state == states.SUCCESS)
            if not with_items.finished(progress):
                self._run_items(task, progress)
                self._change(task, None)
                return
            failed = progress["failed"] > 0
            state = states.ERROR if failed else states.SUCCESS
            result = item_results
            state_info = (
                # Mistral's words, then how many.
                "One or more actions had failed. (%d of %d items failed)"
                % (progress["failed"], progress["count"]) if failed else None)
        self._after_run(task, state, result, state_info)
        self._check_completion()

    def on_subworkflow_complete(self, task_ex_id, state, output, state_info,
                                item_results=None):
        """Plan what follows the end of a task's sub-workflow execution.

        A task that failed with its sub-workflow is reopened when the
        sub-workflow, re-run or resumed, ends again: whichever of this
        message and the parent re-run message comes first. The item of a
        with-items task counts as an action's would
        (``on_action_complete``).
        """
        task = self.tasks[task_ex_id]
        if task.state == states.RUNNING and \
                with_items.KEY in task.runtime_context:
            return self.on_action_complete(task_ex_id, state, output,
                                           state_info, item_results)
        if task.state == states.ERROR:
            self.reopen_for_child(task_ex_id)
        if task.state == states.PAUSED:
            # Paused with its execution, the child ended all the same: the
            # task ends now and its transitions wait for the resume.
            self._move(task, states.RESUME)
        if task.state == states.RUNNING and state == states.CANCELLED:
            self._cancel_task(task, state_info)
            self._check_completion()
        elif task.state == states.RUNNING:
            self._after_run(task, state, output, state_info)
            self._check_completion()
        return self.plan

    def on_timer(self, kind, task_ex_id):
        """Plan what a due timer of a task means now."""
        task = self.tasks.get(task_ex_id)
        if task is None or task.state in states.COMPLETED:
            return self.plan
        if kind == commands.TASK_TIMEOUT:
            self._time_out(task)
        elif task.state == states.RUNNING_DELAYED:
            self._fire(task, kind)
        self._check_completion()
        return self.plan

    def _fire(self, task, kind):
        """A delay of the task is over: run it, or complete it."""
        if self.wf.state == states.PAUSED:
            # Nothing new starts while paused: the resume fires it.
            task.runtime_context[lifecycle.DUE_ON_RESUME] = kind
            self._change(task, None)
            return
        task.runtime_context.pop(lifecycle.DUE_ON_RESUME, None)
        self._move(task, states.RUN)
        held = task.runtime_context.pop("held_result", None)
        if kind == commands.COMPLETE_TASK and held is not None:
            self._complete_task(task, held["state"], held["result"],
                                held["state_info"])
        else:
            self._dispatch(task)

    # ---- scheduling ----

    def _schedule(self, name, from_task, event=None):
        task_spec = self.spec.tasks[name]
        in_ctx = self._out_context(from_task) if from_task else {}
        if task_spec.join:
            task = self._arrive_at_join(task_spec, from_task, in_ctx)
        else:
            task = self._new_task(name, states.RUNNING, in_ctx)
        if task is not None and event:
            # Which task and clause started it, as Mistral records it.
            task.runtime_context.setdefault("triggered_by", []).append(
                {"task_id": from_task.id, "event": event})
        if task is not None and task.state == states.RUNNING:
            self._start_task(task)

    def _arrive_at_join(self, task_spec, from_task, in_ctx):
        task = self._join_to_arrive_at(task_spec.name)
        if task is None:
            return None     # it ran already: later arrivals do not rerun it
        arrivals = set(task.runtime_context.get("join_arrivals", []))
        arrivals.add(from_task.name if from_task else "")
        task.runtime_context["join_arrivals"] = sorted(arrivals)
        task.in_context = ctx_lib.merge(task.in_context, in_ctx)
        self._change(task, None)
        if len(arrivals) >= self._join_required(task_spec):
            self._move(task, states.RUN, state_info=None)
        return task

    def _join_required(self, task_spec):
        if task_spec.join == "all":
            return len(self.spec.get_inbound_task_names(task_spec.name))
        if task_spec.join == "one":
            return 1
        return int(task_spec.join)

    def _start_task(self, task):
        """A task just became RUNNING: apply wait-before and timeout."""
        task_spec = self.spec.tasks[task.name]
        try:
            ctx, runtime = self._task_context(task), self._runtime(task)
            delay = policies.seconds("wait-before", task_spec.wait_before,
                                     ctx, runtime)
            timeout = policies.seconds("timeout", task_spec.timeout, ctx,
                                       runtime)
            pause = expressions.evaluate(task_spec.pause_before, ctx, runtime)
        except exceptions.ExpressionError as e:
            self._force_fail(task, transitions.run_failure(
                e, self.wf.name, task.name))
            return
        if pause and not task.runtime_context.get(lifecycle.PAUSED_BEFORE):
            # pause-before: the task is held IDLE and the execution pauses;
            # its resume starts the task.
            task.runtime_context[lifecycle.PAUSED_BEFORE] = lifecycle.HELD
            self._move(task, states.HOLD,
                       state_info="Held by pause-before until the execution "
                                  "resumes")
            if self.wf.state == states.RUNNING:
                self._wf_move(states.PAUSE, "Paused before task '%s'"
                              % task.name)
            return
        if timeout:
            self._timer(commands.TASK_TIMEOUT, task, timeout)
        if delay:
            self._move(task, states.DELAY)
            self._timer(commands.RUN_TASK, task, delay)
            return
        self._dispatch(task)

    def _dispatch(self, task):
        """Start the task's work: an action, items, or a sub-workflow."""
        task_spec = self.spec.tasks[task.name]
        ctx, runtime = self._task_context(task), self._runtime(task)
        try:
            if task_spec.with_items is not None:
                self._start_items(task, task_spec, ctx, runtime)
            elif task_spec.workflow:
                self._start_subworkflow(task, task_spec, ctx, runtime)
            else:
                self._run_action(task, task_spec, ctx, runtime)
        except (exceptions.ExpressionError,
                exceptions.FieldSizeLimitExceeded) as e:
            self._force_fail(task, transitions.run_failure(
                e, self.wf.name, task.name))

    def _run_action(self, task, task_spec, ctx, runtime, index=None):
        name = expressions.evaluate(task_spec.action, ctx, runtime)
        action_input = ctx_lib.task_input(task_spec, ctx, runtime)
        safe_rerun = expressions.evaluate(task_spec.safe_rerun, ctx, runtime)
        target = expressions.evaluate(task_spec.target, ctx, runtime)
        gen = 0 if index is None else task.runtime_context.get(
            with_items.GENERATION, 0)
        run = commands.RunAction(
            id=self._new_id(), task_ex_id=task.id, task_name=task.name,
            name=name, input=action_input, safe_rerun=bool(safe_rerun),
            index=index, target=target or None, gen=gen)
        try:
            # Its input is stored with the action execution.
            fieldsize.check(fieldsize.ACTION_INPUT, run.input)
            if self._actions.resolves:
                run = self._resolved(run)
        except catalog.UNCALLABLE as e:
            # The run can not be made (unknown action, input that does
            # not fit or is over the size limit): it counts as failed.
            if task.state in states.ACTIVE:
                self._force_fail(task, transitions.run_failure(
                    str(e), self.wf.name, task.name))
            return
        self.plan.run_actions.append(run)

    def _resolved(self, run):
        """The call of the action that runs (an ad-hoc action's base)."""
        runtime = {"env": self.wf.env,
                   "execution": {"id": self.wf.id, "name": self.wf.name}}
        base_name, base_input, adhoc_id = self._actions.resolve(
            run.name, run.input, runtime)
        return dataclasses.replace(run, base_name=base_name,
                                   base_input=base_input, adhoc_id=adhoc_id)

    def _start_subworkflow(self, task, task_spec, ctx, runtime, index=0):
        wf_input = ctx_lib.task_input(task_spec, ctx, runtime)
        fieldsize.check(fieldsize.SUBWORKFLOW_INPUT, wf_input)
        self.plan.subworkflows.append(commands.StartSubworkflow(
            task_ex_id=task.id, task_name=task.name,
            workflow_name=expressions.evaluate(task_spec.workflow, ctx,
                                               runtime),
            input=wf_input, index=index))

    def _start_items(self, task, task_spec, ctx, runtime):
        items = with_items.expand(task_spec.with_items, ctx, runtime)
        if not items:
            task.runtime_context[with_items.KEY] = with_items.start(0, None)
            self._after_run(task, states.SUCCESS, [], None)
            return
        limit = expressions.evaluate(task_spec.concurrency, ctx, runtime)
        progress = with_items.start(len(items), limit)
        task.runtime_context[with_items.KEY] = progress
        task.runtime_context[with_items.GENERATION] = \
            task.runtime_context.get(with_items.GENERATION, 0) + 1
        self._run_items(task, progress, items)
        self._change(task, None)

    def _run_items(self, task, progress, items=None, indexes=None):
        if indexes is None:
            indexes = with_items.take_next(progress)
        if not indexes:
            return
        task_spec = self.spec.tasks[task.name]
        ctx, runtime = self._task_context(task), self._runtime(task)
        if items is None:
            items = with_items.expand(task_spec.with_items, ctx, runtime)
        start = self._start_subworkflow if task_spec.workflow \
            else self._run_action
        for index in indexes:
            start(task, task_spec, dict(ctx, **items[index]), runtime, index)

    # ---- completion ----

    def _after_run(self, task, state, result, state_info):
        """The task's work ended: retry, fail-on, wait-after, or complete."""
        task_spec = self.spec.tasks[task.name]
        task_data = self._task_data(task, state, result, state_info)
        ctx, runtime = self._task_context(task), self._runtime(task, task_data)
        try:
            if state == states.SUCCESS and policies.fails_on(
                    task_spec.fail_on, ctx, runtime):
                # Decided first: a run fail-on turns into a failure is
                # retried like any other (as in Mistral).
                state = states.ERROR
                state_info = "Task '%s' failed: its fail-on condition " \
                    "holds" % task.name
                task_data = self._task_data(task, state, result, state_info)
                runtime = self._runtime(task, task_data)
            policy = policies.retry_policy(task_spec.retry, ctx, runtime)
            attempts = task.runtime_context.get("retry_no", 0)
            if policy is not None and policies.should_retry(
                    policy, attempts, state == states.SUCCESS,
                    self._with_publish(task, state, ctx, runtime), runtime):
                self._retry(task, attempts + 1, policy.delay)
                return
            delay = policies.seconds("wait-after", task_spec.wait_after, ctx,
                                     runtime)
        except exceptions.ExpressionError as e:
            state, state_info, delay = states.ERROR, str(e), 0
        if delay:
            task.runtime_context["held_result"] = {
                "state": state, "result": result, "state_info": state_info}
            self._move(task, states.DELAY)
            self._timer(commands.COMPLETE_TASK, task, delay)
            return
        self._complete_task(task, state, result, state_info)

    def _with_publish(self, task, state, ctx, runtime):
        """``ctx`` with what this run would publish: retry conditions see
        it (as in Mistral). A publish that fails here is reported when
        the task completes."""
        branch_spec, _ = transitions.publish_spec(self.spec.tasks[task.name],
                                                  state)
        try:
            return ctx_lib.publish(ctx, expressions.evaluate(
                branch_spec, ctx, runtime))
        except exceptions.ExpressionError:
            return ctx

    def _retry(self, task, attempt, delay):
        task.runtime_context["retry_no"] = attempt
        task.runtime_context.pop(with_items.KEY, None)
        if delay or self.wf.state == states.PAUSED:
            self._move(task, states.DELAY)
            self._timer(commands.RUN_TASK, task, delay)
            return
        self._change(task, None)
        self._dispatch(task)

    def _complete_task(self, task, state, result, state_info, event=None):
        branch_spec, global_spec = transitions.publish_spec(
            self.spec.tasks[task.name], state)
        task_data = self._task_data(task, state, result, state_info)
        ctx, runtime = self._task_context(task), self._runtime(task, task_data)
        try:
            published = expressions.evaluate(branch_spec, ctx, runtime)
            shared = expressions.evaluate(global_spec, ctx, runtime)
            fieldsize.check(fieldsize.TASK_PUBLISHED, published)
            if shared:
                fieldsize.check(fieldsize.GLOBAL_PUBLISHED,
                                ctx_lib.merge(self.wf.context, shared))
        except (exceptions.ExpressionError,
                exceptions.FieldSizeLimitExceeded) as e:
            self._force_fail(task, transitions.completion_failure(
                e, self.wf.name, task.name))
            return
        if shared:
            # Global variables: seen by every later task of the execution.
            self.wf.context = ctx_lib.merge(self.wf.context, shared)
            self.plan.context = self.wf.context
        task.published = published
        task.result = result
        if event is None or state == states.ERROR:
            event = states.SUCCEED if state == states.SUCCESS else \
                states.FAIL
        before = task.state
        # The end is recorded once the transitions are known: a condition
        # that fails turns it into a failure.
        self._move(task, event, state_info=state_info, record=False)
        if self.wf.state == states.RUNNING:
            self._follow_transitions(task, task_data, (before, event))
        else:
            self._change(task, event, before)

    def _follow_requires(self, task):
        """Reverse workflows: start what now has all its requirements."""
        task.processed = True
        self._change(task, None)
        if task.state != states.SUCCESS:
            return
        everything = self.tasks.all()
        done = [t for t in everything if t.state == states.SUCCESS]
        succeeded = {t.name for t in done}
        started = {t.name for t in everything}
        for name in reverse.ready_after(
                self.spec, self.wf.params["task_name"], task.name,
                succeeded, started):
            required = self.spec.tasks[name].requires
            in_ctx = {}
            for before in done:
                if before.name in required:
                    in_ctx = ctx_lib.merge(in_ctx, self._out_context(before))
            self._start_task(self._new_task(name, states.RUNNING, in_ctx))

    def _follow_transitions(self, task, task_data, ended=None):
        """Start what the task's transitions choose.

        :param ended: ``(state before, event)`` of the task's end when it
            is not recorded yet (it ended in this call).
        """
        if self._is_reverse():
            self._record_end(task, ended)
            self._follow_requires(task)
            return
        clauses = transitions.clauses(self.spec.tasks[task.name], task.state)
        ctx = ctx_lib.publish(self._task_context(task), task.published)
        runtime = self._runtime(task, task_data)
        try:
            chosen = transitions.chosen(clauses, ctx, runtime)
        except exceptions.ExpressionError as e:
            self._fail_on_transitions(task, ended, str(e))
            return
        self._record_end(task, ended)
        if task.state == states.ERROR:
            task.runtime_context["error_handled"] = transitions.handles_error(
                self.spec.tasks[task.name], chosen)
        task.processed = True
        self._change(task, None)
        for index, target in enumerate(chosen):
            if self.wf.state != states.RUNNING:
                self._hold_after_pause(task, chosen[index:])
                break
            if target.is_engine_command:
                self._engine_command(task, target, ctx, runtime)
            else:
                self._schedule(target.name, task, transitions.clause_name(
                    self.spec.tasks[task.name], task.state, target))

    def _record_end(self, task, ended):
        if ended is not None:
            self._change(task, ended[1], ended[0])

    def _fail_on_transitions(self, task, ended, message):
        """A transition condition failed: the task counts as failed. Its
        end, if not recorded yet, is recorded as a failure."""
        event = ended[1] if ended else None
        before = ended[0] if ended else task.state
        if task.state == states.SUCCESS:
            event = states.FAIL
            task.state = states.transition("task", before, event)
        task.state_info = message
        task.processed = True
        task.runtime_context["error_handled"] = False
        self._change(task, event, before)
