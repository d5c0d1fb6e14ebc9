"""The event trigger listener: notifications on oslo.messaging's fake
transport (in-process, as a broker would carry them) start the workflows
of the stored triggers, once per notification."""
import json
import threading
import time
import uuid

from oslo_context import context
import oslo_messaging as messaging
import pytest

from wfengine import conf
from wfengine.db import models
from wfengine.db import session
from wfengine.engine import event_triggers
from wfengine import exceptions

EXCHANGE, TOPIC = "nova", "notifications"
CREATED, DELETED = "compute.instance.create.end", "compute.instance.delete.end"
WF_ID = "4f2f3c43-0b8e-4b8a-bb5e-1b6f3c1e2a11"


class FakeService:
    """The engine's start: records each start; a start of an id seen
    before answers with it and starts nothing (the engine's contract)."""

    def __init__(self, failures=()):
        self.started = {}
        self.calls = []
        self.failures = list(failures)
        self._lock = threading.Lock()

    def start_workflow(self, msg):
        with self._lock:
            self.calls.append(msg)
            if self.failures:
                raise self.failures.pop(0)
            self.started.setdefault(msg.wf_ex_id, msg)
        return {"id": msg.wf_ex_id}


@pytest.fixture
def db(tmp_path):
    engine = session.configure("sqlite:///%s" % (tmp_path / "events.db"))
    models.Base.metadata.create_all(engine)
    yield engine
    session.dispose()


@pytest.fixture
def transport():
    conf.CONF.set_override("control_exchange", EXCHANGE)
    try:
        notifications = messaging.get_notification_transport(
            conf.CONF, url="fake:/")
    finally:
        conf.CONF.clear_override("control_exchange")
    yield notifications
    notifications.cleanup()


def _add(trigger_id, event=CREATED, **values):
    row = dict(id=trigger_id, name="et-" + trigger_id, workflow_id=WF_ID,
               workflow_input={"name": "ev"}, workflow_params={"env": {}},
               exchange=EXCHANGE, topic=TOPIC, event=event,
               scope="private", project_id="proj-a", user_id="u-a")
    row.update(values)
    session.unit_of_work(lambda s: s.add(models.EventTrigger(**row)))


def _delete(trigger_id):
    session.unit_of_work(lambda s: s.delete(
        s.get(models.EventTrigger, trigger_id)))


def _listener(service, transport, authenticated=False):
    listener = event_triggers.EventTriggerListener(
        service, transport, 0.05, "test-pool-%s" % uuid.uuid4(),
        authenticated=authenticated)
    listener.start()
    return listener


class ContextSerializer(messaging.NoOpSerializer):
    """What an OpenStack service's serializer does: the request context
    travels as its dict."""

    def serialize_context(self, ctxt):
        return ctxt.to_dict()


def _notify(transport, event_type, project="proj-a", payload=None):
    notifier = messaging.Notifier(transport, publisher_id="compute.host1",
                                  driver="messaging", topics=[TOPIC],
                                  serializer=ContextSerializer())
    ctxt = context.RequestContext(project_id=project, user_id="nova-user")
    notifier.info(ctxt, event_type, payload or {"instance_id": "i-1"})


def _wait(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_a_notification_starts_the_triggers_workflow(db, transport):
    _add("t1")
    service = FakeService()
    listener = _listener(service, transport)
    try:
        assert listener.listened() == {(EXCHANGE, TOPIC): {CREATED}}
        _notify(transport, DELETED)          # no trigger has this event
        _notify(transport, CREATED)
        assert _wait(lambda: service.started)
        time.sleep(0.2)                      # and nothing else comes
    finally:
        listener.stop()
    msg, = service.started.values()
    assert len(service.calls) == 1
    assert (msg.wf_identifier, msg.wf_input) == (WF_ID, {"name": "ev"})
    assert (msg.project_id, msg.user_id) == ("proj-a", "u-a")
    assert msg.params["env"] == {}
    params = msg.params["event_params"]
    assert (params["service"], params["project_id"], params["user_id"]) == (
        "compute.host1", "proj-a", "nova-user")
    assert params["timestamp"]
    described = json.loads(msg.description)
    assert described["triggered_by"] == {"type": "event_trigger",
                                         "id": "t1", "name": "et-t1"}
    assert "t1" in described["description"]


def test_each_notification_once_and_a_redelivery_starts_nothing(
        db, transport):
    _add("t1")
    service = FakeService(failures=[exceptions.EngineUnavailable()])
    listener = _listener(service, transport)
    try:
        _notify(transport, CREATED)
        # The first start failed for a passing reason: the notification
        # came back and started the execution, under the same id.
        assert _wait(lambda: service.started)
        _notify(transport, CREATED)
        assert _wait(lambda: len(service.started) == 2)
    finally:
        listener.stop()
    first, second = service.calls[:2]
    assert first.wf_ex_id == second.wf_ex_id
    assert len(service.started) == 2         # two notifications


def test_a_refused_start_is_dropped(db, transport):
    _add("t1")
    service = FakeService(failures=[exceptions.InputError("bad input")])
    listener = _listener(service, transport)
    try:
        _notify(transport, CREATED)
        assert _wait(lambda: service.calls)
        time.sleep(0.3)
    finally:
        listener.stop()
    assert len(service.calls) == 1 and not service.started


def test_projects_and_public_triggers_when_authenticated(db, transport):
    _add("mine", project_id="proj-a")
    _add("theirs", project_id="proj-b", workflow_id=str(uuid.uuid4()))
    _add("public", project_id="proj-c", scope="public",
         workflow_id=str(uuid.uuid4()))
    service = FakeService()
    listener = _listener(service, transport, authenticated=True)
    try:
        _notify(transport, CREATED, project="proj-a")
        assert _wait(lambda: len(service.started) == 2)
        time.sleep(0.2)
    finally:
        listener.stop()
    fired = {json.loads(m.description)["triggered_by"]["id"]
             for m in service.started.values()}
    assert fired == {"mine", "public"}


def test_listeners_follow_the_stored_triggers(db, transport):
    service = FakeService()
    listener = _listener(service, transport)
    try:
        assert listener.listened() == {}
        _add("t1")
        _add("t2", event=DELETED, topic="other")
        assert _wait(lambda: listener.listened() == {
            (EXCHANGE, TOPIC): {CREATED}, (EXCHANGE, "other"): {DELETED}})
        _delete("t2")
        assert _wait(lambda: listener.listened() == {
            (EXCHANGE, TOPIC): {CREATED}})
        _notify(transport, CREATED)
        assert _wait(lambda: service.started)
    finally:
        listener.stop()


def test_the_description_fits_its_column():
    long = event_triggers.Trigger("t" * 36, "n" * 200, WF_ID, {}, {},
                                  "private", "p")
    text = event_triggers.description(long)
    assert len(text) <= 255
    assert json.loads(text)["triggered_by"]["id"] == "t" * 36
