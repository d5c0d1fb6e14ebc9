"""The workflow conductor: pure decisions for direct workflows.

Given a snapshot of one workflow execution (its spec, context and task
executions) and one event (start, an action result), it returns a
``commands.Plan``. It reads no database, clock, configuration or network;
the engine service loads the snapshot and applies the plan.
"""
import dataclasses
import uuid

from wfengine import exceptions
from wfengine import expressions
from wfengine.engine import commands
from wfengine.engine import states


@dataclasses.dataclass
class TaskView:
    """What the conductor knows of one task execution."""

    id: str
    name: str
    state: str
    state_info: str | None = None
    in_context: dict = dataclasses.field(default_factory=dict)
    published: dict = dataclasses.field(default_factory=dict)
    runtime_context: dict = dataclasses.field(default_factory=dict)
    processed: bool = False


@dataclasses.dataclass
class WorkflowView:
    """What the conductor knows of the workflow execution."""

    id: str
    name: str
    state: str
    spec: object
    context: dict
    env: dict
    input: dict
    params: dict = dataclasses.field(default_factory=dict)
    created_at: str | None = None


def new_id():
    return str(uuid.uuid4())


def prepare_input(wf_spec, given):
    """Check the given input against the spec and apply defaults.

    :raises InputError: a required input is missing or an unknown one given,
        naming them all.
    """
    given = dict(given or {})
    declared = {p.name for p in wf_spec.input}
    unknown = sorted(set(given) - declared)
    missing = [p.name for p in wf_spec.input
               if not p.has_default and p.name not in given]
    problems = []
    if missing:
        problems.append("missing required input: %s" % ", ".join(missing))
    if unknown:
        problems.append("unexpected input: %s (declared: %s)"
                        % (", ".join(unknown), ", ".join(sorted(declared))
                           or "none"))
    if problems:
        raise exceptions.InputError(
            "Invalid input for workflow '%s': %s"
            % (wf_spec.name, "; ".join(problems)))
    result = {}
    for param in wf_spec.input:
        value = given[param.name] if param.name in given else param.default
        result[param.name] = expressions.evaluate(value, result) \
            if param.name not in given else value
    return result


def initial_context(wf_spec, wf_input, runtime):
    """The workflow's context at start: its input plus evaluated vars."""
    ctx = dict(wf_input)
    try:
        ctx.update(expressions.evaluate(wf_spec.vars or {}, ctx, runtime))
    except exceptions.ExpressionError as e:
        raise exceptions.InputError(
            "Can not evaluate 'vars' of workflow '%s': %s"
            % (wf_spec.name, e)) from e
    return ctx


class Conductor:
    """Decides what follows an event in one direct workflow execution."""

    def __init__(self, wf, tasks, id_factory=new_id):
        self.wf = wf
        self.spec = wf.spec
        self.tasks = {t.id: t for t in tasks}
        self.plan = commands.Plan()
        self._new_id = id_factory

    # ---- entry points ----

    def start(self):
        """Plan the start tasks of a new execution."""
        for name in self.spec.get_start_task_names():
            self._schedule(name, None)
        self._check_completion()
        return self.plan

    def on_action_complete(self, task_ex_id, state, result, state_info=None):
        """Plan what follows the completion of the task's action."""
        task = self.tasks[task_ex_id]
        if task.state != states.RUNNING:
            return self.plan
        self._complete_task(task, state, result, state_info)
        self._check_completion()
        return self.plan

    # ---- scheduling ----

    def _schedule(self, name, from_task):
        task_spec = self.spec.tasks[name]
        in_ctx = self._out_context(from_task) if from_task else {}
        if task_spec.join:
            self._arrive_at_join(task_spec, from_task, in_ctx)
            return
        task = self._new_task(name, states.RUNNING, in_ctx)
        self._run(task)

    def _arrive_at_join(self, task_spec, from_task, in_ctx):
        task = next((t for t in self.tasks.values()
                     if t.name == task_spec.name
                     and t.state == states.WAITING), None)
        if task is None:
            task = self._new_task(task_spec.name, states.WAITING, {})
        arrivals = set(task.runtime_context.get("join_arrivals", []))
        arrivals.add(from_task.name if from_task else "")
        task.runtime_context["join_arrivals"] = sorted(arrivals)
        task.in_context = _merge(task.in_context, in_ctx)
        self._change(task, None, runtime_context=task.runtime_context,
                     in_context=task.in_context)
        if len(arrivals) >= self._join_required(task_spec):
            self._move(task, states.RUN)
            self._run(task)

    def _join_required(self, task_spec):
        if task_spec.join == "all":
            return len(self.spec.get_inbound_task_names(task_spec.name))
        if task_spec.join == "one":
            return 1
        return int(task_spec.join)

    def _run(self, task):
        task_spec = self.spec.tasks[task.name]
        if task_spec.workflow:
            self._complete_task(task, states.ERROR, None,
                                "Sub-workflow tasks are not supported yet "
                                "[task=%s]" % task.name)
            return
        ctx = self._task_context(task)
        runtime = self._runtime(task)
        try:
            action_name = expressions.evaluate(task_spec.action, ctx, runtime)
            action_input = expressions.evaluate(task_spec.input or {}, ctx,
                                                runtime)
        except exceptions.ExpressionError as e:
            self._complete_task(task, states.ERROR, None, str(e))
            return
        self.plan.run_actions.append(commands.RunAction(
            id=self._new_id(), task_ex_id=task.id, task_name=task.name,
            name=action_name, input=action_input,
            safe_rerun=bool(task_spec.safe_rerun)))

    # ---- completion ----

    def _complete_task(self, task, state, result, state_info):
        task_spec = self.spec.tasks[task.name]
        publish_spec = (task_spec.publish if state == states.SUCCESS
                        else task_spec.publish_on_error)
        task_data = self._task_data(task, state, result, state_info)
        try:
            published = expressions.evaluate(
                publish_spec or {}, self._task_context(task),
                self._runtime(task, task_data))
        except exceptions.ExpressionError as e:
            state, published = states.ERROR, {}
            state_info = "Failed to publish [task=%s]: %s" % (task.name, e)
        task.published = published
        event = states.SUCCEED if state == states.SUCCESS else states.FAIL
        self._move(task, event, state_info=state_info, published=published)
        if self.wf.state == states.RUNNING:
            self._follow_transitions(task, task_data)

    def _follow_transitions(self, task, task_data):
        task_spec = self.spec.tasks[task.name]
        clauses = (task_spec.on_success if task.state == states.SUCCESS
                   else task_spec.on_error) or []
        clauses = list(clauses) + list(task_spec.on_complete or [])
        ctx = _merge(self._task_context(task), task.published)
        runtime = self._runtime(task, task_data)
        try:
            chosen = [t for t in clauses
                      if _condition_holds(t.condition, ctx, runtime)]
        except exceptions.ExpressionError as e:
            self._fail_task_after_the_fact(task, str(e))
            return
        if task.state == states.ERROR:
            task.runtime_context["error_handled"] = bool(chosen)
        self._change(task, None, processed=True,
                     runtime_context=task.runtime_context)
        task.processed = True
        for transition in chosen:
            if self.plan.workflow_change:
                break
            if transition.is_engine_command:
                self._engine_command(task, transition, ctx, runtime)
            else:
                self._schedule(transition.name, task)

    def _fail_task_after_the_fact(self, task, message):
        """A transition condition failed: the task counts as failed.

        The task was RUNNING when this plan began, so the net change the
        service writes is RUNNING -> ERROR through the ``fail`` event.
        """
        task.state = states.ERROR
        task.state_info = message
        task.processed = True
        task.runtime_context["error_handled"] = False
        self._change(task, states.FAIL, state_info=message, processed=True,
                     runtime_context=task.runtime_context)

    def _engine_command(self, task, transition, ctx, runtime):
        params = expressions.evaluate(transition.params or {}, ctx, runtime)
        msg = params.get("msg") if isinstance(params, dict) else None
        if transition.name == "fail":
            self._finish(states.FAIL, msg or "Workflow failed by 'fail' "
                         "command of task '%s'" % task.name)
        elif transition.name == "succeed":
            self._finish(states.SUCCEED, msg)
        elif transition.name == "pause":
            self.plan.workflow_change = commands.WorkflowChange(
                states.PAUSE, msg)

    def _check_completion(self):
        if self.plan.workflow_change or self.wf.state != states.RUNNING:
            return
        active = [t for t in self.tasks.values() if t.state in states.ACTIVE]
        if any(t.state != states.WAITING for t in active):
            return
        for task in active:
            self._move(task, states.FAIL, state_info=(
                "Join of task '%s' can not be satisfied: arrived %s"
                % (task.name, task.runtime_context.get("join_arrivals"))))
        failed = [t for t in self.tasks.values() if t.state == states.ERROR
                  and not t.runtime_context.get("error_handled")]
        if failed:
            self._finish(states.FAIL, _failure_info(failed))
        else:
            self._finish(states.SUCCEED, None)

    def _finish(self, event, state_info):
        ctx = self._final_context()
        out_spec = (self.spec.output if event == states.SUCCEED
                    else self.spec.output_on_error)
        try:
            output = (expressions.evaluate(out_spec, ctx, self._runtime())
                      if out_spec else self._default_output(ctx, event))
        except exceptions.ExpressionError as e:
            event, output = states.FAIL, {}
            state_info = "Failed to evaluate workflow output: %s" % e
        if event == states.FAIL and isinstance(output, dict):
            output.setdefault("result", state_info)
        self.plan.workflow_change = commands.WorkflowChange(
            event, state_info, output)

    def _default_output(self, ctx, event):
        published = {}
        for task in self._completed_in_order():
            published.update(task.published or {})
        return published if event == states.SUCCEED else {}

    # ---- contexts ----

    def _task_context(self, task):
        return _merge(self.wf.context, task.in_context)

    def _out_context(self, task):
        return _merge(task.in_context, task.published or {})

    def _final_context(self):
        ctx = dict(self.wf.context)
        for task in self._completed_in_order():
            ctx = _merge(ctx, self._out_context(task))
        return ctx

    def _completed_in_order(self):
        return [t for t in self.tasks.values() if t.state in states.COMPLETED]

    def _runtime(self, task=None, task_data=None):
        runtime = {
            "env": self.wf.env,
            "execution": {"id": self.wf.id, "name": self.wf.name,
                          "input": self.wf.input, "params": self.wf.params,
                          "created_at": self.wf.created_at},
            "tasks": {t.name: self._task_data(t, t.state, None, t.state_info)
                      for t in self.tasks.values()},
        }
        if task is not None:
            runtime["task"] = task_data or self._task_data(
                task, task.state, None, task.state_info)
        return runtime

    def _task_data(self, task, state, result, state_info):
        return {"id": task.id, "name": task.name, "state": state,
                "state_info": state_info, "result": result,
                "published": task.published or {}}

    # ---- bookkeeping ----

    def _new_task(self, name, state, in_ctx):
        task_spec = self.spec.tasks[name]
        task = TaskView(id=self._new_id(), name=name, state=state,
                        in_context=dict(in_ctx))
        self.tasks[task.id] = task
        self.plan.new_tasks.append(commands.NewTask(
            id=task.id, name=name, state=state, type=task_spec.type,
            in_context=task.in_context, runtime_context=task.runtime_context))
        return task

    def _move(self, task, event, **values):
        task.state = states.transition("task", task.state, event)
        if "state_info" in values:
            task.state_info = values["state_info"]
        self._change(task, event, **values)

    def _change(self, task, event, **values):
        self.plan.task_changes.append(
            commands.TaskChange(task_ex_id=task.id, event=event, **values))


def _condition_holds(condition, ctx, runtime):
    if condition is None:
        return True
    return bool(expressions.evaluate(condition, ctx, runtime))


def _merge(left, right):
    """Recursive merge: keys of ``right`` win, nested dicts merge."""
    result = dict(left or {})
    for key, value in (right or {}).items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merge(result[key], value)
        else:
            result[key] = value
    return result


def _failure_info(failed):
    lines = ["Failure caused by error in tasks: %s"
             % ", ".join(t.name for t in failed), ""]
    for task in failed:
        lines.append("  %s [task_ex_id=%s] -> %s"
                     % (task.name, task.id, task.state_info))
    return "\n".join(lines)
