"""``messaging``: the events as oslo.messaging notifications on the bus.

Consumers use an ordinary oslo.messaging notification listener on
``[notifier] notification_topics`` (priority ``info``); the event type is
``wfengine.workflow.succeeded`` and so on, the payload the webhook body.

oslo.messaging's ``Notifier`` swallows send failures (and logs the
payload with them), which would turn at-least-once into at-most-once and
leak data; so the message is built in the same 2.0 format and handed to
the transport directly, whose failure is an attempt that failed.
Without ``transport_url`` (the embedded mode) there is no bus: messages
are accepted and dropped.
"""
import datetime
import threading
import uuid

import oslo_messaging as messaging

from wfengine.notifier import publishers

PUBLISHER_ID = "wfengine.notifier"
PRIORITY = "info"


def event_type(event):
    """``WORKFLOW_SUCCEEDED`` -> ``wfengine.workflow.succeeded``."""
    kind, _, what = event.lower().partition("_")
    return "wfengine.%s.%s" % (kind, what)


class MessagingPublisher:
    """Sends each message as a notification to every configured topic."""

    def __init__(self, conf):
        self._conf = conf
        self._transport = None
        self._lock = threading.Lock()

    def _get_transport(self):
        with self._lock:
            if self._transport is None and self._conf.transport_url:
                self._transport = messaging.get_notification_transport(
                    self._conf)
            return self._transport

    def publish(self, message):
        """Send one notification; an :class:`publishers.Outcome`."""
        transport = self._get_transport()
        if transport is None:
            return publishers.Outcome(ok=True)
        msg = {"message_id": str(uuid.uuid4()),
               "publisher_id": PUBLISHER_ID,
               "event_type": event_type(message.event),
               "priority": PRIORITY.upper(), "payload": message.payload,
               "timestamp": str(datetime.datetime.now(
                   datetime.timezone.utc).replace(tzinfo=None))}
        try:
            for topic in self._conf.notifier.notification_topics:
                target = messaging.Target(topic="%s.%s" % (topic, PRIORITY))
                transport._send_notification(target, {}, msg, version=2.0,
                                             retry=0)
        except Exception as e:
            return publishers.Outcome(
                ok=False, error="%s: %s" % (type(e).__name__, e))
        return publishers.Outcome(ok=True)

    def close(self):
        with self._lock:
            if self._transport is not None:
                self._transport.cleanup()
            self._transport = None
