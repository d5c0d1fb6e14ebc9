"""Fixtures of the notifier tests: a SQLite database, helpers to record
events as the engine does, and a local HTTP receiver."""
import http.server
import threading
import uuid

import pytest

from wfengine import conf
from wfengine.db import models
from wfengine.db import session


@pytest.fixture
def db(tmp_path):
    engine = session.configure("sqlite:///%s" % (tmp_path / "notifier.db"))
    models.Base.metadata.create_all(engine)
    yield engine
    session.dispose()


@pytest.fixture
def allow_loopback():
    conf.CONF.set_override("allowed_networks", ["127.0.0.1/32"],
                           group="notifier")
    yield
    conf.CONF.clear_override("allowed_networks", group="notifier")


def add(*rows):
    """Insert rows in one transaction, in order."""
    def _add(sess):
        for row in rows:
            sess.add(row)
            sess.flush()
    session.unit_of_work(_add)


def execution(name="wf", params=None, root=None, ex_id=None):
    return models.WorkflowExecution(
        id=ex_id or str(uuid.uuid4()), name=name, state="RUNNING",
        params=params or {}, root_execution_id=root)


def event(wf_ex, name, task=None):
    data = ({"id": task, "name": "t1", "state": "RUNNING",
             "published": {"a": 1}} if task else
            {"id": wf_ex.id, "workflow_name": wf_ex.name, "state": "RUNNING",
             "params": wf_ex.params, "input": {"x": 1}})
    return models.Event(
        uuid=str(uuid.uuid4()), event=name, workflow_execution_id=wf_ex.id,
        root_execution_id=wf_ex.root_execution_id or wf_ex.id,
        task_execution_id=task, workflow_name=wf_ex.name,
        task_name="t1" if task else None, state="RUNNING", data=data,
        created_at=models.utcnow())


def listener(workflow_name=None, events=("EXECUTION", "TASK"),
             url="http://127.0.0.1:9/", secret=None, enabled=True,
             headers=None):
    return models.Listener(
        id=str(uuid.uuid4()), workflow_name=workflow_name,
        events=list(events), url=url, method="POST", headers=headers or {},
        secret=secret or "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        description="", enabled=enabled)


class Receiver:
    """An HTTP server on 127.0.0.1 that records requests and answers
    ``status`` (a Location header with 3xx)."""

    def __init__(self, status=200):
        self.status = status
        self.requests = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append(
                    (self.command, self.path, dict(self.headers), body))
                self.send_response(receiver.status)
                if 300 <= receiver.status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_PUT = do_GET = _handle

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_port
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        daemon=True)
        self._thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    rec = Receiver()
    yield rec
    rec.close()
