"""Definitions the API writes: workflows, actions, workbooks, environments
and cron triggers; and the cron scheduler's compare-and-set claims.

Every function takes the session; none commits. Rows are found by id or
by name (within a namespace where the kind has one). The engine's own
lookup of a workflow to run is ``wfengine.db.api.find_workflow_definition``
(it falls back to the default namespace, and sees what the execution's
project sees, as the API's reads do).
"""
import uuid

import sqlalchemy as sa
from sqlalchemy import orm

from wfengine import exceptions
from wfengine.db import _common
from wfengine.db import api as db_api
from wfengine.db import event_triggers
from wfengine.db import models
from wfengine.db import scope


def _by_name(session, model, label, name, namespace=None, fields=None,
             change=False):
    """The row of ``model`` called ``name`` (or with that id).

    Within an API request only rows the caller may see are found
    (``db.scope``): another project's private row is not found, and of
    two rows of one name the caller's own comes first.

    :param namespace: the namespace to look in; None for a kind without.
    :param change: the caller means to change the row: a row it may only
        see (shared by another project) is refused.
    :raises NotFound: naming the label, the name and the namespace.
    :raises Forbidden: ``change`` and the row is another project's.
    """
    row = None
    if db_api.looks_like_uuid(name):
        row = _common.find_by_id(session, model, name, fields)
    if row is None:
        row = _find_named(session, model, name, namespace, fields)
    if row is None:
        where = "" if namespace is None else ", namespace=%s" % namespace
        raise exceptions.NamedNotFound(kind=label, name=name, where=where)
    if change and not scope.may_change(row):
        raise exceptions.SharedReadOnly(kind=label, name=row.name)
    return row


def _find_named(session, model, name, namespace, fields):
    stmt = (sa.select(model).where(model.name == name)
            .options(*_common.undefer(model, fields)))
    if namespace is not None:
        stmt = stmt.where(model.namespace == (namespace or ""))
    visible = scope.visible_condition(model)
    if visible is not None:
        stmt = stmt.where(visible)
    mine = scope.creator_project()
    if mine is not None:  # the caller's own before a shared one
        stmt = stmt.order_by(sa.case((model.project_id == mine, 0),
                                     else_=1))
    return session.execute(stmt.limit(1)).scalar_one_or_none()


def _insert(session, model, label, values, namespace=None):
    """Insert one row of ``model`` in the caller's project; refuses a name
    the project has taken already."""
    values = dict(values, **scope.creator_columns(model))
    stmt = sa.select(model.id).where(model.name == values["name"])
    if namespace is not None:
        stmt = stmt.where(model.namespace == namespace)
    if values.get("project_id") is not None:
        stmt = stmt.where(model.project_id == values["project_id"])
    if session.execute(stmt).first() is not None:
        where = "" if namespace is None else ", namespace=%s" % namespace
        raise exceptions.DBDuplicateEntry(
            kind=label, key="name=%s%s" % (values["name"], where))
    row = model(**dict(values, id=values.get("id") or str(uuid.uuid4())))
    session.add(row)
    db_api.flush(session)
    return row


def _delete(session, row):
    session.delete(row)
    session.flush()


# Workflow definitions.

def get_workflow_definition(session, identifier, namespace="", fields=None):
    """A workflow definition by id, or by name within ``namespace``.

    :raises NotFound: no such workflow.
    """
    return _by_name(session, models.WorkflowDefinition, "Workflow",
                    identifier, namespace or "", fields)


def create_workflow_definitions(session, values_list):
    """Create workflow definitions, all or none.

    :param values_list: dicts of WorkflowDefinition columns (``name``,
        ``namespace``, ``definition``, ``spec``, ``input``, ``tags``,
        ``scope``); ``id`` is generated when missing.
    :returns: the new rows.
    :raises DBDuplicateEntry: a workflow of that name already exists in
        that namespace (or the text defines it twice).
    """
    rows = []
    for values in values_list:
        namespace = values.get("namespace") or ""
        rows.append(_insert(session, models.WorkflowDefinition, "Workflow",
                            dict(values, namespace=namespace), namespace))
    return rows


def update_workflow_definition(session, identifier, values, namespace=""):
    """Update the definition ``identifier`` (id or name) with ``values``.

    :raises NotFound: no such workflow.
    :raises DBDuplicateEntry: a rename collides with another workflow.
    """
    wf_def = _by_name(session, models.WorkflowDefinition, "Workflow",
                      identifier, namespace or "", ("definition", "spec"),
                      change=True)
    return _common.set_columns(session, wf_def, values)


def delete_workflow_definition(session, identifier, namespace=""):
    """Delete the definition ``identifier`` (id or name).

    :raises NotFound: no such workflow.
    :raises InUse: event triggers start it (Mistral's rule).
    """
    row = _by_name(session, models.WorkflowDefinition, "Workflow",
                   identifier, namespace or "", change=True)
    triggers = event_triggers.workflow_trigger_ids(session, row.id)
    if triggers:
        raise exceptions.InUse(kind="workflow", name=row.name,
                               users="event triggers",
                               ids=", ".join(triggers))
    _delete(session, row)


# Environments.

def get_environment(session, identifier, fields=None):
    """An environment by name or id; :raises NotFound: no such one."""
    return _by_name(session, models.Environment, "Environment",
                    identifier, fields=fields)


def get_environment_by_name(session, name):
    """The environment ``name`` with its variables (for ``params.env``).

    :returns: the Environment row; ``row.variables`` is a dict.
    :raises NotFound: no environment of that name.
    """
    return get_environment(session, name, fields=("variables",))


def create_environment(session, values):
    """Create an environment from column ``values``.

    :raises DBDuplicateEntry: the name is taken.
    """
    return _insert(session, models.Environment, "Environment", values)


def update_environment(session, name, values):
    """Change the environment ``name``; :raises NotFound: no such one."""
    row = _by_name(session, models.Environment, "Environment", name,
                   fields=("variables",), change=True)
    return _common.set_columns(session, row, values)


def delete_environment(session, name):
    """Delete the environment ``name``; :raises NotFound: no such one."""
    _delete(session, _by_name(session, models.Environment, "Environment",
                              name, change=True))


# Action definitions.

def sync_system_actions(session, values_list):
    """Mirror the built-in actions: add missing ones, refresh the others,
    drop those no longer installed.

    :param values_list: ActionDefinition columns per built-in action, each
        with a stable ``id`` so that every API process agrees on it.
    """
    model = models.ActionDefinition
    existing = {row.name: row for row in session.execute(
        sa.select(model).where(model.is_system.is_(True))).scalars()}
    gone = set(existing) - {v["name"] for v in values_list}
    for name in gone:
        session.delete(existing.pop(name))
    for values in values_list:
        row = existing.get(values["name"])
        if row is None:
            session.add(model(**dict(values, is_system=True)))
        elif row.input != values.get("input") or \
                row.description != values.get("description"):
            _common.set_columns(session, row, {
                "input": values.get("input"),
                "description": values.get("description")})
    db_api.flush(session)


def get_action_definition(session, identifier, namespace="", fields=None):
    """An action by id, or by name in ``namespace`` (else the default one).

    :raises NotFound: no such action.
    """
    model = models.ActionDefinition
    try:
        return _by_name(session, model, "Action", identifier,
                        namespace or "", fields)
    except exceptions.NotFound:
        if not namespace:
            raise
    return _by_name(session, model, "Action", identifier, "", fields)


def find_actions(session, names, namespace=""):
    """``{name: row}`` of the actions called ``names`` as a call in
    ``namespace`` finds them (``get_action_definition`` for each, in one
    query): the namespace's before the default one's, the caller's own
    before a shared one. The rows leave their large columns out."""
    model = models.ActionDefinition
    stmt = sa.select(model.id, model.name, model.namespace, model.is_system,
                     model.project_id, model.created_at,
                     model.updated_at).where(
        model.name.in_(sorted(names)),
        model.namespace.in_(sorted({namespace or "", ""})))
    visible = scope.visible_condition(model)
    if visible is not None:
        stmt = stmt.where(visible)
    mine = scope.creator_project()
    found = {}
    for row in session.execute(stmt):
        rank = (row.namespace != (namespace or ""), row.project_id != mine
                if mine is not None else False)
        if row.name not in found or rank < found[row.name][0]:
            found[row.name] = (rank, row)
    return {name: row for name, (_, row) in found.items()}


def adhoc_action_names(session, namespace=""):
    """The names of the ad-hoc actions visible in ``namespace`` and in the
    default one (what a computed action name may call)."""
    model = models.ActionDefinition
    stmt = sa.select(model.name).where(
        model.is_system.is_(False),
        model.namespace.in_(sorted({namespace or "", ""})))
    visible = scope.visible_condition(model)
    if visible is not None:
        stmt = stmt.where(visible)
    return set(session.execute(stmt).scalars())


def create_action_definitions(session, values_list):
    """Create ad-hoc actions, all or none.

    :raises DBDuplicateEntry: an action of that name exists in the
        namespace.
    """
    return [_insert(session, models.ActionDefinition, "Action", values,
                    values.get("namespace") or "")
            for values in values_list]


def update_action_definition(session, identifier, values, namespace=""):
    """Change the ad-hoc action ``identifier``.

    :raises NotFound: no such action.
    :raises InputError: it is a built-in action.
    """
    row = _by_name(session, models.ActionDefinition, "Action",
                   identifier, namespace or "", ("definition", "spec"))
    _refuse_system(row, "update")
    _refuse_shared(row, "Action")
    return _common.set_columns(session, row, values)


def delete_action_definition(session, identifier, namespace=""):
    """Delete the ad-hoc action ``identifier``.

    :raises NotFound: no such action, or it is a built-in action.
    """
    row = _by_name(session, models.ActionDefinition, "Action",
                   identifier, namespace or "")
    if row.is_system:
        # As Mistral: there is no ad-hoc action of that name to delete.
        raise exceptions.SystemActionNotFound(name=row.name)
    _refuse_shared(row, "Action")
    _delete(session, row)


def _refuse_shared(row, label):
    if not scope.may_change(row):
        raise exceptions.SharedReadOnly(kind=label, name=row.name)


def _refuse_system(row, verb):
    if row.is_system:
        raise exceptions.SystemReadOnly(what=verb, kind="action",
                                        name=row.name)


# Workbooks.

def get_workbook(session, name, namespace="", fields=None):
    """The workbook ``name`` in ``namespace``; :raises NotFound:."""
    return _by_name(session, models.Workbook, "Workbook", name,
                    namespace or "", fields)


def create_workbook(session, values, workflows, actions):
    """Create a workbook with its workflows and ad-hoc actions.

    :param workflows: WorkflowDefinition columns per workflow.
    :param actions: ActionDefinition columns per ad-hoc action.
    :raises DBDuplicateEntry: the workbook, or one of the definitions it
        makes, already exists in the namespace.
    """
    namespace = values.get("namespace") or ""
    row = _insert(session, models.Workbook, "Workbook", values, namespace)
    create_workflow_definitions(session, workflows)
    create_action_definitions(session, actions)
    return row


def update_workbook(session, values, workflows, actions):
    """Replace a workbook and its definitions (matched by full name).

    Definitions the new text no longer holds are deleted.

    :raises NotFound: no such workbook.
    """
    namespace = values.get("namespace") or ""
    row = _by_name(session, models.Workbook, "Workbook", values["name"],
                   namespace, ("definition", "spec"), change=True)
    old_spec = row.spec or {}
    _common.set_columns(session, row, values)
    where = (namespace, row.project_id)
    _replace(session, models.WorkflowDefinition, where,
             old_spec.get("workflow_names", []), workflows)
    _replace(session, models.ActionDefinition, where,
             old_spec.get("action_names", []), actions)
    db_api.flush(session)
    return row


def _replace(session, model, where, old_names, new_values):
    """Replace a workbook's definitions; ``where``: its (namespace,
    project)."""
    namespace, project = where
    new_names = {v["name"] for v in new_values}
    _delete_named(session, model, where,
                  [n for n in old_names if n not in new_names])
    for values in new_values:
        existing = session.execute(
            sa.select(model).where(model.name == values["name"],
                                   model.namespace == namespace,
                                   model.project_id == project)
        ).scalar_one_or_none()
        if existing is None:
            session.add(model(**dict(values, id=str(uuid.uuid4()),
                                     project_id=project,
                                     user_id=scope.creator_user())))
        else:
            _common.set_columns(session, existing, values)


def _delete_named(session, model, where, names):
    namespace, project = where
    if names:
        session.execute(sa.delete(model).where(
            model.name.in_(list(names)), model.namespace == namespace,
            model.project_id == project)
            .execution_options(synchronize_session=False))


def delete_workbook(session, name, namespace=""):
    """Delete a workbook and the workflows and actions it defined.

    :raises NotFound: no such workbook.
    """
    row = _by_name(session, models.Workbook, "Workbook", name,
                   namespace or "", ("spec",), change=True)
    spec = row.spec or {}
    where = (row.namespace, row.project_id)
    _delete_named(session, models.WorkflowDefinition, where,
                  spec.get("workflow_names", []))
    _delete_named(session, models.ActionDefinition, where,
                  spec.get("action_names", []))
    _delete(session, row)


# Cron triggers.

def get_cron_trigger(session, identifier, fields=None):
    """A cron trigger by name or id; :raises NotFound: no such one."""
    return _by_name(session, models.CronTrigger, "Cron trigger",
                    identifier, fields=fields)


def create_cron_trigger(session, values):
    """Create a cron trigger; :raises DBDuplicateEntry: name taken."""
    return _insert(session, models.CronTrigger, "Cron trigger", values)


def delete_cron_trigger(session, identifier):
    """Delete a cron trigger; returns its ``trust_id`` (None without).

    :raises NotFound: no such one.
    """
    row = _by_name(session, models.CronTrigger, "Cron trigger", identifier,
                   change=True)
    trust_id = row.trust_id
    _delete(session, row)
    return trust_id


def get_due_cron_triggers(session, now, limit=50):
    """Cron triggers whose next execution time is ``now`` or earlier."""
    model = models.CronTrigger
    stmt = (sa.select(model).where(model.next_execution_time <= now)
            .order_by(model.next_execution_time).limit(limit)
            .options(orm.undefer(model.workflow_input),
                     orm.undefer(model.workflow_params)))
    return list(session.execute(stmt).scalars())


def claim_cron_trigger(session, trigger_id, expected_next, new_next,
                       remaining):
    """Compare-and-set: move a due trigger on to its next time.

    Wins only while ``next_execution_time`` is still ``expected_next``, so
    that of several schedulers exactly one fires a given due time. A
    ``remaining`` of 0 deletes the trigger instead (its last firing).

    :returns: True if this call won.
    """
    model = models.CronTrigger
    where = (model.id == trigger_id,
             model.next_execution_time == expected_next)
    if remaining == 0:
        stmt = sa.delete(model).where(*where)
    else:
        stmt = sa.update(model).where(*where).values(
            next_execution_time=new_next, remaining_executions=remaining,
            updated_at=models.utcnow())
    stmt = stmt.execution_options(synchronize_session=False)
    return session.execute(stmt).rowcount == 1
