"""Notifications with real processes: listeners and Mistral ``notify``.

A local HTTP receiver on 127.0.0.1 (the deployments allow exactly that
address) plays the client application: it is down for a while, answers
errors, redirects; the tests check that nothing is lost, that events of
one execution arrive in order, that signatures verify with the
``standardwebhooks`` package, that redirects are not followed, and (on
PostgreSQL + RabbitMQ with two notifier processes) that one delivery is
never attempted by two notifiers at once.
"""
import collections
import configparser
import http.server
import json
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
import standardwebhooks

from tests.functional import harness

pytestmark = pytest.mark.timeout(240)

NOTIFIER_CONFIG = {"notifier": {
    "allowed_networks": "127.0.0.1/32", "poll_interval": "0.05",
    "backoff_base": "0.1", "backoff_max": "0.5", "max_attempts": "1000",
    "http_timeout": "2", "claim_timeout": "10"}}
TASKS = ["t01", "t02", "t03"]


def expected_events(tasks=TASKS):
    names = ["WORKFLOW_LAUNCHED"]
    for task in tasks:
        names += ["TASK_LAUNCHED:" + task, "TASK_SUCCEEDED:" + task]
    return names + ["WORKFLOW_SUCCEEDED"]


class Receiver:
    """HTTP receiver on a fixed port; paths decide the answer.

    ``/flaky...`` fails every other request with 500, ``/redirect...``
    answers 302, anything else 200. Records every request, and every time
    a webhook-id arrives while the same id is still being handled.
    """

    def __init__(self, port, delay=0.0):
        self.port = port
        self.delay = delay
        self.url = "http://%s:%d" % (harness.LOOPBACK, port)
        self.requests = []
        self.overlaps = []
        self._in_flight = collections.Counter()
        self._count = collections.Counter()
        self._lock = threading.Lock()
        self.server = None

    def start(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                receiver.handle(self)
            do_PUT = do_POST

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(
            (harness.LOOPBACK, self.port), Handler)
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def handle(self, request):
        body = request.rfile.read(int(request.headers["Content-Length"]))
        headers = {k.lower(): v for k, v in request.headers.items()}
        msg_id = headers.get("webhook-id")
        with self._lock:
            if self._in_flight[msg_id]:
                self.overlaps.append(msg_id)
            self._in_flight[msg_id] += 1
            self._count[request.path] += 1
            status = self._status(request.path)
            self.requests.append((request.path, headers, body, status))
        time.sleep(self.delay)
        with self._lock:
            self._in_flight[msg_id] -= 1
        request.send_response(status)
        if status == 302:
            request.send_header("Location", "/elsewhere")
        request.send_header("Content-Length", "0")
        request.end_headers()

    def _status(self, path):
        if path.startswith("/redirect"):
            return 302
        if path.startswith("/flaky") and self._count[path] % 2:
            return 500
        return 200

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def received(self, path):
        """``[(headers, body)]`` of 2xx answers on ``path``, first arrival
        of each webhook-id only, in arrival order."""
        seen, found = set(), []
        with self._lock:
            for p, headers, body, status in self.requests:
                if p == path and status == 200 and (
                        headers["webhook-id"] not in seen):
                    seen.add(headers["webhook-id"])
                    found.append((headers, body))
        return found

    def attempts(self, path):
        with self._lock:
            return [(h["webhook-id"], s) for p, h, _, s in self.requests
                    if p == path]


def deployment_with_notifier(workdir, notifier=None, **kwargs):
    """A Deployment whose config also has our ``[notifier]`` options."""
    deployment = harness.Deployment(workdir, **kwargs)
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(deployment.config_file)
    conf["notifier"] = dict(NOTIFIER_CONFIG["notifier"], **(notifier or {}))
    with open(deployment.config_file, "w") as f:
        conf.write(f)
    return deployment


def recorded_events(deployment, ex_id):
    """The event keys of one execution in the order the engine recorded
    them (the order deliveries must keep)."""
    sql = ("SELECT event, task_name FROM events WHERE "
           "workflow_execution_id = %s ORDER BY id")
    if deployment.db is not None:
        rows = deployment.db.query(sql % "%s", (ex_id,))
    else:
        path = deployment.database_url[len("sqlite:///"):]
        with sqlite3.connect(path) as conn:
            rows = conn.execute(sql % "?", (ex_id,)).fetchall()
    return ["%s:%s" % (e, t) if t else e for e, t in rows]


def event_key(body):
    name = body["event"]
    if name.startswith("TASK"):
        return "%s:%s" % (name, body.get("task_name") or body.get("name"))
    return name


def create_listener(api, url, workflow_name, **extra):
    body = dict(extra, url=url, workflow_name=workflow_name)
    return api.request("POST", "/listeners", expect=(201,), json=body).json()


def deliveries(api, listener_id):
    return api.get("/listeners/%s/deliveries" % listener_id)["deliveries"]


def wait_delivered(api, listener_id, count, timeout=60):
    def done():
        found = deliveries(api, listener_id)
        return len(found) == count and all(
            d["state"] == "DELIVERED" for d in found)
    harness.wait_until(done, timeout, "%d deliveries of listener %s"
                       % (count, listener_id), interval=0.1)


def start_with_notify(api, name, notify):
    return api.request("POST", "/executions", expect=(201,), json={
        "workflow_name": name, "params": {"notify": notify}}).json()


@pytest.fixture(scope="module")
def receiver_port():
    return harness.free_port()


@pytest.fixture(scope="module")
def embedded_notifier(tmp_path_factory):
    deployment = deployment_with_notifier(tmp_path_factory.mktemp("notify"))
    with harness.running(deployment, ["all"]):
        yield deployment


def test_receiver_down_for_a_while_loses_nothing(embedded_notifier,
                                                 receiver_port):
    api = embedded_notifier.api
    definition, _ = harness.sequential_workflow("notified", len(TASKS))
    api.create_workflow(definition)
    receiver = Receiver(receiver_port)
    made = create_listener(api, receiver.url + "/listener", "notified")
    ex = start_with_notify(api, "notified", [
        {"type": "webhook", "url": receiver.url + "/notify",
         "headers": {"X-Token": "tok"}}])
    api.wait_all([ex["id"]], 60)

    def refused_and_retried():
        found = deliveries(api, made["id"])
        return found and all(d["state"] == "PENDING" for d in found) and any(
            d["attempts"] >= 2 and d["last_error"] for d in found)
    harness.wait_until(refused_and_retried, 30,
                       "failed attempts while the receiver is down")
    receiver.start()
    try:
        wait_delivered(api, made["id"], len(expected_events()))
        harness.wait_until(lambda: len(receiver.received("/notify")) == len(
            expected_events()), 30, "notify deliveries")
    finally:
        receiver.stop()

    got = receiver.received("/listener")
    webhook = standardwebhooks.Webhook(made["secret"])
    bodies = [webhook.verify(body, headers) for headers, body in got]
    order = recorded_events(embedded_notifier, ex["id"])
    assert sorted(order) == sorted(expected_events())
    assert [event_key(b) for b in bodies] == order
    assert {b["workflow_execution_id"] for b in bodies} == {ex["id"]}
    assert bodies[-1]["data"]["id"] == ex["id"]
    assert bodies[-1]["data"]["state"] == "SUCCESS"

    cli = json.loads(subprocess.run(
        [sys.executable, "-m", "wfengine.cli.main", "--url", api.url,
         "listener-deliveries", made["id"], "-f", "json"],
        capture_output=True, text=True, timeout=60, check=True).stdout)
    assert [d["State"] for d in cli] == ["DELIVERED"] * len(order)
    assert "WORKFLOW_SUCCEEDED" in [d["Event"] for d in cli]

    notified = [(h, json.loads(b)) for h, b in receiver.received("/notify")]
    assert [event_key(b) for _, b in notified] == order
    assert all(h["x-token"] == "tok" for h, _ in notified)
    assert notified[0][1]["id"] == ex["id"]
    assert notified[1][1]["workflow_execution_id"] == ex["id"]


def test_order_per_execution_with_a_flaky_receiver(embedded_notifier,
                                                   receiver_port):
    api = embedded_notifier.api
    definition, _ = harness.sequential_workflow("ordered", len(TASKS))
    api.create_workflow(definition)
    receiver = Receiver(receiver_port)
    receiver.start()
    try:
        made = create_listener(api, receiver.url + "/flaky", "ordered",
                               events=["EXECUTION", "TASK"])
        ids = [api.start("ordered")["id"] for _ in range(3)]
        api.wait_all(ids, 60)
        wait_delivered(api, made["id"], 3 * len(expected_events()))
        attempts = receiver.attempts("/flaky")
        got = [json.loads(b) for _, b in receiver.received("/flaky")]
    finally:
        receiver.stop()
    assert any(status == 500 for _, status in attempts)
    for ex_id in ids:
        mine = [b for b in got if b["workflow_execution_id"] == ex_id]
        assert [event_key(b) for b in mine] == recorded_events(
            embedded_notifier, ex_id)
    # A failed delivery is repeated until it succeeds before the next one
    # of its execution is tried: per execution, attempts come in runs of
    # one webhook-id that never come back once the next id started.
    execution_of = {}
    for headers, body in receiver.received("/flaky"):
        execution_of[headers["webhook-id"]] = json.loads(
            body)["workflow_execution_id"]
    runs = collections.defaultdict(list)
    for msg_id, _ in attempts:
        ids_seen = runs[execution_of[msg_id]]
        if not ids_seen or ids_seen[-1] != msg_id:
            assert msg_id not in ids_seen, "went back to an earlier event"
            ids_seen.append(msg_id)
    assert receiver.overlaps == []


def test_redirects_are_not_followed(embedded_notifier, receiver_port):
    api = embedded_notifier.api
    definition, _ = harness.sequential_workflow("redirected", 1)
    api.create_workflow(definition)
    receiver = Receiver(receiver_port)
    receiver.start()
    try:
        made = create_listener(api, receiver.url + "/redirect",
                               "redirected", events=["WORKFLOW_LAUNCHED"])
        api.wait_all([api.start("redirected")["id"]], 60)

        def retried_302():
            found = deliveries(api, made["id"])
            return found and found[0]["attempts"] >= 3 and (
                found[0]["last_status_code"] == 302) and found
        (delivery,) = harness.wait_until(retried_302, 30,
                                         "302 answers retried")
        paths = {p for p, _, _, _ in receiver.requests}
    finally:
        receiver.stop()
    assert paths == {"/redirect"}
    assert delivery["state"] == "PENDING"
    assert "redirects are not followed" in delivery["last_error"]


@pytest.mark.parametrize("host", ["127.0.0.2", "[::1]", "0.0.0.0",
                                  "10.0.0.1", "[::ffff:127.0.0.2]",
                                  "2130706434"])
def test_private_and_loopback_refused_unless_allowed(embedded_notifier,
                                                     host):
    api = embedded_notifier.api
    resp = api.request("POST", "/listeners", expect=(400,),
                       json={"url": "http://%s:8080/x" % host})
    assert "allowed_networks" in resp.json()["faultstring"]
    create_listener(api, "http://127.0.0.1:8080/x", "nothing-runs-this")


def test_two_notifiers_never_attempt_the_same_delivery_at_once(
        tmp_path, postgres_db):
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    deployment = deployment_with_notifier(
        tmp_path, {"workers": "4", "batch_size": "4"}, database=postgres_db,
        transport_url=harness.RABBIT_URL)
    deployment.db_manage()
    receiver = Receiver(harness.free_port(), delay=0.05)
    layout = ["api", "engine", "executor", "notifier", "notifier"]
    with harness.running(deployment, layout):
        api = deployment.api
        definition, _ = harness.sequential_workflow("multi", len(TASKS))
        api.create_workflow(definition)
        made = create_listener(api, receiver.url + "/flaky", "multi")
        ids = [api.start("multi")["id"] for _ in range(6)]
        api.wait_all(ids, 120)
        time.sleep(1.0)  # both notifiers retry while the receiver is down
        receiver.start()
        try:
            wait_delivered(api, made["id"], 6 * len(expected_events()), 120)
        finally:
            receiver.stop()
        holders = postgres_db.query(
            "SELECT count(DISTINCT claimed_by) FROM deliveries")
        attempts_by = [open(p.log_path).read().count("wfengine.notifier."
                                                     "delivery Delivery ")
                       for p in deployment.by_name("notifier")]
    assert receiver.overlaps == []
    got = [json.loads(b) for _, b in receiver.received("/flaky")]
    for ex_id in ids:
        mine = [b for b in got if b["workflow_execution_id"] == ex_id]
        assert [event_key(b) for b in mine] == recorded_events(
            deployment, ex_id)
    assert holders == [(0,)]  # every claim was released
    assert len(attempts_by) == 2 and all(attempts_by), attempts_by
