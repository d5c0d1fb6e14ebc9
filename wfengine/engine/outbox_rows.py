"""The outbox rows the engine writes: what a row carries for its receiver
(an executor, or an engine), and the rows due for a re-send.

The kinds are those of ``db/outbox.py``; rows are written in the unit of
work of the change that needs them and sent after commit.
"""
import datetime
import logging
import uuid

from wfengine import action_params
from wfengine.db import api as db_api
from wfengine.db import snapshots as db_snapshots
from wfengine.db import outbox as db_outbox
from wfengine.db import models
from wfengine.core.engine import states

LOG = logging.getLogger(__name__)


def stage_standalone_action(unit, msg, base, base_input, adhoc_id):
    """An action execution that belongs to no workflow (``POST
    /v2/action_executions``)."""
    params = action_params.ActionParams(
        target=msg.target, adhoc=action_params.Adhoc(
            adhoc_id, base, base_input) if adhoc_id else None)
    action_ex = db_api.add(unit.session, models.ActionExecution(
        id=str(uuid.uuid4()), name=msg.name, description=msg.description,
        workflow_namespace=msg.namespace, state=states.RUNNING,
        input=msg.input, params=params.to_row(), is_sync=True,
        user_id=msg.user_id,
        **({"project_id": msg.project_id} if msg.project_id else {})))
    LOG.info("Action execution %s (%s) created outside any workflow",
             action_ex.id, msg.name)
    return action_ex


def stage_run(unit, action_ex, send_at, later=False):
    """Stage the message that hands an action execution to an executor
    (``later``: with the execution's other new rows).

    The row keeps no copy of the action's input, which can be large and
    is in the action execution already: the send right after commit
    takes it from ``action_ex``, a resend from the action execution's row
    (see ``claim_due``).
    """
    params = action_params.ActionParams.from_row(action_ex.params)
    payload = {"action_ex_id": action_ex.id,
               "action_name": params.action_to_run(action_ex.name),
               "task_ex_id": action_ex.task_execution_id,
               "task_name": action_ex.task_name,
               "wf_ex_id": action_ex.workflow_execution_id,
               "wf_name": action_ex.workflow_name,
               "safe_rerun": params.safe_rerun,
               "target": params.target}
    if later:
        row = unit.outbox_later(action_ex.workflow_execution_id,
                                db_outbox.RUN_ACTION, action_ex.id, payload,
                                send_at)
    else:
        row = db_outbox.add(unit.session, db_outbox.RUN_ACTION, action_ex.id,
                            payload, send_at)
    return row._replace(payload=dict(
        payload, action_input=params.input_to_run(action_ex.input)))


def claim_due(unit, now, resend_after):
    """The outbox rows due for a send (``db_outbox.claim_due``), as
    ``OutboxRow`` values, each ``run_action`` with its action's input
    read back from the action execution. A row whose action execution is
    gone is dropped."""
    rows = db_outbox.claim_due(unit.session, now, resend_after)
    # Rows written before runs left their input out still carry it.
    without_input = {r.id: r.ref_id for r in rows
                     if r.kind == db_outbox.RUN_ACTION
                     and "action_input" not in r.payload}
    runs = db_snapshots.get_action_run_inputs(unit.session,
                                        list(without_input.values()))
    due, gone = [], []
    for r in rows:
        payload = r.payload
        if r.id in without_input:
            action = runs.get(r.ref_id)
            if action is None:
                gone.append(r.ref_id)
                continue
            payload = dict(payload, action_input=action_params.ActionParams
                           .from_row(action.params).input_to_run(action.input))
        due.append(db_outbox.OutboxRow(r.id, r.kind, r.ref_id, payload,
                                    r.next_send_at, r.attempts))
    if gone:
        db_api.flush(unit.session)  # the claim's updates, before the delete
        db_outbox.ack(unit.session, db_outbox.RUN_ACTION, gone)
    return due


def stage_subworkflow(unit, wf_ex, sub, send_at):
    payload = {"wf_ex_id": wf_ex.id, "task_ex_id": sub.task_ex_id,
               "workflow_name": sub.workflow_name, "input": sub.input,
               "index": sub.index}
    return db_outbox.add(unit.session, db_outbox.START_SUBWORKFLOW,
                         sub.task_ex_id, payload, send_at)


def stage_timer(unit, wf_ex, timer, now):
    due = now + datetime.timedelta(seconds=timer.delay)
    payload = {"wf_ex_id": wf_ex.id, "task_ex_id": timer.task_ex_id,
               "kind": timer.kind}
    return db_outbox.add(unit.session, db_outbox.TIMER, timer.task_ex_id,
                         payload, due)


def stage_cascade(unit, wf_ex, plan, send_after):
    """Rows that carry an operator request to related executions.

    Pause, resume and cancel reach the sub-workflow executions; a failed
    sub-workflow execution that runs again takes its parent chain back to
    RUNNING, so that its outcome reaches the root.
    """
    send_at = models.utcnow() + datetime.timedelta(seconds=send_after)
    rows = []
    moves = [c.event for c in plan.workflow_changes]
    for command in (states.PAUSE, states.RESUME, states.CANCEL):
        if command in moves:
            payload = {"command": command}
            if command == states.CANCEL:
                # As Mistral, the cancel's message reaches the children.
                payload["state_info"] = next(
                    c.state_info for c in plan.workflow_changes
                    if c.event == command)
            for child_id in db_snapshots.get_child_execution_ids(unit.session,
                                                           wf_ex.id):
                rows.append(db_outbox.add(
                    unit.session, db_outbox.WORKFLOW_COMMAND, child_id,
                    dict(payload, wf_ex_id=child_id), send_at))
    reopened = wf_ex.state == states.ERROR and plan.workflow_changes and \
        moves[0] in (states.RERUN, states.RESUME)
    if reopened and wf_ex.task_execution_id:
        rows.append(db_outbox.add(
            unit.session, db_outbox.PARENT_RERUN, wf_ex.task_execution_id,
            {"task_ex_id": wf_ex.task_execution_id}, send_at))
    return rows
