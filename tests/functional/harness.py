"""Run wfengine as real processes and talk to it over HTTP.

Everything a functional test needs and nothing it asserts: free ports,
a throw-away PostgreSQL database, a config file, the server processes
(with their logs in files), a small REST client and the direct database
checks. A test builds a :class:`Deployment`, starts the services it
wants, and uses ``deployment.api``.

Services the tests need (PostgreSQL, RabbitMQ) are probed with
:func:`require_tcp`: when ``CI=true`` an unreachable service fails the
test, otherwise it skips it.
"""
import collections
import configparser
import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests

LOOPBACK = "127.0.0.1"
PG_PORT = 5432
RABBIT_PORT = 5672
PG_ADMIN_DSN = "host=%s port=%d user=postgres dbname=postgres" % (
    LOOPBACK, PG_PORT)
RABBIT_URL = "rabbit://guest:guest@%s:%d/" % (LOOPBACK, RABBIT_PORT)
AMQP_URL = "amqp://guest:guest@%s:%d//" % (LOOPBACK, RABBIT_PORT)  # kombu

TERMINAL_STATES = frozenset({"SUCCESS", "ERROR", "CANCELLED"})
POLL = 0.05
LOG_TAIL_LINES = 60

CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(reason):
    """Fail under CI, skip elsewhere (a service the test needs is down)."""
    if CI:
        pytest.fail("CI=true and %s" % reason, pytrace=False)
    pytest.skip(reason)


def require_tcp(port, name, host=LOOPBACK):
    try:
        with socket.create_connection((host, port), timeout=2):
            return
    except OSError as exc:
        unavailable("%s is not reachable at %s:%d (%s)" % (name, host, port,
                                                          exc))


def free_port():
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def random_hex():
    return uuid.uuid4().hex[:12]


def wait_until(predicate, timeout, what, interval=POLL):
    """Poll ``predicate`` until it returns a truthy value; return it.

    :raises AssertionError: ``timeout`` seconds passed; names ``what``.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s"
                                 % (timeout, what))
        time.sleep(interval)


# --------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------

class PostgresDatabase:
    """A database of its own on the local server, dropped by ``drop()``."""

    def __init__(self):
        import psycopg2  # only tests that use PostgreSQL need it

        self._psycopg2 = psycopg2
        require_tcp(PG_PORT, "PostgreSQL")
        self.name = "wfe_" + random_hex()
        self._admin(["CREATE DATABASE %s" % self.name])
        self.url = "postgresql+psycopg2://postgres@%s:%d/%s" % (
            LOOPBACK, PG_PORT, self.name)

    def _admin(self, statements):
        conn = self._psycopg2.connect(PG_ADMIN_DSN)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
        finally:
            conn.close()

    def query(self, sql, params=None):
        """Run one read-only statement on the test database; all rows."""
        conn = self._psycopg2.connect(
            host=LOOPBACK, port=PG_PORT, user="postgres", dbname=self.name)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()
        finally:
            conn.close()

    def drop(self):
        self._admin(["DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name])


# --------------------------------------------------------------------------
# REST client
# --------------------------------------------------------------------------

class ApiError(AssertionError):
    def __init__(self, response):
        self.response = response
        super().__init__("%s %s -> %d: %s" % (
            response.request.method, response.request.url,
            response.status_code, response.text[:2000]))


class ApiClient:
    """The few Mistral v2 calls the tests make, with JSON decoding."""

    def __init__(self, base_url):
        self.url = base_url.rstrip("/")
        self.session = requests.Session()

    def request(self, method, path, expect=(200,), **kwargs):
        """Send a request; return the response (checked against ``expect``,
        unless ``expect`` is None)."""
        kwargs.setdefault("timeout", 30)
        resp = self.session.request(method, self.url + path, **kwargs)
        if expect is not None and resp.status_code not in expect:
            raise ApiError(resp)
        return resp

    def get(self, path, **params):
        return self.request("GET", path, params=params or None).json()

    # -- workflows ---------------------------------------------------------
    def create_workflow(self, definition):
        resp = self.request("POST", "/workflows", expect=(201,),
                            data=definition.encode(),
                            headers={"Content-Type": "text/plain"})
        return resp.json()["workflows"]

    def list_workflows(self):
        return self.get("/workflows")["workflows"]

    # -- executions --------------------------------------------------------
    def start(self, workflow_name, wf_input=None):
        body = {"workflow_name": workflow_name}
        if wf_input is not None:
            body["input"] = json.dumps(wf_input)
        return self.request("POST", "/executions", expect=(201,),
                            json=body).json()

    def execution(self, ex_id):
        return self.get("/executions/%s" % ex_id)

    def list_executions(self, **filters):
        params = {"limit": 1000}
        params.update(filters)
        return self.get("/executions", **params)["executions"]

    def execution_states(self):
        return {ex["id"]: ex["state"]
                for ex in self.list_executions(fields="id,state")}

    def wait_all(self, ids, timeout):
        """Wait until every execution in ``ids`` is in a terminal state.

        :returns: ``{id: execution}`` with the full execution of each.
        :raises AssertionError: some are still running at the deadline
            (the message counts them by state).
        """
        ids = set(ids)
        last = {}

        def all_done():
            states = self.execution_states()
            missing = ids - states.keys()
            assert not missing, "executions not listed: %s" % sorted(missing)
            last.update({i: states[i] for i in ids})
            return all(s in TERMINAL_STATES for s in last.values())

        try:
            wait_until(all_done, timeout, "%d executions to finish"
                       % len(ids), interval=0.1)
        except AssertionError as exc:
            counts = dict(collections.Counter(last.values()))
            raise AssertionError("%s; states now: %s" % (exc, counts))
        return {i: self.execution(i) for i in ids}

    # -- tasks and actions -------------------------------------------------
    def tasks(self, ex_id):
        return self.get("/tasks", workflow_execution_id=ex_id)["tasks"]

    def task(self, task_id):
        return self.get("/tasks/%s" % task_id)

    def action_executions(self, task_id):
        return self.get("/action_executions",
                        task_execution_id=task_id)["action_executions"]


def loads_field(value):
    """Decode a JSON-string field of a Mistral resource (None stays)."""
    if value is None or isinstance(value, (dict, list)):
        return value
    return json.loads(value)


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------

def _die_with_parent():
    """Child side of fork: get SIGKILL if the test runner dies hard."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def tail_file(path, lines=LOG_TAIL_LINES):
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError as exc:
        return "<no log: %s>" % exc
    return "\n".join(text.splitlines()[-lines:])


class Process:
    """One wfengine process, its command line and its log file."""

    def __init__(self, name, services, argv, log_path, env):
        self.name = name
        self.services = services
        self._terminated = False
        self.argv = argv
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.popen = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, env=env,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None)

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def signal(self, signum):
        if self.alive():
            self.popen.send_signal(signum)

    def terminate(self):
        """SIGTERM, once: a second one could hit the process after Python
        restored the default handler during its exit, and kill it."""
        if not self._terminated:
            self._terminated = True
            self.signal(signal.SIGTERM)

    def stop(self, grace=5.0):
        """SIGTERM, then SIGKILL after ``grace`` seconds; the exit code."""
        self.terminate()
        try:
            self.popen.wait(max(grace, 0.01))
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)
        self._log.close()
        return self.popen.returncode

    def tail(self, lines=LOG_TAIL_LINES):
        return tail_file(self.log_path, lines)


class Deployment:
    """A wfengine installation: one config, one database, its processes.

    :param workdir: a directory of its own (config, logs, sqlite file).
    :param database: a :class:`PostgresDatabase` (kept as ``db`` for
        direct checks); default a SQLite file in workdir.
    :param transport_url: oslo.messaging URL; None for in-process
        messaging (then only ``--server all`` works).
    :param config: ``{section: {option: value}}`` written into the config
        file on top of the defaults (a section given here is merged with
        the default one of that name, option by option).
    """

    def __init__(self, workdir, database=None, transport_url=None,
                 config=None):
        self.workdir = str(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.tag = random_hex()
        self.port = free_port()
        self.url = "http://%s:%d/v2" % (LOOPBACK, self.port)
        self.db = database
        self.database_url = database.url if database else (
            "sqlite:///%s" % os.path.join(self.workdir, "wfengine.sqlite"))
        self.transport_url = transport_url
        self.processes = []
        # Processes a test stopped and took out of ``processes`` (their
        # broker queues are still cleaned up).
        self.retired = []
        self.api = ApiClient(self.url)
        self.config_file = os.path.join(self.workdir, "wfengine.conf")
        self.extra_config = {section: dict(options) for section, options
                             in (config or {}).items()}
        self._write_config()
        self.env = dict(os.environ, PYTHONUNBUFFERED="1")

    def _write_config(self):
        conf = configparser.ConfigParser(interpolation=None)
        conf["DEFAULT"] = {"control_exchange": "wfe_" + self.tag}
        if self.transport_url:
            conf["DEFAULT"]["transport_url"] = self.transport_url
        conf["api"] = {"host": LOOPBACK, "port": str(self.port)}
        conf["database"] = {"connection": self.database_url}
        conf["engine"] = {"topic": self.topics()["engine"],
                          "outbox_sweep_interval": "0.5",
                          "outbox_resend_after": "2"}
        conf["executor"] = {"topic": self.topics()["executor"],
                            "report_timeout": "3"}
        for section, options in self.extra_config.items():
            if section != "DEFAULT" and not conf.has_section(section):
                conf[section] = {}
            for option, value in options.items():
                conf[section][option] = str(value)
        with open(self.config_file, "w") as f:
            conf.write(f)

    def _log_path(self, name):
        return os.path.join(self.workdir, "%s.log" % name)

    def db_manage(self, timeout=120):
        """``wfengine-db-manage upgrade head``; fails the test on error."""
        argv = [sys.executable, "-m", "wfengine.cmd.db_manage",
                "--config-file", self.config_file, "upgrade", "heads"]
        log_path = self._log_path("db-manage")
        with open(log_path, "wb") as log:
            rc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env=self.env,
                                timeout=timeout).returncode
        if rc != 0:
            raise AssertionError("db-manage exited %d:\n%s"
                                 % (rc, tail_file(log_path)))

    def start(self, services, name=None, env=None, args=()):
        """Start one ``wfengine-server --server <services>`` process
        (``env``: variables added to its environment; ``args``: added to
        its command line, e.g. ``["--monitoring-status_port", "9101"]``)."""
        name = name or "%s-%d" % (services.replace(",", "+"),
                                  len(self.processes))
        argv = [sys.executable, "-m", "wfengine.cmd.launch",
                "--config-file", self.config_file, "--server",
                services] + list(args)
        proc = Process(name, services.split(","), argv, self._log_path(name),
                       dict(self.env, **(env or {})))
        self.processes.append(proc)
        return proc

    def wait_for_api(self, timeout=60):
        """Wait until ``GET /v2`` answers 200 (and every process lives)."""
        def ready():
            dead = [p for p in self.processes if not p.alive()]
            if dead:
                raise AssertionError(
                    "process exited before the API was ready: %s" % ", ".join(
                        "%s (rc=%s)" % (p.name, p.popen.returncode)
                        for p in dead))
            try:
                return requests.get(self.url, timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(ready, timeout, "GET %s to answer 200" % self.url)

    def topics(self):
        return {"engine": "wfe_engine_" + self.tag,
                "executor": "wfe_executor_" + self.tag}

    def wait_for_consumers(self, timeout=60):
        """With a broker: wait until every live engine and executor process
        consumes from its topic queue, so that no request is published
        before anyone listens (RabbitMQ drops messages that no queue
        takes). oslo.messaging names the shared queue after the topic."""
        import kombu

        wanted = {}
        for proc in self.processes:
            if not proc.alive():
                continue  # a process a test killed consumes nothing
            for service in self.topics():
                if service in proc.services or "all" in proc.services:
                    wanted[service] = wanted.get(service, 0) + 1
        with kombu.Connection(AMQP_URL, connect_timeout=5) as conn:
            def consumers(queue):
                try:
                    channel = conn.channel()
                    try:
                        return channel.queue_declare(queue,
                                                     passive=True)[2]
                    finally:
                        channel.close()
                except conn.channel_errors:
                    return 0  # not declared yet

            for service, count in wanted.items():
                queue = self.topics()[service]
                wait_until(lambda: consumers(queue) >= count, timeout,
                           "%d consumers on queue %s" % (count, queue),
                           interval=0.1)

    def by_name(self, prefix):
        return [p for p in self.processes if p.name.startswith(prefix)]

    def kill(self, proc, signum=signal.SIGKILL, timeout=10):
        """Send ``signum`` to ``proc`` and wait for it to exit."""
        if signum == signal.SIGTERM:
            proc.terminate()
        else:
            proc.signal(signum)
        try:
            return proc.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.signal(signal.SIGUSR2)  # its threads' stacks, in its log
            time.sleep(1)
            raise AssertionError("%s (pid %d) still running %.0fs after "
                                 "signal %d; its log ends:\n%s" % (
                                     proc.name, proc.pid, timeout, signum,
                                     proc.tail(120))) from None

    def stop(self, grace=5.0):
        """SIGTERM every process at once, SIGKILL those still running
        ``grace`` seconds later; ``{name: exit code}``."""
        for proc in self.processes:
            proc.terminate()
        deadline = time.monotonic() + grace
        codes = {proc.name: proc.stop(max(0.0, deadline - time.monotonic()))
                 for proc in self.processes}
        if self.transport_url:
            self._delete_broker_objects()
        return codes

    def _delete_broker_objects(self):
        """Best effort: drop this deployment's queues and exchanges, which
        oslo.messaging declares non-auto-delete, from the shared vhost.
        Per-server queues are ``<topic>.<hostname>-<pid>``; the randomly
        named fanout queues of killed processes expire by themselves."""
        import kombu  # comes with oslo.messaging's rabbit driver

        topics = list(self.topics().values())
        hosts = ["%s-%d" % (socket.gethostname(), p.pid)
                 for p in self.processes + self.retired] + [
                     socket.gethostname()]
        queues = topics + ["%s.%s" % (t, h) for t in topics for h in hosts]
        try:
            with kombu.Connection(AMQP_URL, connect_timeout=5) as conn:
                channel = conn.channel()
                for queue in queues:
                    channel.queue_delete(queue)
                for exchange in ["wfe_" + self.tag] + [
                        t + "_fanout" for t in topics]:
                    channel.exchange_delete(exchange)
        except Exception as exc:  # cleanup must not hide a test's result
            print("broker cleanup failed: %r" % exc)

    def log_tails(self, lines=LOG_TAIL_LINES):
        """``[(title, text)]`` with the end of every process log."""
        out = []
        logs = [(p.name, p.tail(lines), p.argv)
                for p in self.retired + self.processes]
        db_log = self._log_path("db-manage")
        if os.path.exists(db_log):
            logs.insert(0, ("db-manage", tail_file(db_log, lines), None))
        for name, text, argv in logs:
            title = "wfengine log %s (%s)" % (name, os.path.join(
                self.workdir, name + ".log"))
            if argv:
                text = "$ %s\n%s" % (" ".join(argv), text)
            out.append((title, text))
        return out


@contextlib.contextmanager
def running(deployment, layout, api_timeout=90):
    """Start ``layout`` (list of ``--server`` values, one per process),
    wait for the API, and stop everything on exit."""
    try:
        for services in layout:
            deployment.start(services)
        try:
            deployment.wait_for_api(api_timeout)
            if deployment.transport_url:
                deployment.wait_for_consumers(api_timeout)
        except AssertionError as exc:
            raise AssertionError("%s\n\n%s" % (exc, "\n\n".join(
                "----- %s -----\n%s" % section
                for section in deployment.log_tails()))) from None
        yield deployment
    finally:
        deployment.stop()


# --------------------------------------------------------------------------
# Workflow definitions used by several tests
# --------------------------------------------------------------------------

def sequential_workflow(name, length, action="std.noop"):
    """A direct workflow of ``length`` tasks t01 -> t02 -> ..., each
    running ``action`` (std.noop by default)."""
    names = ["t%02d" % (i + 1) for i in range(length)]
    lines = ["version: '2.0'", "%s:" % name, "  type: direct", "  tasks:"]
    for current, following in zip(names, names[1:] + [None]):
        lines += ["    %s:" % current, "      action: %s" % action]
        if following:
            lines.append("      on-success: [%s]" % following)
    return "\n".join(lines) + "\n", names


def parallel_join_workflow(name, width):
    """``width`` start tasks p01..pNN in parallel, then ``joined``
    (``join: all``)."""
    names = ["p%02d" % (i + 1) for i in range(width)]
    lines = ["version: '2.0'", "%s:" % name, "  type: direct", "  tasks:"]
    for task in names:
        lines += ["    %s:" % task, "      action: std.noop",
                  "      on-success: [joined]"]
    lines += ["    joined:", "      join: all", "      action: std.noop"]
    return "\n".join(lines) + "\n", names + ["joined"]


# --------------------------------------------------------------------------
# Load and exactly-once checks
# --------------------------------------------------------------------------

def start_many(deployment, definition, name, count):
    """Create the workflow and start ``count`` executions; their ids."""
    deployment.api.create_workflow(definition)
    ids = [deployment.api.start(name)["id"] for _ in range(count)]
    assert len(set(ids)) == count, "execution ids are not unique"
    return ids


def run_many(deployment, definition, name, count, timeout):
    """:func:`start_many`, then wait; ``{id: execution}``."""
    ids = start_many(deployment, definition, name, count)
    return deployment.api.wait_all(ids, timeout)


def assert_exactly_once(deployment, executions, task_names):
    """Through the API, and in PostgreSQL when the deployment uses it."""
    assert_tasks_once_via_api(deployment.api, executions, task_names)
    if deployment.db is not None:
        assert_tasks_once_in_db(deployment.db, executions, len(task_names))


def assert_tasks_once_via_api(api, executions, expected_names):
    """Every execution SUCCESS, with exactly ``expected_names`` as tasks
    (each once, SUCCESS) and exactly one SUCCESS action per task."""
    problems = []
    for ex_id, ex in sorted(executions.items()):
        if ex["state"] != "SUCCESS":
            problems.append("%s: state %s (%s)" % (ex_id, ex["state"],
                                                   ex.get("state_info")))
            continue
        tasks = api.tasks(ex_id)
        names = sorted(t["name"] for t in tasks)
        if names != sorted(expected_names):
            problems.append("%s: tasks %s" % (ex_id, names))
        for task in tasks:
            if task["state"] != "SUCCESS":
                problems.append("%s/%s: state %s" % (ex_id, task["name"],
                                                     task["state"]))
            actions = api.action_executions(task["id"])
            if [a["state"] for a in actions] != ["SUCCESS"]:
                problems.append("%s/%s: action executions %s" % (
                    ex_id, task["name"], [a["state"] for a in actions]))
    assert not problems, "%d problems:\n%s" % (len(problems),
                                               "\n".join(problems[:50]))


def assert_tasks_once_in_db(db, ex_ids, tasks_per_execution):
    """Same facts straight from PostgreSQL."""
    ex_ids = list(ex_ids)
    duplicates = db.query(
        "SELECT workflow_execution_id, name, count(*) FROM task_executions"
        " WHERE workflow_execution_id = ANY(%s)"
        " GROUP BY workflow_execution_id, name HAVING count(*) > 1",
        (ex_ids,))
    assert duplicates == [], "duplicate task executions: %s" % duplicates

    counts = dict(db.query(
        "SELECT workflow_execution_id, count(*) FROM task_executions"
        " WHERE workflow_execution_id = ANY(%s)"
        " GROUP BY workflow_execution_id", (ex_ids,)))
    wrong = {i: counts.get(i, 0) for i in ex_ids
             if counts.get(i, 0) != tasks_per_execution}
    assert wrong == {}, "task executions per execution (want %d): %s" % (
        tasks_per_execution, wrong)

    bad_actions = db.query(
        "SELECT t.workflow_execution_id, t.name, count(a.id)"
        " FROM task_executions t"
        " LEFT JOIN action_executions a ON a.task_execution_id = t.id"
        " WHERE t.workflow_execution_id = ANY(%s)"
        " GROUP BY t.id, t.workflow_execution_id, t.name"
        " HAVING count(a.id) <> 1", (ex_ids,))
    assert bad_actions == [], (
        "tasks without exactly one action execution: %s" % bad_actions)


# --------------------------------------------------------------------------
# A local HTTP server that workflows call (std.http, std.mistral_http)
# --------------------------------------------------------------------------

# std.http's default denied networks without loopback, so that workflows may
# call a test server on 127.0.0.1 (``[action_std_http] denied_cidrs``).
def std_http_loopback_config():
    """``Deployment(config=...)`` content letting std.http reach
    127.0.0.1 (and nothing else on loopback than the default allows)."""
    from wfengine import netguard

    denied = [c for c in netguard.DEFAULT_DENIED_CIDRS if c != "127.0.0.0/8"]
    return {"action_std_http": {"denied_cidrs": ",".join(denied)}}


class StubHttpServer:
    """A threaded stdlib HTTP server on 127.0.0.1 that records requests.

    ``routes`` maps a path (without query string) to a callable taking the
    recorded request dict (``method``, ``path``, ``query``, ``headers``
    with lower-case names, ``body`` as text, ``json`` when it parses) and
    returning ``(status, json_body)``; other paths go to ``default`` (a
    callable of the same kind), else answer 404. A route may be set or
    replaced while the server runs.
    """

    def __init__(self, routes=None, default=None):
        import http.server
        import threading
        import urllib.parse

        self.routes = dict(routes or {})
        self.default = default
        self.requests = []
        self._lock = threading.Lock()
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace")
                parts = urllib.parse.urlsplit(self.path)
                record = {"method": self.command, "path": parts.path,
                          "query": dict(urllib.parse.parse_qsl(parts.query)),
                          "headers": {k.lower(): v
                                      for k, v in self.headers.items()},
                          "body": body, "json": None,
                          "time": time.monotonic()}
                try:
                    record["json"] = json.loads(body) if body else None
                except ValueError:
                    pass
                with stub._lock:
                    stub.requests.append(record)
                    route = stub.routes.get(parts.path) or stub.default
                try:
                    status, payload = (route(record) if route
                                       else (404, {"error": "no route"}))
                except Exception as exc:  # a route bug must show
                    status, payload = 599, {"error": repr(exc)}
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://%s:%d" % (LOOPBACK, self.port)
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        daemon=True, name="stub-http")
        self._thread.start()

    def route(self, path, handler):
        with self._lock:
            self.routes[path] = handler

    def received(self, path=None):
        """The recorded requests (on ``path`` only, if given)."""
        with self._lock:
            return [r for r in self.requests
                    if path is None or r["path"] == path]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# --------------------------------------------------------------------------
# Lifecycle helpers: start with an env, wait for a state, find a task
# --------------------------------------------------------------------------

def start_execution(api, workflow_name, wf_input=None, env=None):
    """``POST /v2/executions`` with ``params.env``; the execution."""
    body = {"workflow_name": workflow_name}
    if wf_input is not None:
        body["input"] = json.dumps(wf_input)
    if env is not None:
        body["params"] = json.dumps({"env": env})
    return api.request("POST", "/executions", expect=(201,),
                       json=body).json()


def waiting_async_action(deployment, workflow_name, timeout=60):
    """Start ``workflow_name``, whose first task runs an asynchronous
    action; the execution's id and the action execution's, once its
    executor has started it (claimed: before that, a completion is
    refused)."""
    ex = start_execution(deployment.api, workflow_name)

    def started():
        rows = deployment.db.query(
            "SELECT id FROM action_executions WHERE workflow_execution_id"
            " = %s AND state = 'RUNNING' AND NOT is_sync AND claimed_by IS"
            " NOT NULL", (ex["id"],))
        return rows[0][0] if rows else None
    return ex["id"], wait_until(started, timeout,
                                "the asynchronous action of %s" % ex["id"])


def wait_execution_state(api, ex_id, wanted, timeout=60):
    """Wait until execution ``ex_id`` is in ``wanted`` (a state or a set of
    states); returns it. Fails at once if it ends in another terminal
    state (naming its state_info)."""
    wanted = {wanted} if isinstance(wanted, str) else set(wanted)
    last = {}

    def reached():
        ex = api.execution(ex_id)
        last["ex"] = ex
        if ex["state"] in wanted:
            return ex
        if ex["state"] in TERMINAL_STATES:
            raise AssertionError(
                "execution %s ended %s, waiting for %s; state_info: %s"
                % (ex_id, ex["state"], sorted(wanted), ex.get("state_info")))
        return None

    try:
        return wait_until(reached, timeout, "execution %s to reach %s"
                          % (ex_id, sorted(wanted)))
    except AssertionError as exc:
        ex = last.get("ex") or {}
        raise AssertionError("%s; last state %s" % (
            exc, ex.get("state"))) from None


def tasks_by_name(api, ex_id):
    """``{name: [task, ...]}`` of one execution."""
    found = collections.defaultdict(list)
    for task in api.tasks(ex_id):
        found[task["name"]].append(task)
    return dict(found)


def task_named(api, ex_id, name, timeout=0):
    """The one task called ``name`` of the execution (waits up to
    ``timeout`` seconds for it to appear)."""
    def one():
        found = tasks_by_name(api, ex_id).get(name, [])
        assert len(found) <= 1, "%d tasks named %s in %s" % (
            len(found), name, ex_id)
        return found[0] if found else None

    if timeout:
        return wait_until(one, timeout, "task %s of %s" % (name, ex_id))
    task = one()
    assert task is not None, "no task %s in execution %s" % (name, ex_id)
    return task


def action_claim(deployment, action_ex_id):
    """``(state, claimed_by, executor)`` of an action execution, read
    straight from the deployment's database (PostgreSQL or its SQLite
    file); None if there is no such row. The API does not show claims."""
    sql = ("SELECT state, claimed_by, executor FROM action_executions"
           " WHERE id = %s")
    if deployment.db is not None:
        rows = deployment.db.query(sql, (action_ex_id,))
    else:
        import sqlite3

        path = deployment.database_url[len("sqlite:///"):]
        conn = sqlite3.connect("file:%s?mode=ro" % path, uri=True,
                               timeout=10)
        try:
            rows = conn.execute(sql.replace("%s", "?"),
                                (action_ex_id,)).fetchall()
        finally:
            conn.close()
    return tuple(rows[0]) if rows else None


def wait_action_claimed(deployment, action_ex_id, timeout=30):
    """Wait until an executor has claimed the action; its claim row."""
    return wait_until(
        lambda: (lambda row: row if row and row[1] else None)(
            action_claim(deployment, action_ex_id)),
        timeout, "action execution %s to be claimed" % action_ex_id)


def wait_all_while(deployment, ids, timeout, fault, times, interval):
    """Wait for the executions while ``fault()`` strikes again ``times``
    times, every ``interval`` seconds, in a thread; ``{id: execution}``."""
    done = threading.Event()

    def strike():
        for _ in range(times):
            if done.wait(interval):
                return
            fault()

    thread = threading.Thread(target=strike, daemon=True)
    thread.start()
    try:
        return deployment.api.wait_all(ids, timeout)
    finally:
        done.set()
        thread.join(60)


def assert_some_unfinished(deployment, ids, when):
    """Guard a fault test: some executions still ran ``when``."""
    states = deployment.api.execution_states()
    assert any(states[i] not in TERMINAL_STATES for i in ids), (
        "all executions finished %s: the test proved nothing" % when)


class CommandLine:
    """Runs one command-line client against a deployment.

    ``argv`` is what every call starts with; ``json()`` adds ``-f json``
    (the cliff output formats both clients share) and parses the output.
    """

    name = "command"

    def __init__(self, argv, env, workdir):
        self.argv = list(argv)
        self.env = env
        self.workdir = workdir

    def run(self, *args, rc=0, timeout=60, env=None):
        """Run with ``args``; assert the exit code unless ``rc`` is None."""
        argv = self.argv + list(args)
        proc = subprocess.run(argv, capture_output=True, text=True,
                              env=env or self.env, cwd=self.workdir,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        if rc is not None:
            assert proc.returncode == rc, (
                "%s exited %d (expected %d)\nstdout:\n%s\nstderr:\n%s" % (
                    " ".join(argv), proc.returncode, rc, proc.stdout,
                    proc.stderr))
        return proc

    def json(self, *args):
        out = self.run(*(list(args) + ["-f", "json"])).stdout
        try:
            return json.loads(out)
        except ValueError:
            pytest.fail("not JSON from %s %s: %r" % (self.name, args, out))
