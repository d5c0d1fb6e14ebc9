"""The engine service: one unit of work per message.

Each method loads what the conductor needs under the execution's lock,
lets the conductor decide, writes the plan and its outbox rows in the same
transaction, and hands the outbox rows to the sender after commit. Nothing
inside a transaction performs I/O other than the database.
"""
import collections
import functools
import logging
import types
import uuid

import oslo_messaging as messaging

from wfengine import crashpoints
from wfengine import exceptions
from wfengine.db import api as db_api
from wfengine.db import definitions
from wfengine.db import models
from wfengine.db import session as db_session
from wfengine.engine import adhoc
from wfengine.engine import calls
from wfengine.engine import conductor
from wfengine.engine import context as ctx_lib
from wfengine.engine import events
from wfengine.engine import persist
from wfengine.engine import reverse
from wfengine.engine import states
from wfengine.engine import with_items
from wfengine.lang import spec as lang_spec
from wfengine.rpc import messages

LOG = logging.getLogger(__name__)

_RESULT_STATES = {states.SUCCESS, states.ERROR, states.CANCELLED}
# Why an executor let go of an action it ran (``recover_orphan``).
HEARTBEATS_STOPPED = "stopped sending heartbeats"
HANDED_BACK = "was stopped and its grace period ended"


class EngineService:
    """The engine's operations; the RPC endpoint below delegates here."""

    def __init__(self, outbox, record_all_events=False):
        """:param record_all_events: write every event, subscribed or not
            (broadcast publishers take them all)."""
        self._outbox = outbox
        self._resend_after = outbox.resend_after
        self._record_all = record_all_events

    def _run(self, fn, *args):
        """One unit of work, then send what it staged."""
        result, rows = db_session.unit_of_work(self._in_unit, fn, *args)
        crashpoints.hit("engine-after-commit")
        self._outbox.flush(rows)
        return result

    def _in_unit(self, session, fn, *args):
        session.info[events.RECORD_ALL] = self._record_all
        done = fn(session, *args)
        crashpoints.hit("engine-before-commit")
        return done

    # ---- starting executions ----

    def start_workflow(self, msg):
        """Create a workflow execution and start its first tasks.

        A start naming an execution (``msg.wf_ex_id``) that exists
        already is the same start sent again: it answers with that
        execution and starts nothing.

        :param msg: ``messages.StartWorkflow``.
        :returns: ``{"id": <execution id>}`` once committed.
        :raises InputError: unknown workflow, or input that does not fit.
        :raises Conflict: the execution named exists and runs another
            workflow.
        """
        try:
            return self._run(self._start, msg)
        except exceptions.DBDuplicateEntry:
            if msg.wf_ex_id is None:
                raise
            # Another engine took a copy of this start between our look
            # for the execution and our insert: now the look finds it.
            return self._run(self._start, msg)

    def _start(self, session, msg):
        try:
            wf_def = db_api.find_workflow_definition(
                session, msg.wf_identifier, msg.wf_namespace)
        except exceptions.NotFound as e:
            raise exceptions.InputError(str(e)) from e
        if msg.wf_ex_id is not None and _started_before(
                session, msg.wf_ex_id, wf_def):
            return {"id": msg.wf_ex_id}, []
        params = dict(msg.params or {})
        if isinstance(params.get("env"), str):
            params["env"] = _named_env(session, params["env"])
        wf_ex, rows = self._create_and_start(
            session, wf_def, msg.wf_input, params, msg.description,
            wf_ex_id=msg.wf_ex_id)
        return {"id": wf_ex.id}, rows

    def fire_cron_trigger(self, trigger_id, due, nxt, remaining, msg):
        """Claim one due time of a cron trigger and start its workflow.

        Claim and start share one unit of work: of several engines exactly
        one fires a due time, and an engine that dies halfway loses
        nothing. A start the workflow refuses (unknown workflow, bad
        input) only moves the schedule on.

        :returns: ``{"id": ...}`` of the execution, or None if this engine
            did not win the due time or the start was refused.
        """
        try:
            return self._run(self._fire_cron, trigger_id, due, nxt,
                             remaining, msg)
        except (exceptions.InputError, exceptions.NotFound) as e:
            LOG.warning("Cron trigger %s could not start workflow %s: %s",
                        trigger_id, msg.wf_identifier, e)
            db_session.unit_of_work(definitions.claim_cron_trigger,
                                    trigger_id, due, nxt, remaining)
            return None

    def _fire_cron(self, session, trigger_id, due, nxt, remaining, msg):
        if not definitions.claim_cron_trigger(session, trigger_id, due, nxt,
                                              remaining):
            return None, []
        return self._start(session, msg)

    def _create_and_start(self, session, wf_def, wf_input, params,
                          description="", parent=None, wf_ex_id=None):
        spec = persist.definition_spec(session, wf_def)
        # Everything that can refuse the start does so before a row is
        # written (a sub-workflow's refusal is handled inside its parent's
        # unit of work, which must not keep half an execution).
        wf_input = ctx_lib.prepare_input(spec, wf_input)
        if spec.type == lang_spec.REVERSE:
            reverse.check_target(spec, params)
        wf_ex = self._create_execution(session, wf_def, spec, wf_input,
                                       params, description, parent,
                                       wf_ex_id or str(uuid.uuid4()))
        persist.remember_spec(wf_ex.id, spec)
        cond = _with_finders(conductor.Conductor(
            persist.workflow_view(session, wf_ex), []), session)
        return wf_ex, self._apply(session, wf_ex, cond, {}, cond.start())

    def _create_execution(self, session, wf_def, spec, wf_input, params,
                          description, parent, wf_ex_id):
        runtime = {"env": params.get("env") or {},
                   "execution": {"id": wf_ex_id, "name": spec.name,
                                 "input": wf_input, "params": params}}
        context = ctx_lib.initial_context(spec, wf_input, runtime)
        parent_task_id, root_id = None, None
        if parent is not None:
            parent_task_id = parent["task_ex_id"]
            root_id = parent["root_execution_id"]
        values = dict(
            id=wf_ex_id, name=spec.name, workflow_id=wf_def.id,
            workflow_namespace=wf_def.namespace,
            description=description or "", spec=spec.to_dict(),
            state=states.RUNNING, state_info=None, tags=None,
            input=wf_input, params=params, context=context, output={},
            project_id=wf_def.project_id, task_execution_id=parent_task_id,
            root_execution_id=root_id, created_at=models.utcnow(),
            updated_at=None)
        # A Core insert, written now (its tasks refer to it); the row is
        # then read as what was written, not as an ORM object.
        db_api.insert(session, models.WorkflowExecution, **values)
        wf_ex = types.SimpleNamespace(**values)
        LOG.info("Workflow execution %s of %s created in state %s",
                 wf_ex.id, spec.name, wf_ex.state)
        events.emit_workflow(session, wf_ex, states.START, wf_ex.state, None)
        return wf_ex

    # ---- actions ----

    def claim_action(self, msg):
        """Let one executor take an action execution; True if it may run.

        :param msg: ``messages.ClaimAction``.
        """
        return self.claim_actions([msg])[0]

    def claim_actions(self, msgs):
        """``claim_action`` for several claims in one unit of work;
        returns a bool for each, in order."""
        return db_session.unit_of_work(self._claim_all, msgs)

    @staticmethod
    def _claim_all(session, msgs):
        # An executor claims its batch under one token: one statement.
        by_token = collections.defaultdict(list)
        for msg in msgs:
            by_token[msg.claim, msg.is_sync, msg.executor].append(
                msg.action_ex_id)
        held = set()
        for (claim, is_sync, executor), ids in by_token.items():
            held.update((claim, action_ex_id) for action_ex_id in
                        db_api.claim_action_executions(
                            session, ids, claim, is_sync, executor))
        answers, granted = [], set()
        for msg in msgs:
            # The same doorbell twice in one batch runs the action once.
            ok = ((msg.claim, msg.action_ex_id) in held
                  and msg.action_ex_id not in granted)
            if ok:
                granted.add(msg.action_ex_id)
            answers.append(ok)
        db_api.outbox_ack(session, persist.RUN_ACTION, granted)
        return answers

    def run_action(self, msg):
        """Run an action outside any workflow.

        :param msg: ``messages.StartAction``.
        :returns: ``{"id": <action execution id>}`` once committed.
        :raises ActionError: no such action.
        :raises InputError, ExpressionError: the input does not fit.
        """
        return self._run(self._run_action, msg)

    def _run_action(self, session, msg):
        base, base_input, adhoc_id = adhoc.resolve(
            session, msg.name, msg.input, msg.namespace, {"env": {}})
        action_ex = persist.stage_standalone_action(
            session, msg, base, base_input, adhoc_id)
        return {"id": action_ex.id}, [persist.stage_run(
            session, action_ex, self._outbox.send_at())]

    def on_action_complete(self, msg):
        """Take an action's result and move the workflow on.

        :param msg: ``messages.ActionResult``.
        :returns: True if this result won; False for a duplicate or late one.
        :raises NotFound: no such action execution.
        :raises InputError: a state that is not a result state.
        """
        if msg.state not in _RESULT_STATES:
            raise exceptions.InputError(
                "Invalid action result state %s (allowed: %s)"
                % (msg.state, ", ".join(sorted(_RESULT_STATES))))
        return self._run(self._complete_all, [msg])[0]

    def on_actions_complete(self, msgs):
        """Take several results in one unit of work (one commit, one
        round of messages); returns a bool for each, in order.

        If one of them can not be taken (say, its execution was deleted),
        each is taken alone, so that the others are not held back.
        """
        for msg in msgs:
            if msg.state not in _RESULT_STATES or msg.from_api:
                raise exceptions.InputError(
                    "Only executors' results can be reported together")
        try:
            return self._run(self._complete_all, msgs)
        except exceptions.WFEngineException as e:
            LOG.info("A batch of %d results is taken one by one: %s",
                     len(msgs), e)
        return [self._complete_alone(msg) for msg in msgs]

    def _complete_alone(self, msg):
        try:
            return self.on_action_complete(msg)
        except exceptions.WFEngineException as e:
            LOG.warning("Result of action execution %s not taken: %s",
                        msg.action_ex_id, e)
            return False

    def _complete_all(self, session, msgs):
        """Take results: a compare-and-set on each action, then one
        decision per workflow execution for all of its results (one
        snapshot, one plan, each task written once however many of its
        actions ended). Returns ``([won, ...], outbox rows)``."""
        action_exes = db_api.get_action_executions_for_engine(
            session, [m.action_ex_id for m in msgs])
        for msg in msgs:
            if msg.action_ex_id not in action_exes:
                raise exceptions.NotFound(
                    "Action execution not found [id=%s]" % msg.action_ex_id)
        wf_ex_ids = {a.workflow_execution_id for a in action_exes.values()
                     if a.workflow_execution_id}
        wf_exes = db_api.lock_workflow_executions(session, wf_ex_ids)
        if len(wf_exes) < len(wf_ex_ids):
            raise exceptions.NotFound("Workflow execution not found [id=%s]"
                                      % ", ".join(wf_ex_ids - set(wf_exes)))
        outcomes = self._take_results(session, msgs, action_exes, wf_exes)
        won, taken = [], collections.defaultdict(list)
        for msg, outcome in zip(msgs, outcomes):
            action_ex = action_exes[msg.action_ex_id]
            won.append(outcome is not None)
            if outcome is not None and action_ex.workflow_execution_id:
                taken[action_ex.workflow_execution_id].append(
                    (action_ex, outcome))
        # A task's end evaluates expressions over the execution's context;
        # an item's end mostly does not (read if it does).
        data = db_api.get_executions_data(session, [
            wf_ex_id for wf_ex_id, results in taken.items()
            if any(not _is_item(a) for a, _ in results)]) if taken else {}
        tasks = _result_tasks(session, taken)
        rows = []
        for wf_ex_id, results in taken.items():
            rows += self._advance(
                session, wf_exes[wf_ex_id],
                functools.partial(_decide_results, session, results),
                data.get(wf_ex_id), tasks[wf_ex_id])
        return won, rows

    @staticmethod
    def _take_results(session, msgs, action_exes, wf_exes):
        """Compare-and-set each message's action from RUNNING to its
        result, all in one statement; returns for each message
        ``(state, result, state_info)`` if its result won, else None (a
        duplicate, in this batch or before it, or a late result).

        :raises Conflict: a completion through the API that lost.
        """
        # action id -> (index of its first message, outcome, output kept)
        proposed = {}
        for index, msg in enumerate(msgs):
            action_ex = action_exes[msg.action_ex_id]
            if msg.from_api:
                calls.check_completable(action_ex)
            if action_ex.state != states.RUNNING or action_ex.id in proposed:
                continue
            outcome = calls.outcome(session, action_ex, msg)
            wf_ex = wf_exes.get(action_ex.workflow_execution_id)
            proposed[action_ex.id] = (index, outcome, {"result": calls.kept(
                session, wf_ex, action_ex, outcome[1])})
        won = db_api.complete_action_executions(session, {
            action_ex_id: (state, state_info, output)
            for action_ex_id, (_, (state, _, state_info), output)
            in proposed.items()})
        results = []
        for index, msg in enumerate(msgs):
            first, outcome, _ = proposed.get(msg.action_ex_id,
                                             (None, None, None))
            if first != index or msg.action_ex_id not in won:
                if msg.from_api:
                    raise exceptions.Conflict(
                        "Action execution %s was completed by someone else "
                        "just now" % msg.action_ex_id)
                results.append(None)
                continue
            LOG.debug("Action execution %s moved from RUNNING to %s",
                      msg.action_ex_id, outcome[0])
            results.append(outcome)
        # Completed before any executor claimed them (a claim acks).
        db_api.outbox_ack(session, persist.RUN_ACTION, [
            i for i in won if action_exes[i].claimed_by is None])
        return results

    def _advance(self, session, wf_ex, decide, data=None, known_tasks=()):
        """Load the snapshot, let ``decide(conductor)`` plan, write it.

        :param data: the execution's ``(context, input)`` if already read.
        :param known_tasks: ``(row, with_data)`` of its tasks read already.
        """
        tasks = persist.DbTaskSet(session, wf_ex.id, known_tasks)
        cond = _with_finders(conductor.Conductor(
            persist.workflow_view(session, wf_ex, data), tasks), session)
        plan = decide(cond)
        return self._apply(session, wf_ex, cond, tasks.originals, plan)

    def _apply(self, session, wf_ex, cond, originals, plan):
        """Resolve the plan's actions, write it; returns its outbox rows."""
        calls.resolve_plan(session, wf_ex, cond, plan)
        rows = persist.apply_plan(session, wf_ex, cond, originals, plan,
                                  self._resend_after)
        return rows + persist.stage_cascade(session, wf_ex, plan,
                                            self._resend_after)

    def recover_orphan(self, action_ex_id, claim, executor,
                       why=HEARTBEATS_STOPPED):
        """An action's executor stopped beating: run it again or fail it.

        ``safe-rerun: true`` hands it to another executor; otherwise it
        fails, saying why (at most once means not again). The claim must
        still be the one seen, so only one checker acts on it.
        """
        return self._run(self._recover, action_ex_id, claim, executor, why)

    def _recover(self, session, action_ex_id, claim, executor, why):
        action_ex = db_api.get_action_execution_for_engine(session,
                                                           action_ex_id)
        if action_ex is None or action_ex.state != states.RUNNING or \
                action_ex.claimed_by != claim:
            return False, []
        if (action_ex.params or {}).get("safe_rerun"):
            if not db_api.release_claim(session, action_ex_id, claim):
                return False, []
            LOG.warning("Executor %s %s running action execution %s; "
                        "safe-rerun: sending it to another executor",
                        executor, why, action_ex_id)
            # The row read above leaves the input out; the send needs it.
            run = db_api.get_action_run_inputs(session, [action_ex_id])
            return True, [persist.stage_run(
                session, _with_input(action_ex, run[action_ex_id].input),
                self._outbox.send_at())]
        message = ("Executor %s %s while running action %s; safe-rerun is "
                   "off, so it is not run again"
                   % (executor, why, action_ex.name))
        LOG.warning("Action execution %s: %s", action_ex_id, message)
        won, rows = self._complete_all(session, [messages.ActionResult(
            action_ex_id=action_ex_id, state=states.ERROR, result=message,
            state_info=message)])
        return won[0], rows

    # ---- operator requests ----

    def update_execution(self, msg):
        """Pause, resume, cancel or stop an execution; change env or
        description.

        :param msg: ``messages.UpdateExecution``.
        :returns: ``{"id": ...}`` once committed.
        :raises NotFound: no such execution.
        :raises InputError: the request does not fit its state.
        """
        return self._run(self._update_execution, msg)

    def _update_execution(self, session, msg):
        wf_ex = db_api.lock_workflow_execution(session, msg.wf_ex_id)
        if msg.description is not None:
            db_api.update_description(session, wf_ex.id, msg.description)
        if msg.state is None and msg.env is None:
            return {"id": wf_ex.id}, []
        rows = self._advance(session, wf_ex, lambda cond: _execution_request(
            cond, msg.state, msg.state_info, msg.env))
        return {"id": wf_ex.id}, rows

    def delete_execution(self, msg):
        """Delete an execution and everything of it, outbox rows included.

        :param msg: ``messages.DeleteExecution``.
        :raises NotFound: no such execution.
        :raises Conflict: not finished, and not forced.
        """
        return db_session.unit_of_work(self._delete, msg)

    @staticmethod
    def _delete(session, msg):
        wf_ex = db_api.lock_workflow_execution(session, msg.wf_ex_id)
        allowed = None if msg.force else states.COMPLETED
        db_api.delete_workflow_execution(session, wf_ex, allowed)
        LOG.info("Workflow execution %s deleted (it was %s)", wf_ex.id,
                 wf_ex.state)
        return {"id": wf_ex.id}

    def delete_action_execution(self, msg):
        """Delete a finished action execution.

        :param msg: ``messages.DeleteActionExecution``.
        :raises NotFound: no such action execution.
        :raises Conflict: it is still RUNNING.
        """
        return db_session.unit_of_work(self._delete_action, msg)

    @staticmethod
    def _delete_action(session, msg):
        db_api.delete_action_execution(session, msg.action_ex_id)
        LOG.info("Action execution %s deleted", msg.action_ex_id)
        return {"id": msg.action_ex_id}

    def update_task(self, msg):
        """Re-run, skip or mark a failed task.

        :param msg: ``messages.UpdateTask``.
        :returns: ``{"id": <task execution id>}`` once committed.
        :raises NotFound: no such task execution.
        :raises InputError: the request does not fit the task's state.
        """
        return self._run(self._update_task, msg)

    def _update_task(self, session, msg):
        task_ex = db_api.get_task_execution_for_engine(session,
                                                       msg.task_ex_id)
        if task_ex is None:
            raise exceptions.NotFound(
                "Task execution not found [id=%s]" % msg.task_ex_id)
        wf_ex = db_api.lock_workflow_execution(session,
                                               task_ex.workflow_execution_id)

        def decide(cond):
            task = cond.tasks.get(task_ex.id)
            if msg.state == states.RUNNING:
                failed = () if msg.reset else db_api.get_failed_item_indexes(
                    session, task.id,
                    task.runtime_context.get(with_items.GENERATION, 0))
                return cond.rerun(task.id, msg.reset, msg.env, failed)
            if msg.state == states.SKIPPED:
                return cond.skip(task.id)
            return cond.mark(task.id, msg.state, msg.published,
                             msg.state_info)
        return {"id": task_ex.id}, self._advance(session, wf_ex, decide)

    # ---- rows addressed to the engine itself ----

    def handle_local(self, row_id, kind, payload):
        """Process an engine-bound outbox row (timer, sub-workflow), once.

        The row is deleted in the same unit of work as its effect, so a row
        handled by two engines (the in-memory timer and a sweeper) takes
        effect once.
        """
        handler = {persist.TIMER: self._on_timer,
                   persist.START_SUBWORKFLOW: self._on_start_subworkflow,
                   persist.SUBWORKFLOW_DONE: self._on_subworkflow_done,
                   persist.WORKFLOW_COMMAND: self._on_workflow_command,
                   persist.PARENT_RERUN: self._on_parent_rerun}[kind]
        return self._run(self._take_and_handle, row_id, handler, payload)

    @staticmethod
    def _take_and_handle(session, row_id, handler, payload):
        if not db_api.outbox_take(session, row_id):
            return False, []
        try:
            return True, handler(session, payload)
        except exceptions.NotFound as e:
            # What the row was about is gone (a deleted execution).
            LOG.info("Dropped an engine message about something deleted: "
                     "%s", e)
            return True, []

    def _on_timer(self, session, payload):
        wf_ex = db_api.lock_workflow_execution(session, payload["wf_ex_id"])
        return self._advance(session, wf_ex, lambda cond: cond.on_timer(
            payload["kind"], payload["task_ex_id"]))

    def _on_start_subworkflow(self, session, payload):
        parent = db_api.lock_workflow_execution(session, payload["wf_ex_id"])
        task_ex = db_api.get_task_execution_for_engine(
            session, payload["task_ex_id"])
        if task_ex is None or task_ex.state != states.RUNNING:
            return []
        try:
            # _create_and_start refuses before it writes anything.
            wf_def = db_api.find_workflow_definition(
                session, payload["workflow_name"], parent.workflow_namespace)
            _, rows = self._create_and_start(
                session, wf_def, payload["input"],
                {"env": payload.get("env") or {}}, "",
                {"task_ex_id": task_ex.id,
                 "root_execution_id": parent.root_execution_id or parent.id})
            return rows
        except (exceptions.NotFound, exceptions.InputError) as e:
            message = "Can not start sub-workflow: %s" % e
            return self._advance(
                session, parent, lambda cond: cond.on_subworkflow_complete(
                    task_ex.id, states.ERROR, None, message))

    def _on_subworkflow_done(self, session, payload):
        task_ex = db_api.get_task_execution_for_engine(
            session, payload["task_ex_id"])
        if task_ex is None:
            return []
        parent = db_api.lock_workflow_execution(
            session, task_ex.workflow_execution_id)
        return self._advance(
            session, parent, lambda cond: cond.on_subworkflow_complete(
                task_ex.id, payload["state"], payload["output"],
                payload["state_info"]))


    def _on_workflow_command(self, session, payload):
        wf_ex = db_api.lock_workflow_execution(session, payload["wf_ex_id"])
        if wf_ex.state in states.COMPLETED:
            return []
        command = {states.PAUSE: states.PAUSED, states.RESUME: states.RUNNING,
                   states.CANCEL: states.CANCELLED}[payload["command"]]
        try:
            return self._advance(session, wf_ex, lambda cond:
                                 _execution_request(cond, command))
        except exceptions.InputError as e:
            # The child moved on by itself (say, it was already paused).
            LOG.debug("Skipped %s of execution %s: %s", payload["command"],
                      wf_ex.id, e)
            return []

    def _on_parent_rerun(self, session, payload):
        task_ex = db_api.get_task_execution_for_engine(
            session, payload["task_ex_id"])
        if task_ex is None:
            return []
        parent = db_api.lock_workflow_execution(
            session, task_ex.workflow_execution_id)
        return self._advance(session, parent, lambda cond:
                             cond.reopen_for_child(task_ex.id))


def _with_input(action_ex, action_input):
    """A read-only action execution row as an object with ``input``."""
    return types.SimpleNamespace(input=action_input, **action_ex._asdict())


def _is_item(action_ex):
    return "index" in (action_ex.params or {})


def _result_tasks(session, taken):
    """``{wf_ex_id: [(row, with_data), ...]}``: the tasks results are for,
    of every execution, in a read or two: with their data, but for the
    items of a with-items task (see ``_decide_results``)."""
    wanted = collections.defaultdict(set)
    for results in taken.values():
        for action_ex, _ in results:
            wanted[not _is_item(action_ex)].add(action_ex.task_execution_id)
    known = collections.defaultdict(list)
    for with_data, ids in wanted.items():
        for row in db_api.get_tasks_for_engine(session, ids,
                                               with_data).values():
            known[row.workflow_execution_id].append((row, with_data))
    return known


def _decide_results(session, results, cond):
    """Let the conductor take ``[(action_ex, (state, result, state_info))]``
    of one execution, in the order they came."""
    for action_ex, (state, result, state_info) in results:
        task_id = action_ex.task_execution_id
        # Read already (_result_tasks): with its data, but for an item of
        # a with-items task (its data is read once, when the last ends).
        task = cond.tasks.get(task_id, with_data=not _is_item(action_ex))
        items = calls.item_results(session, task, state == states.SUCCESS)
        cond.on_action_complete(task_id, state, result, state_info, items)
    return cond.plan


def _with_finders(cond, session):
    """Let expressions read other executions and their tasks (executions(),
    tasks(id, recursive)) through this unit of work's session."""
    cond.find_executions = functools.partial(db_api.find_executions,
                                             session)
    cond.find_tasks = functools.partial(db_api.find_tasks, session)
    return cond


def _started_before(session, wf_ex_id, wf_def):
    """True if execution ``wf_ex_id`` exists (a start sent again).

    :raises Conflict: it exists and runs another workflow than ``wf_def``.
    """
    workflow_id = db_api.get_execution_workflow_id(session, wf_ex_id)
    if workflow_id is None:
        return False
    if workflow_id != wf_def.id:
        raise exceptions.Conflict(
            "Workflow execution %s exists already and runs another "
            "workflow than %s [workflow_id=%s]"
            % (wf_ex_id, wf_def.name, workflow_id))
    return True


def _named_env(session, name):
    """The variables of environment ``name`` (``"params": {"env": name}``)."""
    try:
        return dict(definitions.get_environment_by_name(session,
                                                        name).variables or {})
    except exceptions.NotFound as e:
        raise exceptions.InputError(
            "Environment %r given in params.env does not exist" % name) from e


def _execution_request(cond, state, state_info=None, env=None):
    """Call the conductor entry point an execution update asks for."""
    if state is None:
        return cond.update_env(env)
    if state == states.PAUSED:
        return cond.pause(state_info)
    if state == states.RUNNING:
        return cond.resume(env)
    if state == states.CANCELLED:
        return cond.cancel(state_info)
    return cond.stop(state, state_info)


class EngineEndpoint:
    """RPC endpoint: turns wire dicts into messages and calls the service."""

    target = messaging.Target(version=messages.RPC_VERSION)

    def __init__(self, service):
        self._service = service

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def start_workflow(self, ctxt, msg):
        return self._service.start_workflow(
            messages.StartWorkflow.from_dict(msg))

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def update_execution(self, ctxt, msg):
        return self._service.update_execution(
            messages.UpdateExecution.from_dict(msg))

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def run_action(self, ctxt, msg):
        return self._service.run_action(messages.StartAction.from_dict(msg))

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def delete_action_execution(self, ctxt, msg):
        return self._service.delete_action_execution(
            messages.DeleteActionExecution.from_dict(msg))

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def delete_execution(self, ctxt, msg):
        return self._service.delete_execution(
            messages.DeleteExecution.from_dict(msg))

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def update_task(self, ctxt, msg):
        return self._service.update_task(messages.UpdateTask.from_dict(msg))

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def claim_action(self, ctxt, msg):
        return self._service.claim_action(messages.ClaimAction.from_dict(msg))

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def on_action_complete(self, ctxt, msg):
        return self._service.on_action_complete(
            messages.ActionResult.from_dict(msg))

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def claim_actions(self, ctxt, msgs):
        return self._service.claim_actions(
            [messages.ClaimAction.from_dict(m) for m in msgs])

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def hand_back_actions(self, ctxt, msgs):
        return [self._service.recover_orphan(m["action_ex_id"], m["claim"],
                                             m["executor"], HANDED_BACK)
                for m in msgs]

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def on_actions_complete(self, ctxt, msgs):
        return self._service.on_actions_complete(
            [messages.ActionResult.from_dict(m) for m in msgs])
