"""Turn recorded events into deliveries, one per matching target.

Targets of an event: the enabled listeners of its workflow (or of every
workflow) that subscribe to it; the ``notify`` entries of its *root*
execution's params that take it (a sub-workflow execution inherits its
root's targets, as in Mistral); and every broadcast publisher.
"""
import uuid

from wfengine.db import api as db_api
from wfengine.db import models
from wfengine.db import notifications
from wfengine.notifier import policy
from wfengine.notifier import subscriptions


def listener_target(listener_id):
    return "listener:%s" % listener_id


def notify_target(root_id, index):
    return "notify:%s:%d" % (root_id, index)


def broadcast_target(publisher):
    return "publisher:%s" % publisher


def root_of(event):
    return event.root_execution_id or event.workflow_execution_id


def fan_out(session, limit, broadcast, now):
    """Fan out up to ``limit`` events in this unit of work.

    :param broadcast: names of the publishers that take every event.
    :returns: how many events were fanned out.
    """
    events = notifications.claim_events(session, limit)
    if not events:
        return 0
    listeners = notifications.enabled_listeners(
        session, {e.workflow_name for e in events if e.workflow_name})
    params = notifications.execution_params(
        session, {root_of(e) for e in events})
    for event in events:
        for row in deliveries_for(event, listeners,
                                  params.get(root_of(event)), broadcast,
                                  now):
            db_api.add(session, row)
    notifications.mark_dispatched(session, [e.id for e in events])
    return len(events)


def deliveries_for(event, listeners, root_params, broadcast, now):
    """The Delivery rows (unsaved) ``event`` gives."""
    rows = []
    project = event_project(event)
    for listener in listeners:
        if listener.project_id != project:
            continue  # a listener hears its own project's events only
        if subscriptions.listener_wants(listener, event.event,
                                        event.workflow_name):
            rows.append(_row(event, listener_target(listener.id), "webhook",
                             now, listener_id=listener.id))
    for index, entry in subscriptions.notify_entries(root_params):
        if subscriptions.notify_wants(entry, event.event):
            rows.append(_row(event, notify_target(root_of(event), index),
                             entry.get("type") or "webhook", now,
                             params=_target_params(entry)))
    for name in broadcast:
        rows.append(_row(event, broadcast_target(name), name, now))
    return rows


def event_project(event):
    """The project of the execution an event is about (in its data)."""
    data = event.data if isinstance(event.data, dict) else {}
    return data.get("project_id") or models.DEFAULT_PROJECT


def _target_params(entry):
    return {"url": entry.get("url"), "method": entry.get("method") or "POST",
            "headers": entry.get("headers") or {}}


def _row(event, target, publisher, now, listener_id=None, params=None):
    return models.Delivery(
        id=str(uuid.uuid4()), event_id=event.id, event=event.event,
        workflow_execution_id=event.workflow_execution_id,
        task_execution_id=event.task_execution_id, target=target,
        publisher=publisher, listener_id=listener_id, params=params,
        state=policy.PENDING, attempts=0, next_attempt_at=now,
        created_at=now)
