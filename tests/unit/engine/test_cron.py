"""The cron scheduler: due triggers fire once, whichever engine claims."""
import datetime
import socket
import threading

from oslo_config import cfg
import pytest

from wfengine.conf import auth
from wfengine.db import definitions
from wfengine.db import models
from wfengine.db import session
from wfengine.engine import cron
from wfengine import exceptions
from wfengine import trusts

T0 = datetime.datetime(2030, 1, 1, 12, 0)


class FakeService:
    def __init__(self, fail=False):
        self.started = []
        self.fail = fail
        self._lock = threading.Lock()

    def start_workflow(self, msg):
        if self.fail:
            raise exceptions.InputError("Workflow not found [name=gone]")
        with self._lock:
            self.started.append(msg)
        return {"id": "ex-%d" % len(self.started)}

    def fire_cron_trigger(self, trigger_id, due, nxt, remaining, msg):
        """The engine's contract: claim the due time, then start (the real
        one does both in one unit of work: tests/db/test_engine_service)."""
        if not session.unit_of_work(definitions.claim_cron_trigger,
                                    trigger_id, due, nxt, remaining):
            return False, None
        try:
            return True, self.start_workflow(msg)
        except exceptions.InputError:
            return True, None

    @staticmethod
    def skip_cron_trigger(trigger_id, due, nxt, remaining):
        return session.unit_of_work(definitions.claim_cron_trigger,
                                    trigger_id, due, nxt, remaining)


@pytest.fixture
def db(tmp_path):
    engine = session.configure("sqlite:///%s" % (tmp_path / "cron.db"))
    models.Base.metadata.create_all(engine)
    yield engine
    session.dispose()


def _add(**values):
    row = dict(id="ct-1", name="ct1", pattern="*/5 * * * *",
               next_execution_time=T0, remaining_executions=None,
               workflow_id="wf-id", workflow_name="wf1",
               workflow_input={"a": 1}, workflow_params={"env": {"x": 1}})
    row.update(values)
    session.unit_of_work(lambda s: s.add(models.CronTrigger(**row)))


def _trigger(trigger_id="ct-1"):
    return session.reader(lambda s: _plain(s.get(models.CronTrigger,
                                                 trigger_id)))


def _plain(row):
    if row is None:
        return None
    return (row.next_execution_time, row.remaining_executions)


def _scheduler(service, at):
    return cron.CronScheduler(service, 0.05, clock=lambda: at)


def test_not_due_does_not_fire(db):
    _add()
    service = FakeService()
    assert _scheduler(service, T0 - datetime.timedelta(seconds=1)
                      ).run_once() == 0
    assert service.started == []


def test_due_fires_once_and_moves_on(db):
    _add(remaining_executions=3)
    service = FakeService()
    at = T0 + datetime.timedelta(seconds=2)
    assert _scheduler(service, at).run_once() == 1
    assert _scheduler(service, at).run_once() == 0
    msg, = service.started
    assert msg.wf_identifier == "wf-id"
    assert msg.wf_input == {"a": 1}
    assert msg.params == {"env": {"x": 1}}
    assert "ct-1" in msg.description
    assert _trigger() == (T0 + datetime.timedelta(minutes=5), 2)


def test_last_execution_deletes_the_trigger(db):
    _add(remaining_executions=1)
    _scheduler(FakeService(), T0).run_once()
    assert _trigger() is None


def test_one_shot_without_pattern(db):
    _add(pattern=None, remaining_executions=1)
    service = FakeService()
    assert _scheduler(service, T0).run_once() == 1
    assert _trigger() is None


def test_missed_times_fire_once_then_resume_from_now(db):
    _add()
    service = FakeService()
    late = T0 + datetime.timedelta(hours=3, minutes=1)
    assert _scheduler(service, late).run_once() == 1
    assert _trigger()[0] == T0 + datetime.timedelta(hours=3, minutes=5)


def test_concurrent_engines_fire_each_due_time_once(db):
    _add()
    service = FakeService()
    at = T0 + datetime.timedelta(seconds=1)
    schedulers = [_scheduler(service, at) for _ in range(6)]
    barrier = threading.Barrier(len(schedulers))

    def run(scheduler):
        barrier.wait()
        scheduler.run_once()

    threads = [threading.Thread(target=run, args=(s,)) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(service.started) == 1


def test_a_failing_start_does_not_stop_the_schedule(db):
    _add()
    assert _scheduler(FakeService(fail=True), T0).run_once() == 0
    assert _trigger()[0] == T0 + datetime.timedelta(minutes=5)


def test_thread_starts_and_stops(db):
    _add()
    service = FakeService()
    scheduler = _scheduler(service, T0)
    scheduler.start()
    try:
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=5)
        while not service.started and datetime.datetime.now() < deadline:
            threading.Event().wait(0.02)
    finally:
        scheduler.stop()
    assert len(service.started) == 1


def test_a_trigger_starts_in_its_creators_project(db):
    _add(project_id="proj-creator", user_id="u-creator")
    service = FakeService()
    assert _scheduler(service, T0).run_once() == 1
    assert [(m.project_id, m.user_id) for m in service.started] == [
        ("proj-creator", "u-creator")]


def _keystone_conf(tmp_path, port):
    """keystone mode whose service user's Keystone is 127.0.0.1:port."""
    path = tmp_path / "wfengine.conf"
    path.write_text(
        "[api]\nauth_strategy = keystone\n[keystone_authtoken]\n"
        "auth_type = password\nauth_url = http://127.0.0.1:%d/v3\n"
        "username = wfengine\npassword = pw\nuser_domain_name = Default\n"
        "project_name = service\nproject_domain_name = Default\n"
        "http_connect_timeout = 2\n" % port)
    conf = cfg.ConfigOpts()
    auth.register_opts(conf)
    conf(["--config-file", str(path)], project="wfengine")
    return conf


def test_a_trust_that_does_not_work_skips_the_due_time(db, tmp_path):
    _add(project_id="proj-creator", user_id="u-creator", trust_id="t-1")
    service = FakeService()
    conf = _keystone_conf(tmp_path, _unused_port())
    scheduler = cron.CronScheduler(service, 0.05, clock=lambda: T0,
                                   conf=conf)
    assert scheduler.run_once() == 0
    assert service.started == []
    assert _trigger() == (T0 + datetime.timedelta(minutes=5), None)


def _unused_port():
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_service_user_without_its_options_is_a_trust_error(tmp_path):
    path = tmp_path / "partial.conf"
    path.write_text("[api]\nauth_strategy = keystone\n"
                    "[keystone_authtoken]\nauth_type = password\n")
    conf = cfg.ConfigOpts()
    auth.register_opts(conf)
    conf(["--config-file", str(path)], project="wfengine")
    with pytest.raises(trusts.TrustError) as e:
        trusts.act_as(conf, "t-1")
    assert "[keystone_authtoken]" in str(e.value)
    trusts.delete(conf, "t-1")  # logged, not raised: the trigger is gone


def test_of_engines_racing_the_last_due_time_only_the_winner_deletes_the_trust(
        db, tmp_path, monkeypatch):
    _add(remaining_executions=1, project_id="p", trust_id="t-1")
    deleted = []
    monkeypatch.setattr(trusts, "delete",
                        lambda conf, trust_id: deleted.append(trust_id))
    # noauth: the firing acts as the recorded creator, but the trigger
    # still holds a trust to delete after its last due time.
    conf = cfg.ConfigOpts()
    auth.register_opts(conf)
    conf([], default_config_files=[])
    service = FakeService()
    # Both engines read the trigger due before either claims it.
    (due,) = session.reader(cron._read_due, T0, 10)
    first = cron.CronScheduler(service, 0.05, clock=lambda: T0, conf=conf)
    second = cron.CronScheduler(service, 0.05, clock=lambda: T0, conf=conf)
    assert first._fire(due, T0) is True
    assert second._fire(due, T0) is False
    assert len(service.started) == 1
    assert deleted == ["t-1"]
    assert _trigger() is None
