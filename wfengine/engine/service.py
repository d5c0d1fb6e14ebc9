"""The engine service: one unit of work per RPC message.

Each method loads what the conductor needs under the execution's lock,
lets the conductor decide, writes the plan and its outbox rows in the same
transaction, and sends the outbox rows after commit. Nothing inside a
transaction performs I/O other than the database.
"""
import logging
import uuid

import oslo_messaging as messaging

from wfengine import exceptions
from wfengine.db import api as db_api
from wfengine.db import models
from wfengine.db import session as db_session
from wfengine.engine import conductor
from wfengine.engine import events
from wfengine.engine import persist
from wfengine.engine import states
from wfengine.lang import spec as lang_spec
from wfengine.rpc import messages

LOG = logging.getLogger(__name__)

_RESULT_STATES = {states.SUCCESS: states.SUCCEED, states.ERROR: states.FAIL,
                  states.CANCELLED: states.CANCEL}


class EngineService:
    """The engine's operations; the RPC endpoint below delegates here."""

    def __init__(self, outbox):
        self._outbox = outbox

    def start_workflow(self, msg):
        """Create a workflow execution and start its first tasks.

        :param msg: ``messages.StartWorkflow``.
        :returns: ``{"id": <execution id>}`` once committed.
        :raises InputError: unknown workflow, or input that does not fit.
        """
        wf_ex_id, rows = db_session.unit_of_work(self._start, msg)
        self._outbox.flush(rows)
        return {"id": wf_ex_id}

    def _start(self, session, msg):
        try:
            wf_def = db_api.find_workflow_definition(
                session, msg.wf_identifier, msg.wf_namespace)
        except exceptions.NotFound as e:
            raise exceptions.InputError(str(e)) from e
        spec = lang_spec.WorkflowSpec.from_dict(wf_def.spec)
        wf_input = conductor.prepare_input(spec, msg.wf_input)
        wf_ex = self._create_execution(session, wf_def, spec, wf_input, msg)
        cond = conductor.Conductor(persist.workflow_view(wf_ex, spec), [])
        plan = cond.start()
        return wf_ex.id, persist.apply_plan(session, wf_ex, cond, {}, plan,
                                            self._outbox.send_at())

    def _create_execution(self, session, wf_def, spec, wf_input, msg):
        params = dict(msg.params or {})
        wf_ex_id = str(uuid.uuid4())
        runtime = {"env": params.get("env") or {},
                   "execution": {"id": wf_ex_id, "name": spec.name,
                                 "input": wf_input, "params": params}}
        context = conductor.initial_context(spec, wf_input, runtime)
        wf_ex = db_api.add(session, models.WorkflowExecution(
            id=wf_ex_id, name=spec.name, workflow_id=wf_def.id,
            workflow_namespace=wf_def.namespace,
            description=msg.description or "", spec=spec.to_dict(),
            state=states.RUNNING, input=wf_input, params=params,
            context=context, output={}, project_id=wf_def.project_id,
            created_at=models.utcnow()))
        db_api.flush(session)
        LOG.info("Workflow execution %s of %s created in state %s",
                 wf_ex.id, spec.name, wf_ex.state)
        events.emit_workflow(session, wf_ex, states.START, wf_ex.state, None)
        return wf_ex

    def claim_action(self, msg):
        """Let one executor take an action execution; True if it may run.

        :param msg: ``messages.ClaimAction``.
        """
        return db_session.unit_of_work(self._claim, msg)

    @staticmethod
    def _claim(session, msg):
        won = db_api.claim_action_execution(session, msg.action_ex_id,
                                            msg.claim)
        if won:
            db_api.outbox_ack(session, "run_action", msg.action_ex_id)
        return won

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
        won, rows = db_session.unit_of_work(self._complete, msg)
        self._outbox.flush(rows)
        return won

    def _complete(self, session, msg):
        action_ex = db_api.get_action_execution_for_engine(
            session, msg.action_ex_id)
        if action_ex is None:
            raise exceptions.NotFound(
                "Action execution not found [id=%s]" % msg.action_ex_id)
        if action_ex.state != states.RUNNING:
            return False, []
        wf_ex = db_api.lock_workflow_execution(
            session, action_ex.workflow_execution_id)
        output = {"result": msg.result}
        if not db_api.cas_update(
                session, models.ActionExecution, action_ex.id,
                [states.RUNNING], state=msg.state, state_info=msg.state_info,
                output=output, accepted=True):
            return False, []
        LOG.info("Action execution %s moved from RUNNING to %s",
                 action_ex.id, msg.state)
        db_api.outbox_ack(session, "run_action", action_ex.id)
        return True, self._continue(session, wf_ex, action_ex, msg)

    def _continue(self, session, wf_ex, action_ex, msg):
        task_exs = db_api.get_task_executions_for_engine(session, wf_ex.id)
        originals = {t.id: t.state for t in task_exs}
        cond = conductor.Conductor(persist.workflow_view(wf_ex),
                                   persist.task_views(task_exs))
        plan = cond.on_action_complete(
            action_ex.task_execution_id, msg.state, msg.result,
            msg.state_info)
        return persist.apply_plan(session, wf_ex, cond, originals, plan,
                                  self._outbox.send_at())


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
    def claim_action(self, ctxt, msg):
        return self._service.claim_action(messages.ClaimAction.from_dict(msg))

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def on_action_complete(self, ctxt, msg):
        return self._service.on_action_complete(
            messages.ActionResult.from_dict(msg))
