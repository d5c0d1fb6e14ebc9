"""Outbox rows an engine addresses to itself: timers, sub-workflows to
start or finished, commands for sub-workflows, re-runs reaching a parent.

Each is processed once: the row is deleted in the unit of work that acts
on it. Mixed into ``service.EngineService``.
"""
import logging

from wfengine import exceptions
from wfengine.db import snapshots as db_snapshots
from wfengine.db import outbox as db_outbox
from wfengine.engine import calls
from wfengine.engine import snapshot
from wfengine.core.engine import states
from wfengine.core.lang import spec as lang_spec

LOG = logging.getLogger(__name__)


class LocalRowsMixin:
    """Handlers of the engine-bound outbox rows."""

    def handle_local(self, row_id, kind, payload):
        """Process an engine-bound outbox row (timer, sub-workflow), once.

        The row is deleted in the same unit of work as its effect, so a row
        handled by two engines (the in-memory timer and a sweeper) takes
        effect once.
        """
        handler = {db_outbox.TIMER: self._on_timer,
                   db_outbox.START_SUBWORKFLOW: self._on_start_subworkflow,
                   db_outbox.SUBWORKFLOW_DONE: self._on_subworkflow_done,
                   db_outbox.WORKFLOW_COMMAND: self._on_workflow_command,
                   db_outbox.PARENT_RERUN: self._on_parent_rerun}[kind]
        return self._run(self._take_and_handle, row_id, handler, payload)

    @staticmethod
    def _take_and_handle(unit, row_id, handler, payload):
        if not db_outbox.take(unit.session, row_id):
            return False, []
        try:
            return True, handler(unit, payload)
        except exceptions.NotFound as e:
            # What the row was about is gone (a deleted execution).
            LOG.info("Dropped an engine message about something deleted: "
                     "%s", e)
            return True, []

    def _on_timer(self, unit, payload):
        wf_ex = unit.lock_execution(payload["wf_ex_id"])
        return self._advance(unit, wf_ex, lambda cond: cond.on_timer(
            payload["kind"], payload["task_ex_id"]))

    def _on_start_subworkflow(self, unit, payload):
        parent = unit.lock_execution(payload["wf_ex_id"])
        task_ex = db_snapshots.get_task_execution_for_engine(
            unit.session, payload["task_ex_id"])
        if task_ex is None or task_ex.state != states.RUNNING:
            return []
        try:
            # _create_and_start refuses before it writes anything.
            wf_def = _find_subworkflow(unit, parent, payload["workflow_name"])
            root_id = parent.root_execution_id or parent.id
            wf_input, params = _reverse_target(
                unit, wf_def, payload["input"],
                _child_params(parent, root_id, task_ex.id, payload))
            _, rows = self._create_and_start(
                unit, wf_def, wf_input, params, "sub-workflow execution",
                {"task_ex_id": task_ex.id, "root_execution_id": root_id,
                 "env": snapshot.execution_env(unit, parent)},
                owner=(parent.project_id, parent.user_id))
            return rows
        except (exceptions.NotFound, exceptions.InputError) as e:
            message = "Can not start sub-workflow: %s" % e
            return self._advance(
                unit, parent, lambda cond: cond.on_subworkflow_complete(
                    task_ex.id, states.ERROR, None, message))

    def _on_subworkflow_done(self, unit, payload):
        def decide(cond, task_id):
            items = calls.item_results(
                unit, cond.tasks.get(task_id),
                payload["state"] == states.SUCCESS)
            return cond.on_subworkflow_complete(
                task_id, payload["state"], payload["output"],
                payload["state_info"], items)
        return self._advance_parent(unit, payload["task_ex_id"], decide)

    def _on_workflow_command(self, unit, payload):
        wf_ex = unit.lock_execution(payload["wf_ex_id"])
        if wf_ex.state in states.COMPLETED:
            return []
        command = {states.PAUSE: states.PAUSED, states.RESUME: states.RUNNING,
                   states.CANCEL: states.CANCELLED}[payload["command"]]
        try:
            return self._advance(unit, wf_ex, lambda cond: execution_request(
                cond, command, payload.get("state_info")))
        except exceptions.InputError as e:
            # The child moved on by itself (say, it was already paused).
            LOG.debug("Skipped %s of execution %s: %s", payload["command"],
                      wf_ex.id, e)
            return []

    def _on_parent_rerun(self, unit, payload):
        return self._advance_parent(
            unit, payload["task_ex_id"],
            lambda cond, task_id: cond.reopen_for_child(task_id))

    def _advance_parent(self, unit, task_ex_id, decide):
        """Let the conductor of task ``task_ex_id``'s execution (locked
        here) decide ``decide(cond, task_ex_id)``; nothing if the task is
        gone."""
        task_ex = db_snapshots.get_task_execution_for_engine(unit.session,
                                                             task_ex_id)
        if task_ex is None:
            return []
        parent = unit.lock_execution(task_ex.workflow_execution_id)
        return self._advance(unit, parent,
                             lambda cond: decide(cond, task_ex.id))


def _find_subworkflow(unit, parent, name):
    """The workflow a task calls. A name not found otherwise is looked up
    within the caller's workbook too (a name computed by an expression:
    the workbook's own short names are resolved when it is stored)."""
    try:
        return snapshot.find_workflow(unit, name, parent.workflow_namespace,
                                      parent.project_id, True)
    except exceptions.NotFound:
        prefixes = parent.name.split(".")[:-1]
        for end in range(len(prefixes), 0, -1):
            try:
                return snapshot.find_workflow(
                    unit, ".".join(prefixes[:end] + [name]),
                    parent.workflow_namespace, parent.project_id, True)
            except exceptions.NotFound:
                continue
        raise


def _child_params(parent, root_id, task_ex_id, payload):
    """A sub-workflow execution's params, as Mistral shows them: its own
    ``env`` is empty (``env()`` reads the root execution's), ``index`` is
    the item it runs for a with-items task, ``notify`` the parent's (shown
    only: the root's targets hear every descendant)."""
    params = {"env": {}, "index": payload.get("index", 0),
              "namespace": (parent.params or {}).get("namespace", ""),
              "root_execution_id": root_id, "task_execution_id": task_ex_id}
    if "notify" in (parent.params or {}):
        params["notify"] = parent.params["notify"]
    return params


def _reverse_target(unit, wf_def, wf_input, params):
    """As Mistral, a reverse sub-workflow takes its target task from the
    calling task's input ``task_name`` (unless it declares such an
    input): it moves to the sub-workflow's params."""
    spec = snapshot.definition_spec(unit, wf_def)
    wf_input = dict(wf_input or {})
    if (spec.type == lang_spec.REVERSE and "task_name" in wf_input
            and "task_name" not in {p.name for p in spec.input}):
        params["task_name"] = wf_input.pop("task_name")
    return wf_input, params


def execution_request(cond, state, state_info=None, env=None):
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
