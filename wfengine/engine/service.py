"""The engine service: one unit of work per message.

Each method loads what the conductor needs under the execution's lock,
lets the conductor decide, writes the plan and its outbox rows in the same
transaction, and hands the outbox rows to the sender after commit. Nothing
inside a transaction performs I/O other than the database.
"""
import functools
import logging
import types
import uuid

from wfengine import crashpoints
from wfengine import exceptions
from wfengine import logcontext
from wfengine import metrics
from wfengine.db import api as db_api
from wfengine.db import definitions
from wfengine.db import models
from wfengine.db import scope as db_scope
from wfengine.db import session as db_session
from wfengine.db import snapshots as db_snapshots
from wfengine.db import statements
from wfengine.db import tickets
from wfengine.db import unit as db_unit
from wfengine.engine import adhoc
from wfengine.engine import combine
from wfengine.core.engine import conductor
from wfengine.core.engine import context as ctx_lib
from wfengine.engine import events
from wfengine.engine import outbox_rows
from wfengine.engine import persist
from wfengine.core.engine import ports
from wfengine.core.engine import reverse
from wfengine.engine import service_actions
from wfengine.engine import service_local
from wfengine.engine import snapshot
from wfengine.core.engine import states
from wfengine.core.engine import with_items
from wfengine.core.lang import spec as lang_spec
from wfengine.rpc import endpoints as rpc_endpoints

LOG = logging.getLogger(__name__)
# Most starts that share one unit of work.
START_BATCH = 32


class EngineService(service_actions.ActionsMixin,
                    service_local.LocalRowsMixin):
    """The engine's operations; ``rpc.endpoints.EngineEndpoint`` delegates
    here. Starts and operator requests are here; claims, results and
    recovery in ``service_actions``; rows the engine sends itself in
    ``service_local``."""

    def __init__(self, outbox, record_all_events=False, claim_ttl=0.0):
        """:param record_all_events: write every event, subscribed or not
            (broadcast publishers take them all).
        :param claim_ttl: seconds an executor's claim call may wait in
            the broker before it expires (its ``report_timeout``): how
            long a claim given back never run is held in the result inbox
            while its call may still land (``_return_unstarted``); 0:
            never held."""
        self._outbox = outbox
        self._resend_after = outbox.resend_after
        self._record_all = record_all_events
        self._claim_ttl = claim_ttl
        self._starts = combine.Combiner(
            functools.partial(self._run, self._start_many),
            self._start_alone, _may_be_one_starts, START_BATCH)

    def _run(self, fn, *args):
        """One unit of work, then send what it staged."""
        return self._run_keeping(0, fn, *args)[0]

    def _run_keeping(self, keep, fn, *args):
        """``_run``, keeping up to ``keep`` of the actions it staged
        unsent: ``(result, [messages.RunAction, ...])`` (``Outbox.flush``).
        """
        result, rows = db_unit.run(_crash_before_commit, fn, *args,
                                   record_all_events=self._record_all)
        crashpoints.hit("engine-after-commit")
        return result, self._outbox.flush(rows, keep)

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
        :raises StartRefused: the API refused ``msg.ticket`` first.

        Starts that wait at the same time share one unit of work
        (``combine``); if one of them is refused, each runs again alone.
        """
        return self._starts(msg)

    def _start_alone(self, msg):
        try:
            return self._run(self._start, msg)
        except exceptions.DBDuplicateEntry:
            if msg.wf_ex_id is None:
                raise
            # Another engine took a copy of this start between our look
            # for the execution and our insert: now the look finds it.
            return self._run(self._start, msg)

    def _start_many(self, unit, msgs):
        """Several starts in one unit of work; what they all look up is
        looked up once (``_Lookups``)."""
        lookups = _Lookups(unit, msgs)
        answers, rows = [], []
        for msg in msgs:
            answer, staged = self._start(unit, msg, lookups)
            answers.append(answer)
            rows += staged
        return answers, rows

    def _start(self, unit, msg, lookups=None):
        lookups = lookups or _Lookups(unit, [msg])
        wf_def = lookups.workflow(msg)
        if msg.wf_ex_id is not None and lookups.started_before(
                msg.wf_ex_id, wf_def):
            return {"id": msg.wf_ex_id}, []
        if msg.ticket is not None and not tickets.take(
                unit.session, msg.ticket, msg.wf_ex_id, models.utcnow()):
            # The API stopped waiting and answered 503: this start must
            # never run (its client may send it again, under a new ticket).
            LOG.warning("Start of workflow execution %s dropped: the API "
                        "refused it after no engine answered in time",
                        msg.wf_ex_id)
            raise exceptions.StartRefused(id=msg.wf_ex_id)
        params = dict(msg.params or {})
        if isinstance(params.get("env"), str):
            params["env"] = _named_env(unit, params["env"], msg.project_id)
        params = ctx_lib.start_params(params, msg.wf_input,
                                      msg.wf_namespace)
        wf_ex, rows = self._create_and_start(
            unit, wf_def, msg.wf_input, params, msg.description,
            wf_ex_id=msg.wf_ex_id, owner=(msg.project_id, msg.user_id))
        lookups.created(wf_ex.id, wf_def)
        return {"id": wf_ex.id}, rows

    def fire_cron_trigger(self, trigger_id, due, nxt, remaining, msg):
        """Claim one due time of a cron trigger and start its workflow.

        Claim and start share one unit of work: of several engines exactly
        one fires a due time, and an engine that dies halfway loses
        nothing. A start the workflow refuses (unknown workflow, bad
        input) only moves the schedule on.

        :returns: ``(won, started)``: whether this engine won the due
            time, and ``{"id": ...}`` of the execution it started (None if
            it lost the due time or the start was refused).
        """
        try:
            started = self._run(self._fire_cron, trigger_id, due, nxt,
                                remaining, msg)
            return started is not None, started
        except (exceptions.InputError, exceptions.NotFound) as e:
            LOG.warning("Cron trigger %s could not start workflow %s: %s",
                        trigger_id, msg.wf_identifier, e)
            return self.skip_cron_trigger(trigger_id, due, nxt,
                                          remaining), None

    @staticmethod
    def skip_cron_trigger(trigger_id, due, nxt, remaining):
        """Move a cron trigger past a due time without starting anything;
        True if this engine won the due time."""
        return db_session.unit_of_work(definitions.claim_cron_trigger,
                                       trigger_id, due, nxt, remaining)

    def _fire_cron(self, unit, trigger_id, due, nxt, remaining, msg):
        if not definitions.claim_cron_trigger(unit.session, trigger_id, due,
                                              nxt, remaining):
            return None, []
        return self._start(unit, msg)

    def _create_and_start(self, unit, wf_def, wf_input, params,
                          description="", parent=None, wf_ex_id=None,
                          owner=(None, None)):
        """``owner``: the execution's (project, user); a None project: the
        workflow definition's."""
        spec = snapshot.definition_spec(unit, wf_def)
        # Everything that can refuse the start does so before a row is
        # written (a sub-workflow's refusal is handled inside its parent's
        # unit of work, which must not keep half an execution).
        wf_input = ctx_lib.prepare_input(spec, wf_input)
        if spec.type == lang_spec.REVERSE:
            reverse.check_target(spec, params)
        wf_ex = self._create_execution(unit, wf_def, spec, wf_input,
                                       params, description, parent,
                                       wf_ex_id or str(uuid.uuid4()),
                                       (owner[0] or wf_def.project_id,
                                        owner[1]))
        snapshot.remember_spec(wf_ex.id, spec)
        cond = _conductor(unit, wf_ex, snapshot.workflow_view(unit, wf_ex),
                          [])
        return wf_ex, self._apply(unit, wf_ex,
                                  cond.decide(conductor.Conductor.start))

    @logcontext.binding(execution_id="wf_ex_id")
    def _create_execution(self, unit, wf_def, spec, wf_input, params,
                          description, parent, wf_ex_id, owner):
        # A sub-workflow reads its root execution's env (``parent``).
        env = parent["env"] if parent else params.get("env") or {}
        runtime = {"env": env,
                   "execution": {"id": wf_ex_id, "name": spec.name,
                                 "input": wf_input, "params": params}}
        context = ctx_lib.initial_context(spec, wf_input, runtime)
        parent_task_id, root_id = None, None
        # Created and started at once: Mistral's answer to a start shows
        # both times.
        now = models.utcnow()
        if parent is not None:
            parent_task_id = parent["task_ex_id"]
            root_id = parent["root_execution_id"]
        values = dict(
            id=wf_ex_id, name=spec.name, workflow_id=wf_def.id,
            workflow_namespace=wf_def.namespace,
            description=description or "", spec=spec.to_dict(),
            state=states.RUNNING, state_info=None, tags=list(spec.tags),
            input=wf_input, params=params, context=context, output={},
            project_id=owner[0], user_id=owner[1],
            task_execution_id=parent_task_id,
            root_execution_id=root_id, created_at=now, updated_at=now)
        # A Core insert, written now (its tasks refer to it); the row is
        # then read as what was written, not as an ORM object.
        statements.insert(unit.session, models.WorkflowExecution, **values)
        wf_ex = types.SimpleNamespace(**values)
        LOG.info("Workflow execution %s of %s created in state %s",
                 wf_ex.id, spec.name, wf_ex.state)
        events.emit_workflow(unit, wf_ex, states.START, wf_ex.state, None)
        metrics.execution_started(unit, spec.name)
        return wf_ex

    @logcontext.binding(execution_id="wf_ex.id")
    def _advance(self, unit, wf_ex, decide, data=None, known_tasks=()):
        """Load the snapshot, let ``decide(conductor)`` plan, write it.

        :param data: the execution's ``(context, input)`` if already read.
        :param known_tasks: ``(row, with_data)`` of its tasks read already.
        """
        tasks = snapshot.DbTaskSet(unit, wf_ex.id, known_tasks)
        cond = _conductor(unit, wf_ex,
                          snapshot.workflow_view(unit, wf_ex, data), tasks)
        return self._apply(unit, wf_ex, cond.decide(decide))

    def _apply(self, unit, wf_ex, decision):
        """Write the decision; returns its outbox rows."""
        rows = persist.apply_plan(unit, wf_ex, decision, self._resend_after)
        return rows + outbox_rows.stage_cascade(unit, wf_ex, decision,
                                                self._resend_after)

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

    def _update_execution(self, unit, msg):
        wf_ex = unit.lock_execution(msg.wf_ex_id)
        if msg.description is not None:
            db_api.update_description(unit.session, wf_ex.id, msg.description)
        if msg.state is None and msg.env is None:
            return {"id": wf_ex.id}, []
        rows = self._advance(
            unit, wf_ex, lambda cond: service_local.execution_request(
                cond, msg.state, msg.state_info, msg.env))
        return {"id": wf_ex.id}, rows

    def delete_execution(self, msg):
        """Delete an execution and everything of it, outbox rows included.

        :param msg: ``messages.DeleteExecution``.
        :raises NotFound: no such execution.
        :raises Conflict: not finished, and not forced.
        """
        return db_unit.run(self._delete, msg)

    @staticmethod
    def _delete(unit, msg):
        wf_ex = unit.lock_execution(msg.wf_ex_id)
        allowed = None if msg.force else states.COMPLETED
        db_api.delete_workflow_execution(unit.session, wf_ex, allowed)
        LOG.info("Workflow execution %s deleted (it was %s)", wf_ex.id,
                 wf_ex.state)
        return {"id": wf_ex.id}

    def delete_action_execution(self, msg):
        """Delete a finished action execution.

        :param msg: ``messages.DeleteActionExecution``.
        :raises NotFound: no such action execution.
        :raises Conflict: it is still RUNNING.
        """
        return db_unit.run(self._delete_action, msg)

    @staticmethod
    def _delete_action(unit, msg):
        db_api.delete_action_execution(unit.session, msg.action_ex_id)
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

    def _update_task(self, unit, msg):
        task_ex = db_snapshots.get_task_execution_for_engine(unit.session,
                                                       msg.task_ex_id)
        if task_ex is None:
            raise exceptions.NotFound(kind="Task execution",
                                      id=msg.task_ex_id)
        wf_ex = unit.lock_execution(
                                               task_ex.workflow_execution_id)

        def decide(cond):
            task = cond.tasks.get(task_ex.id)
            if msg.state == states.RUNNING:
                failed = () if msg.reset else \
                    db_snapshots.get_failed_item_indexes(
                        unit.session, task.id,
                        task.runtime_context.get(with_items.GENERATION, 0))
                return cond.rerun(task.id, msg.reset, msg.env, failed)
            if msg.state == states.SKIPPED:
                return cond.skip(task.id)
            return cond.mark(task.id, msg.state, msg.published,
                             msg.state_info)
        return {"id": task_ex.id}, self._advance(unit, wf_ex, decide)


def _ports(unit):
    """What a conductor may read through this unit: other executions and
    their tasks (``executions()``, ``tasks(id, recursive)``)."""
    return ports.Ports(
        find_executions=functools.partial(db_api.find_executions,
                                          unit.session),
        find_tasks=functools.partial(db_api.find_tasks, unit.session))


def _conductor(unit, wf_ex, view, tasks):
    """The conductor of ``wf_ex``, with the definitions of the actions its
    workflow may call: ad-hoc actions as the execution's project sees
    them (its own, shared ones, built-in ones)."""
    return conductor.Conductor(
        view, tasks, ports=_ports(unit),
        actions=adhoc.for_execution(unit, wf_ex, view.spec))


def _crash_before_commit(unit, fn, *args):
    """``fn(unit, *args)``, then the test-only crash point before the
    unit commits."""
    done = fn(unit, *args)
    crashpoints.hit("engine-before-commit")
    return done


def _may_be_one_starts(error):
    """Whether a batch of starts that failed with ``error`` should run
    again one by one: yes, unless the database itself failed (every start
    of the batch would meet it again)."""
    return not db_session.is_transient(error)


class _Lookups:
    """What the starts of one unit of work look up once for all: the
    workflows they name, and which of the executions they name exist
    (read in one statement before the first start, then added to as the
    unit creates them, so an id named twice is one execution)."""

    def __init__(self, unit, msgs):
        self._unit = unit
        self._workflows = {}
        self._existing = db_api.workflow_ids_of_executions(
            unit.session, [m.wf_ex_id for m in msgs if m.wf_ex_id])

    def workflow(self, msg):
        """The workflow ``msg`` starts.

        :raises InputError: no such workflow.
        """
        key = (msg.wf_identifier, msg.wf_namespace, msg.project_id)
        if key not in self._workflows:
            try:
                self._workflows[key] = snapshot.find_workflow(self._unit,
                                                              *key)
            except exceptions.NotFound as e:
                raise exceptions.InputError(str(e)) from e
        return self._workflows[key]

    def started_before(self, wf_ex_id, wf_def):
        """True if execution ``wf_ex_id`` exists (a start sent again).

        :raises Conflict: it exists and runs another workflow than
            ``wf_def``.
        """
        workflow_id = self._existing.get(wf_ex_id)
        if workflow_id is None:
            return False
        if workflow_id != wf_def.id:
            raise exceptions.ExistsOtherwise(
                kind="Workflow execution", id=wf_ex_id,
                differs="runs another workflow than %s [workflow_id=%s]"
                % (wf_def.name, workflow_id))
        return True

    def created(self, wf_ex_id, wf_def):
        self._existing[wf_ex_id] = wf_def.id


def _named_env(unit, name, project_id=None):
    """The variables of environment ``name`` (``"params": {"env": name}``)
    that the project ``project_id`` sees."""
    try:
        with db_scope.of_project(project_id):
            row = definitions.get_environment_by_name(unit.session, name)
        return dict(row.variables or {})
    except exceptions.NotFound as e:
        raise exceptions.InvalidValue(
            field="params.env (environment %s)" % name,
            expected="an environment this project can see") from e


# The RPC endpoint (generated from ``rpc.table``), where cmd/services.py
# has always found it.
EngineEndpoint = rpc_endpoints.EngineEndpoint
