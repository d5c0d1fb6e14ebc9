"""Operator requests on a running or failed execution. Pure.

Pause, resume, cancel and stop an execution; re-run, skip and mark its
failed tasks; resume a failed execution once its failed tasks are marked
(``spec/extensions.md`` section 1). A mixin of ``conductor.Conductor``:
these entry points use its scheduling and completion steps.

Every refusal raises ``InputError`` naming the object, its state and what
is allowed, so the API answers 400 and nothing changes.
"""
from wfengine import exceptions
from wfengine.core.engine import commands
from wfengine.core.engine import context as ctx_lib
from wfengine.core.engine import states
from wfengine.core.engine import with_items

REPLAY = "replay"
# A delay that ended while the execution was paused: fired on resume.
DUE_ON_RESUME = "due_on_resume"
# pause-before: a task held IDLE before it started, pausing its execution,
# then passed on when the execution resumes.
PAUSED_BEFORE = "paused_before"
HELD, PASSED = "held", "passed"
# Tasks named after a pause command in a transition list: started on resume.
AFTER_PAUSE = "after_pause"
# States in which an execution's env may be changed (as in Mistral).
ENV_UPDATABLE = (states.IDLE, states.PAUSED, states.ERROR)
# The ids of a task's actions paused by request (``PUT
# /v2/action_executions/<id>`` with state PAUSED): the task stays PAUSED
# while one is, whatever its execution does.
PAUSED_ACTIONS = "paused_actions"


class Lifecycle:
    """Entry points for operator requests (mixed into the conductor)."""

    # True while a resume follows the transitions of tasks that ended
    # during the pause: a pause command among them is not applied again.
    _resuming = False

    # ---- the execution ----

    def pause(self, state_info=None):
        """Pause: running actions finish, nothing new starts.

        Pausing a PAUSED execution changes nothing (as in Mistral).
        """
        if self.wf.state == states.PAUSED:
            return self.plan
        self._require_wf((states.RUNNING,), "pause")
        self._wf_move(states.PAUSE, state_info)
        for task in self._ordered():
            # A task waiting on a sub-workflow pauses with it (Mistral
            # shows it PAUSED); tasks running an action finish.
            if task.state == states.RUNNING and \
                    self.spec.tasks[task.name].workflow:
                self._move(task, states.PAUSE)
        return self.plan

    def resume(self, env=None):
        """Resume a paused execution, or a failed one whose tasks are marked.

        Completed tasks whose transitions were not followed yet (they ended
        while paused, or were marked SUCCESS by hand) have them followed;
        tasks marked for replay run again.
        """
        if self.wf.state == states.RUNNING and not env:
            return self.plan    # already running: nothing to do (Mistral)
        if self.wf.state in (states.SUCCESS, states.CANCELLED):
            return self.plan    # ended: Mistral answers and changes nothing
        self._require_wf((states.PAUSED, states.ERROR), "resume")
        held = [t for t in self._ordered() if t.state == states.IDLE
                and t.runtime_context.get(PAUSED_BEFORE) == HELD]
        replays = [t for t in self._ordered()
                   if t.state == states.IDLE and t not in held]
        pending = [t for t in self._ordered()
                   if t.state in states.COMPLETED and not t.processed]
        if self.wf.state == states.ERROR and not (replays or pending):
            raise exceptions.InputError(
                "Nothing to resume in workflow execution %s: mark a failed "
                "task IDLE or SUCCESS first" % self.wf.id)
        self._update_env(env)
        self._wf_move(states.RESUME)
        for task in self._ordered():
            if task.state == states.PAUSED and \
                    not task.runtime_context.get(PAUSED_ACTIONS):
                self._move(task, states.RESUME)
        for task in self._ordered():
            due = task.runtime_context.get(DUE_ON_RESUME)
            if due and task.state == states.RUNNING_DELAYED:
                self._fire(task, due)
        for task in held:
            task.runtime_context[PAUSED_BEFORE] = PASSED
            self._move(task, states.RUN, state_info=None)
            self._start_task(task)
        for task in replays:
            self._replay(task)
        self._start_after_pause()
        self._resuming = True
        for task in pending:
            if self.wf.state == states.RUNNING:
                self._follow_transitions(task, self._task_data(
                    task, task.state, None, task.state_info))
        self._resuming = False
        self._check_completion()
        return self.plan

    def _start_after_pause(self):
        for task in self._ordered():
            names = task.runtime_context.pop(AFTER_PAUSE, None)
            if names:
                self._change(task, None)
                for name in names:
                    self._schedule(name, task)

    def cancel(self, state_info=None):
        """Cancel the execution: nothing new starts, and what waits is
        cancelled. As in Mistral, a task whose action is running lets it
        finish and ends with its result (its transitions are not
        followed)."""
        if self.wf.state in states.COMPLETED:
            return self.plan    # ended: Mistral answers and changes nothing
        self._require_wf((states.RUNNING, states.PAUSED, states.IDLE),
                         "cancel")
        self._end_active_tasks(
            states.CANCEL, state_info or "Workflow execution cancelled",
            spare=self._running_an_action)
        # Mistral's output of a cancelled execution: the message as result.
        self._wf_move(states.CANCEL, state_info, {"result": state_info})
        return self.plan

    def stop(self, state, state_info=None):
        """End the execution by hand in SUCCESS or ERROR."""
        event = states.SUCCEED if state == states.SUCCESS else states.FAIL
        if self.wf.state in states.COMPLETED and (
                state == states.ERROR or self.wf.state == state):
            # Mistral: failing an ended execution, or setting the state it
            # ended in, is answered and changes nothing.
            return self.plan
        # As Mistral: a PAUSED execution may be failed, not succeeded
        # (resume it first).
        self._require_wf((states.RUNNING, states.PAUSED) if event ==
                         states.FAIL else (states.RUNNING,), "set to " + state)
        self._end_active_tasks(states.CANCEL, "Workflow execution set to %s "
                               "by request" % state)
        self._wf_move(event, state_info,
                      self._final_output(event, state_info))
        return self.plan

    def update_env(self, env):
        """Change the env of an IDLE, PAUSED or failed execution."""
        if self.wf.state not in ENV_UPDATABLE:
            # Mistral's refusal (403) and wording, then our detail.
            raise exceptions.Forbidden(
                "Updating env to workflow execution is only permitted if it "
                "is in IDLE, PAUSED, or ERROR state (workflow execution %s "
                "is %s; a RUNNING one can be paused first, or given the env "
                "with its resume)" % (self.wf.id, self.wf.state))
        self._update_env(env)
        return self.plan

    # ---- the actions of its tasks ----

    def on_action_paused(self, task_ex_id, action_ex_id):
        """An asynchronous action was paused by request: as in Mistral,
        its task shows PAUSED and its execution pauses."""
        task = self.tasks.get(task_ex_id)
        if task is None or task.state not in (states.RUNNING,
                                              states.PAUSED):
            return self.plan
        paused = task.runtime_context.setdefault(PAUSED_ACTIONS, [])
        if action_ex_id not in paused:
            paused.append(action_ex_id)
        if task.state == states.RUNNING:
            self._move(task, states.PAUSE)
        else:
            self._change(task, None)
        if self.wf.state == states.RUNNING:
            self.pause()
        return self.plan

    def on_action_resumed(self, task_ex_id, action_ex_id):
        """A paused action runs again by request: its task runs again once
        none of its actions is paused, and so does the execution once none
        of its tasks is (as in Mistral)."""
        task = self.tasks.get(task_ex_id)
        if task is None:
            return self.plan
        self._unpause_action(task, action_ex_id)
        if self.wf.state == states.PAUSED and not any(
                t.state == states.PAUSED for t in self._ordered()):
            self.resume()
        return self.plan

    def _unpause_action(self, task, action_ex_id):
        """Forget that the action is paused; the task runs again if none
        of its actions is paused any more. True if it was paused."""
        paused = task.runtime_context.get(PAUSED_ACTIONS) or []
        if action_ex_id not in paused:
            return False
        paused.remove(action_ex_id)
        if not paused:
            task.runtime_context.pop(PAUSED_ACTIONS)
        if not paused and task.state == states.PAUSED:
            self._move(task, states.RESUME)
        else:
            self._change(task, None)
        return True

    # ---- its tasks ----

    def rerun(self, task_ex_id, reset=True, env=None, failed_items=()):
        """Run a failed task again (Mistral's ``PUT /v2/tasks`` RUNNING).

        On a paused execution the task is marked for replay and runs when
        the execution resumes.

        :param failed_items: for ``reset=False``, indexes of the failed
            items of a with-items task: only those run again.
        """
        task = self._failed_task(task_ex_id, "re-run")
        progress = task.runtime_context.get(with_items.KEY)
        if not reset and progress is None:
            raise exceptions.OnlyWith(
                field="reset=false", condition="with-items tasks",
                got="task '%s' without with-items" % task.name)
        self._require_wf((states.ERROR, states.RUNNING, states.PAUSED),
                         "re-run a task of")
        self._update_env(env)
        self._reopen(task)
        if self.wf.state == states.PAUSED:
            task.runtime_context[REPLAY] = {"reset": reset,
                                            "items": list(failed_items)}
            self._move(task, states.RESET)
            return self.plan
        if self.wf.state == states.ERROR:
            self._wf_move(states.RERUN)
        self._move(task, states.RERUN, state_info=None)
        self._restart(task, reset, failed_items)
        self._check_completion()
        return self.plan

    def skip(self, task_ex_id):
        """Skip a failed task: follow ``on-skip`` (else ``on-success``)."""
        task = self._failed_task(task_ex_id, "skip")
        self._require_wf((states.ERROR, states.RUNNING, states.PAUSED),
                         "skip a task of")
        # The skipped task keeps the error it had (as in Mistral).
        state_info = task.state_info
        self._reopen(task)
        if self.wf.state == states.ERROR:
            self._wf_move(states.RESUME)
        self._complete_task(task, states.SKIPPED, None, state_info,
                            event=states.SKIP)
        self._check_completion()
        return self.plan

    def mark(self, task_ex_id, state, published=None, state_info=None):
        """Mark a failed task for replay (IDLE) or as fixed (SUCCESS).

        Nothing starts: the marks take effect when the execution resumes.
        """
        task = self._failed_task(task_ex_id, "mark")
        self._require_wf((states.ERROR, states.PAUSED), "mark a task of")
        self._reopen(task)
        if state == states.IDLE:
            task.runtime_context[REPLAY] = {"reset": True, "items": []}
            self._move(task, states.RESET, state_info=state_info)
            return self.plan
        task.published = dict(published or {})
        self._move(task, states.MARK_DONE,
                   state_info=state_info or "Marked SUCCESS by hand")
        return self.plan

    def reopen_for_child(self, task_ex_id):
        """A failed sub-workflow of this task runs again: wait for it.

        The task goes back to RUNNING without starting anything (its
        sub-workflow execution is already running again), and so does this
        execution if it had failed.
        """
        task = self.tasks.get(task_ex_id)
        if task is None or task.state != states.ERROR:
            return self.plan
        self._reopen(task)
        if self.wf.state == states.ERROR:
            self._wf_move(states.RERUN)
        self._move(task, states.RERUN)
        return self.plan

    # ---- helpers ----

    def _require_wf(self, allowed, what):
        if self.wf.state not in allowed:
            raise exceptions.WrongState(
                what=what, kind="workflow execution", id=self.wf.id,
                state=self.wf.state, allowed=", ".join(allowed))

    def _failed_task(self, task_ex_id, what):
        task = self.tasks[task_ex_id]
        if task.state != states.ERROR:
            raise exceptions.WrongState(
                what=what, kind="task execution",
                id="%s ('%s')" % (task.id, task.name), state=task.state,
                allowed=states.ERROR)
        return task

    def _reopen(self, task):
        """Forget how the failed run ended: it is to be decided again."""
        task.processed = False
        task.state_info = None
        for key in ("error_handled", "retry_no", "held_result"):
            task.runtime_context.pop(key, None)

    def _replay(self, task):
        replay = task.runtime_context.pop(REPLAY, None) or {"reset": True}
        self._move(task, states.RERUN)
        self._restart(task, replay.get("reset", True),
                      replay.get("items") or ())

    def _restart(self, task, reset, failed_items):
        progress = task.runtime_context.get(with_items.KEY)
        if reset or progress is None:
            task.runtime_context.pop(with_items.KEY, None)
            self._start_task(task)
            return
        indexes = with_items.reopen(progress, failed_items)
        self._run_items(task, progress, indexes=indexes)
        self._change(task, None)

    def _update_env(self, env):
        if not env:
            return
        if not isinstance(env, dict):
            raise exceptions.InvalidField(field="env", expected="an object",
                                          kind=type(env).__name__)
        params = dict(self.wf.params or {})
        params["env"] = ctx_lib.merge(params.get("env") or {}, env)
        self.wf.params = params
        self.wf.env = params["env"]
        self.plan.params = params

    def _running_an_action(self, task):
        task_spec = self.spec.tasks[task.name]
        if task.runtime_context.get(PAUSED_ACTIONS):
            return True     # its paused action is left as it is (Mistral)
        return task.state == states.RUNNING and not task_spec.workflow \
            and task_spec.with_items is None

    def _end_active_tasks(self, event, message, spare=lambda task: False):
        for task in self._ordered():
            if spare(task):
                continue
            if task.state in states.ACTIVE or task.state == states.PAUSED:
                self.plan.aborts.append(commands.AbortActions(
                    task.id, message, event=event))
                self._move(task, event, state_info=message)

    def _final_output(self, event, state_info=None):
        output = self._default_output(event)
        if event == states.FAIL:
            # As any failure's output in Mistral: the message as result.
            output.setdefault("result", state_info)
        return output

    def _ordered(self):
        return self.tasks.all()
