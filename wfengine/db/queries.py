"""The API's reads of executions, and the deletion of finished ones.

Workflow, task and action executions are the engine's to write (see
``wfengine.db.api``); the API reads them here, lists them through
``wfengine.db.listing``, and deletes whole execution trees. Every function
takes the session; none commits.
"""
import functools

import sqlalchemy as sa

from wfengine import state_names as states
from wfengine.db import _common
from wfengine.db import models


def get_workflow_execution(session, wf_ex_id, fields=None):
    """One workflow execution (a read-only row) with the deferred columns
    in ``fields`` (all if None).

    :raises NotFound: no such execution.
    """
    return _common.read_by_id(session, models.WorkflowExecution, wf_ex_id,
                              "Workflow execution", fields)


def get_task_execution(session, task_ex_id, fields=None):
    """One task execution; :raises NotFound: no such task execution."""
    return _common.read_by_id(session, models.TaskExecution, task_ex_id,
                              "Task execution", fields)


def get_action_execution(session, action_ex_id, fields=None):
    """One action execution; :raises NotFound: no such action execution."""
    return _common.read_by_id(session, models.ActionExecution,
                              action_ex_id, "Action execution", fields)


def get_task_results_data(session, task_ex_ids):
    """What task results are made of, for the tasks ``task_ex_ids``.

    :returns: ``{task_ex_id: [(kind, accepted, output, params), ...]}``
        in creation order, where kind is ``"action"`` (output as stored by
        the engine, ``{"result": ...}``; params hold a with-items item's
        ``index`` and ``gen``) or ``"workflow"`` (a sub-workflow's output;
        its params hold the ``index`` of the item it ran).
    """
    ids = list(task_ex_ids)
    found = {task_id: [] for task_id in ids}
    if not ids:
        return found
    actions, workflows = _task_results_statements()
    for task_id, accepted, output, params in session.execute(
            actions, {"ids": ids}):
        found[task_id].append(("action", accepted, output, params))
    for task_id, state, output, params in session.execute(
            workflows, {"ids": ids}):
        done = state in states.RESULTS
        found[task_id].append(("workflow", done, output, params))
    return found


@functools.cache
def _task_results_statements():
    """The two statements of :func:`get_task_results_data`, built once
    (building them cost the GET of one task a fifth of its time)."""
    a_model = models.ActionExecution
    actions = (sa.select(a_model.task_execution_id, a_model.accepted,
                         a_model.output, a_model.params)
               .where(a_model.task_execution_id.in_(
                   sa.bindparam("ids", expanding=True)))
               .order_by(a_model.created_at, a_model.id))
    w_model = models.WorkflowExecution
    workflows = (sa.select(w_model.task_execution_id, w_model.state,
                           w_model.output, w_model.params)
                 .where(w_model.task_execution_id.in_(
                     sa.bindparam("ids", expanding=True)))
                 .order_by(w_model.created_at, w_model.id))
    return actions, workflows


def get_execution_tree(session, root_id):
    """The skeleton of the execution tree whose root is ``root_id``: what
    ``GET /v2/executions/<id>/executions`` orders, without the rows' data.

    Every sub-workflow execution of a tree carries the tree's root in
    ``root_execution_id`` (the root itself has none).

    :returns: ``(subs, tasks)``: ``subs`` the ``(id, task_execution_id)``
        of every sub-workflow execution of the tree, oldest first;
        ``tasks`` the ``(id, workflow_execution_id, state)`` of every task
        that started one, oldest first.
    """
    w_model, t_model = models.WorkflowExecution, models.TaskExecution
    subs = session.execute(
        sa.select(w_model.id, w_model.task_execution_id)
        .where(w_model.root_execution_id == root_id)
        .order_by(w_model.created_at, w_model.id)).all()
    tasks = session.execute(
        sa.select(t_model.id, t_model.workflow_execution_id, t_model.state)
        .where(t_model.id.in_(
            sa.select(w_model.task_execution_id)
            .where(w_model.root_execution_id == root_id)
            .scalar_subquery()))
        .order_by(t_model.created_at, t_model.id)).all()
    return [tuple(r) for r in subs], [tuple(r) for r in tasks]
