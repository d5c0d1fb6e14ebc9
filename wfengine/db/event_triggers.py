"""Event triggers: the API's writes and reads, and what the engines'
listener reads (``wfengine.engine.event_triggers``).

Every function takes the session; none commits. Within an API request
only the caller's project's triggers are found (``db.scope``: a public
trigger fires for every project's events but is shown only to its own).
"""
import uuid

import sqlalchemy as sa

from wfengine import exceptions
from wfengine.db import _common
from wfengine.db import api as db_api
from wfengine.db import models
from wfengine.db import scope

LABEL = "Event trigger"
_MODEL = models.EventTrigger
# What a listener needs of every trigger (not its input and params).
_KEY_COLUMNS = (_MODEL.id, _MODEL.exchange, _MODEL.topic, _MODEL.event)


def get_event_trigger(session, trigger_id, fields=None):
    """One event trigger by id; :raises NotFound: no such one the caller
    may read."""
    return _common.get_by_id(session, _MODEL, trigger_id, LABEL, fields)


def create_event_trigger(session, values):
    """Create an event trigger in the caller's project.

    :raises DBDuplicateEntry: the project has a trigger of this workflow
        for the same exchange, topic and event.
    """
    values = dict(values, **scope.creator_columns(_MODEL))
    project = values.get("project_id") or models.DEFAULT_PROJECT
    taken = session.execute(sa.select(_MODEL.id).where(
        _MODEL.exchange == values["exchange"],
        _MODEL.topic == values["topic"], _MODEL.event == values["event"],
        _MODEL.workflow_id == values["workflow_id"],
        _MODEL.project_id == project)).first()
    if taken is not None:
        raise exceptions.DBDuplicateEntry(
            kind=LABEL, key="exchange, topic, event, workflow_id, "
            "project_id")
    row = _MODEL(**dict(values, id=str(uuid.uuid4()), project_id=project))
    session.add(row)
    db_api.flush(session)
    return row


def update_event_trigger(session, trigger_id, values):
    """Change the name, input, params or scope of a trigger.

    :raises NotFound: no such trigger of the caller's project.
    """
    row = get_event_trigger(session, trigger_id,
                            ("workflow_input", "workflow_params"))
    return _common.set_columns(session, row, values)


def delete_event_trigger(session, trigger_id):
    """Delete a trigger; returns its ``trust_id`` (None without).

    :raises NotFound: no such trigger of the caller's project.
    """
    row = get_event_trigger(session, trigger_id)
    trust_id = row.trust_id
    session.delete(row)
    session.flush()
    return trust_id


def workflow_trigger_ids(session, wf_def_id):
    """Ids of the triggers (of any project) that start workflow
    ``wf_def_id``, oldest first."""
    return list(session.execute(
        sa.select(_MODEL.id).where(_MODEL.workflow_id == wf_def_id)
        .order_by(_MODEL.created_at, _MODEL.id)).scalars())


def listened_keys(session):
    """``{(exchange, topic): {event, ...}}`` of every trigger of every
    project: what the engines' listeners subscribe to."""
    keys = {}
    for _, exchange, topic, event in session.execute(
            sa.select(*_KEY_COLUMNS)):
        keys.setdefault((exchange, topic), set()).add(event)
    return keys


def triggers_for_event(session, exchange, topic, event):
    """The triggers (of every project, with their input and params) that
    a notification of type ``event`` on ``exchange``/``topic`` fires,
    oldest first."""
    return list(session.execute(
        sa.select(_MODEL).where(
            _MODEL.exchange == exchange, _MODEL.topic == topic,
            _MODEL.event == event)
        .order_by(_MODEL.created_at, _MODEL.id)).scalars())
