"""The event trigger listener: starts workflows from notifications.

Every ``refresh_interval`` seconds each engine reads the stored triggers
(``db.event_triggers``) and keeps one oslo.messaging notification
listener per (exchange, topic) they name, on the notification transport,
in a pool of that (exchange, topic) that every engine joins: of the
engines, one takes each notification, and the topic's other consumers
still get theirs. A pool's queue stays on the broker after its last
trigger is deleted (oslo.messaging deletes no queue): give the pools'
queues a RabbitMQ policy (an expiry) where triggers come and go.

A notification whose event type is a trigger's event starts that
trigger's workflow (each trigger of that exchange, topic and event
whose project sent the notification, or that is public, or each one when
the API runs without authentication, as in Mistral):

* input: the trigger's ``workflow_input``;
* params: the trigger's ``workflow_params`` plus ``event_params``, what
  Mistral's default conversion gives: ``service`` (the publisher),
  ``project_id`` and ``user_id`` (of the notification's context; ``user``
  where the context has no ``user_id``, as oslo.context's) and
  ``timestamp`` (Mistral's ``event_definitions_cfg_file``, which maps
  events to other properties with expressions, is not read);
* description: Mistral's JSON text naming the trigger.

The execution's id is derived from the trigger's id and the
notification's ``message_id``: a notification delivered again (a broker
redelivery, an engine that died before acknowledging it) answers with the
execution it started the first time, and starts nothing. A start that
fails for a passing reason (the database) puts the notification back for
another try; a start the workflow refuses (its input no longer fits) is
logged and dropped, as in Mistral.

The execution belongs to the trigger's creator (their project and user);
in keystone mode the trigger's trust names them, as for cron triggers.
"""
import dataclasses
import json
import logging
import threading
import uuid

import oslo_messaging as messaging

from wfengine.db import event_triggers as db_event_triggers
from wfengine.db import session as db_session
from wfengine import exceptions
from wfengine import periodic
from wfengine.rpc import messages
from wfengine import trusts

LOG = logging.getLogger(__name__)

PRIORITIES = ("audit", "critical", "debug", "error", "info", "sample",
              "warn")
# The description column's size.
_DESCRIPTION_LIMIT = 255


@dataclasses.dataclass(frozen=True)
class Trigger:
    """What firing one trigger needs (read, then detached)."""

    id: str
    name: str
    workflow_id: str
    workflow_input: dict
    workflow_params: dict
    scope: str
    project_id: str
    user_id: str | None = None
    trust_id: str | None = None


@dataclasses.dataclass(frozen=True)
class Notification:
    """One notification as the listener received it."""

    context: dict
    publisher_id: str | None
    event_type: str
    payload: object
    metadata: dict


def _read_triggers(session, exchange, topic, event):
    return [Trigger(t.id, t.name or "", t.workflow_id,
                    t.workflow_input or {}, t.workflow_params or {},
                    t.scope, t.project_id, t.user_id, t.trust_id)
            for t in db_event_triggers.triggers_for_event(
                session, exchange, topic, event)]


def event_params(note):
    """Mistral's default ``event_params`` of a notification."""
    ctxt = note.context or {}
    return {"service": note.publisher_id,
            "project_id": ctxt.get("project_id"),
            # oslo.context's dict names the user ``user``; some services
            # add ``user_id`` (the one Mistral reads).
            "user_id": ctxt.get("user_id") or ctxt.get("user"),
            "timestamp": note.metadata.get("timestamp",
                                           ctxt.get("timestamp"))}


def description(trigger):
    """Mistral's description of an execution a trigger started (JSON
    text), the trigger's name shortened to fit the column."""
    def text(name):
        return json.dumps({
            "description": "Workflow execution created by event trigger "
                           "'(%s)'." % trigger.id,
            "triggered_by": {"type": "event_trigger", "id": trigger.id,
                             "name": name}})
    full = text(trigger.name)
    if len(full) <= _DESCRIPTION_LIMIT:
        return full
    return text(trigger.name[:max(0, _DESCRIPTION_LIMIT - len(text("")))])


def execution_id(trigger_id, message_id):
    """The id of the execution a trigger starts for one notification."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "wfengine:event-trigger:%s:%s"
                          % (trigger_id, message_id)))


def pool_name(pool, exchange, topic):
    """The listener pool of one (exchange, topic): RabbitMQ names a pool's
    queue after the pool, so each (exchange, topic) needs a pool of its
    own, or one queue would mix the notifications of several (the engines
    of a deployment share it: one of them takes each notification)."""
    return "%s.%s.%s" % (pool, exchange, topic)


def fires(trigger, note, authenticated):
    """Whether ``trigger`` fires for ``note``: the notification's project
    is the trigger's, or the trigger is public, or nobody is
    authenticated (every trigger of the event fires)."""
    return (not authenticated or trigger.scope == "public"
            or trigger.project_id == (note.context or {}).get("project_id"))


class Endpoint:
    """The notification endpoint of one (exchange, topic)."""

    def __init__(self, listener, exchange, topic):
        self._listener = listener
        self.key = (exchange, topic)
        for priority in PRIORITIES:
            setattr(self, priority, self._handle)

    def _handle(self, ctxt, publisher_id, event_type, payload, metadata):
        note = Notification(ctxt or {}, publisher_id, event_type, payload,
                            metadata or {})
        if self._listener.on_notification(self.key, note):
            return messaging.NotificationResult.HANDLED
        return messaging.NotificationResult.REQUEUE


class EventTriggerListener:
    """Listens for the notifications of the stored event triggers and
    starts their workflows through ``EngineService.start_workflow``."""

    def __init__(self, engine_service, transport, interval, pool,
                 authenticated=False, conf=None):
        """:param transport: the oslo.messaging notification transport
            (the listener cleans it up when it stops).
        :param authenticated: the API authenticates its callers: a
            private trigger fires only for its project's notifications.
        :param conf: the configuration whose ``[keystone_authtoken]``
            authenticates trusts (keystone mode); None: trusts unused."""
        self._service = engine_service
        self._transport = transport
        self._pool = pool
        self._authenticated = authenticated
        self._conf = conf
        self._lock = threading.Lock()
        self._events = {}      # (exchange, topic) -> {event, ...}
        self._listeners = {}   # (exchange, topic) -> listener
        self._periodic = periodic.Periodic("wfengine-event-triggers",
                                           interval, self.refresh)

    def start(self):
        """Listen for the stored triggers now, then follow their changes."""
        try:
            self.refresh()
        except Exception:
            LOG.exception("Reading the event triggers failed; the next "
                          "look comes in a moment")
        self._periodic.start()

    def stop(self):
        """Stop listening (and the transport)."""
        self._periodic.stop()
        with self._lock:
            listeners, self._listeners = self._listeners, {}
            self._events = {}
        for listener in listeners.values():
            listener.stop()
        for listener in listeners.values():
            listener.wait()
        self._transport.cleanup()

    def listened(self):
        """``{(exchange, topic): {event, ...}}`` listened for now."""
        with self._lock:
            return {k: set(v) for k, v in self._events.items()}

    def refresh(self):
        """Listen for what the stored triggers name, and no more."""
        wanted = db_session.reader(db_event_triggers.listened_keys)
        with self._lock:
            gone = [self._listeners.pop(k) for k in list(self._listeners)
                    if k not in wanted]
            self._events = wanted
            new = [k for k in wanted if k not in self._listeners]
        for listener in gone:
            listener.stop()
            listener.wait()
        for key in new:
            listener = self._listen(*key)
            with self._lock:
                self._listeners[key] = listener
            LOG.info("Listening for event triggers on exchange %s, topic "
                     "%s", *key)

    def _listen(self, exchange, topic):
        listener = messaging.get_notification_listener(
            self._transport,
            [messaging.Target(exchange=exchange, topic=topic)],
            [Endpoint(self, exchange, topic)], executor="threading",
            allow_requeue=True, pool=pool_name(self._pool, exchange, topic))
        listener.start()
        return listener

    def on_notification(self, key, note):
        """Start the workflows ``note`` triggers; False: try it again
        later (a start failed for a passing reason)."""
        with self._lock:
            if note.event_type not in self._events.get(key, ()):
                return True
        try:
            triggers = db_session.reader(_read_triggers, key[0], key[1],
                                         note.event_type)
        except Exception:
            LOG.exception("Reading the triggers of %s failed; the "
                          "notification goes back", note.event_type)
            return False
        message_id = note.metadata.get("message_id") or str(uuid.uuid4())
        done = True
        for trigger in triggers:
            if fires(trigger, note, self._authenticated):
                done = self._fire(trigger, note, message_id) and done
        return done

    def _fire(self, trigger, note, message_id):
        try:
            project, user = trusts.acting_for(self._conf, trigger)
        except trusts.TrustError as e:
            LOG.warning("Event trigger %s (%s) skips a notification: %s",
                        trigger.name, trigger.id, e)
            return True
        msg = messages.StartWorkflow(
            wf_identifier=trigger.workflow_id,
            wf_input=trigger.workflow_input,
            description=description(trigger),
            params=dict(trigger.workflow_params,
                        event_params=event_params(note)),
            wf_ex_id=execution_id(trigger.id, message_id),
            project_id=project, user_id=user)
        try:
            started = self._service.start_workflow(msg)
        except (exceptions.InputError, exceptions.NotFound) as e:
            LOG.warning("Event trigger %s (%s) could not start workflow "
                        "%s: %s", trigger.name, trigger.id,
                        trigger.workflow_id, e)
            return True
        except Exception:
            LOG.exception("Event trigger %s (%s) could not start workflow "
                          "%s now; the notification goes back",
                          trigger.name, trigger.id, trigger.workflow_id)
            return False
        LOG.info("Event trigger %s (%s) fired on %s: execution %s",
                 trigger.name, trigger.id, note.event_type, started["id"])
        return True

