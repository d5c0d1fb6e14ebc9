"""The messaging publisher: oslo.messaging notifications, failures kept."""
import types

from wfengine.notifier import publishers
from wfengine.notifier.publishers import messaging


class FakeTransport:
    def __init__(self, fail=False):
        self.sent = []
        self.fail = fail

    def _send_notification(self, target, ctxt, msg, version, retry):
        if self.fail:
            raise RuntimeError("broker down")
        self.sent.append((target.topic, msg, version, retry))

    def cleanup(self):
        pass


def _conf(transport_url="rabbit://x"):
    return types.SimpleNamespace(
        transport_url=transport_url,
        notifier=types.SimpleNamespace(notification_topics=["a", "b"]))


def _message():
    return publishers.Message("d1", "WORKFLOW_SUCCEEDED", b"{}",
                              {"event": "WORKFLOW_SUCCEEDED"})


def test_sends_one_notification_per_topic():
    pub = messaging.MessagingPublisher(_conf())
    pub._transport = FakeTransport()
    assert pub.publish(_message()).ok
    topics = [t for t, _, _, _ in pub._transport.sent]
    assert topics == ["a.info", "b.info"]
    _, msg, version, retry = pub._transport.sent[0]
    assert (msg["event_type"], msg["priority"], version, retry) == (
        "wfengine.workflow.succeeded", "INFO", 2.0, 0)
    assert msg["payload"] == {"event": "WORKFLOW_SUCCEEDED"}


def test_a_failed_send_is_a_failed_attempt():
    pub = messaging.MessagingPublisher(_conf())
    pub._transport = FakeTransport(fail=True)
    outcome = pub.publish(_message())
    assert not outcome.ok and "broker down" in outcome.error


def test_without_a_bus_messages_are_accepted_and_dropped():
    assert messaging.MessagingPublisher(_conf(None)).publish(_message()).ok


def test_publishers_are_entry_points():
    assert {"webhook", "messaging", "noop"} <= set(publishers.available())
    loaded = publishers.load(["noop"], _conf())
    assert loaded["noop"].publish(_message()).ok
