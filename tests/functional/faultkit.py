"""Tools of the fault tests: a loopback TCP proxy a test can cut, a
side-effect ledger server, and deployments wired through proxies.

The shared PostgreSQL and RabbitMQ are never stopped: a test puts a
:class:`TcpProxy` of its own between its processes and the real service
and makes the proxy refuse connections (as a stopped server does) or
swallow traffic (as a lost network does) for as long as it wants.
"""
import collections
import contextlib
import signal
import socket
import struct
import threading
import time

from tests.functional import harness

_LINGER_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close with RST


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target``; can refuse or swallow.

    * :meth:`refuse`: reset every open connection and stop listening, so
      that a new connection gets "Connection refused".
    * :meth:`blackhole`: keep connections open but pass no byte either
      way, and accept new ones that go nowhere.
    * :meth:`heal`: back to forwarding.
    """

    def __init__(self, target_port, target_host=harness.LOOPBACK):
        self._target = (target_host, target_port)
        self.port = harness.free_port()
        self._lock = threading.Lock()
        self._conns = set()
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = False
        self._listener = None
        self._listen()

    # -- control ----------------------------------------------------------
    def refuse(self):
        """Stop listening and reset every connection."""
        with self._lock:
            listener, self._listener = self._listener, None
            conns, self._conns = self._conns, set()
        if listener is not None:
            _reset(listener)  # wakes the accept() waiting on it
        for sock in conns:
            _reset(sock)

    def blackhole(self):
        """Pass nothing from now on (connections stay open)."""
        self._flowing.clear()

    def heal(self):
        """Forward again (listening again if refusing)."""
        self._flowing.set()
        with self._lock:
            listening = self._listener is not None
        if not listening:
            self._listen()

    def cut_for(self, seconds, mode="refuse"):
        """:meth:`refuse` (or :meth:`blackhole`) for ``seconds``, then
        :meth:`heal`, in a thread; returns the thread."""
        getattr(self, mode)()
        thread = threading.Timer(seconds, self.heal)
        thread.daemon = True
        thread.start()
        return thread

    @contextlib.contextmanager
    def cut(self, mode="refuse"):
        getattr(self, mode)()
        try:
            yield self
        finally:
            self.heal()

    def close(self):
        self._closed = True
        self.refuse()
        self._flowing.set()

    # -- plumbing ---------------------------------------------------------
    def _listen(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        deadline = time.monotonic() + 10
        while True:
            try:
                listener.bind((harness.LOOPBACK, self.port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        listener.listen(128)
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True,
                         name="proxy-accept-%d" % self.port).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by refuse()
            try:
                upstream = socket.create_connection(self._target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                if self._listener is not listener:
                    _reset(client)
                    _reset(upstream)
                    return
                self._conns.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst),
                                 daemon=True).start()

    def _pump(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                # Held while blackholed; dropped if cut meanwhile.
                while not self._flowing.wait(0.2):
                    if src not in self._conns:
                        return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                known = src in self._conns or dst in self._conns
                self._conns.discard(src)
                self._conns.discard(dst)
            if known:
                _reset(src)
                _reset(dst)


def _close(sock):
    try:
        sock.close()
    except OSError:
        pass


def _reset(sock):
    """Abort ``sock``'s connection with a reset, now.

    Closing the descriptor alone is not enough: while another thread of
    the proxy waits in ``recv`` on it, the kernel keeps the connection
    open (the call holds the file) and the peer never hears of it. A
    PostgreSQL session of a killed process then lived on, idle in its
    transaction with the execution locks it held, and every later unit
    of work on those executions waited for it for ever. ``SHUT_RD``
    wakes that ``recv`` without sending anything, and the close then
    resets the connection (``SO_LINGER`` 0)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass
    _close(sock)


class ProxiedDatabase:
    """A :class:`harness.PostgresDatabase` reached through a proxy by the
    deployment (``url``), directly by the test (``query``)."""

    def __init__(self, database, proxy):
        self._database = database
        self.proxy = proxy
        self.name = database.name
        self.url = database.url.replace(":%d/" % harness.PG_PORT,
                                        ":%d/" % proxy.port)

    def query(self, sql, params=None):
        return self._database.query(sql, params)


# The clocks of the fault tests: an executor's death is decided in
# seconds, and the notifier retries quickly for as long as a test lasts.
FAST_LIVENESS = {
    "engine": {"executor_heartbeat_timeout": "3",
               "liveness_check_interval": "0.5"},
    "executor": {"heartbeat_interval": "0.5"},
}
FAST_NOTIFIER = {"allowed_networks": "127.0.0.1/32", "poll_interval": "0.1",
                 "backoff_base": "0.1", "backoff_max": "0.5",
                 "max_attempts": "1000", "http_timeout": "2"}


def proxied_deployment(workdir, postgres_db, config=None, broker=True):
    """A :class:`harness.Deployment` whose processes reach PostgreSQL and
    (with ``broker``) RabbitMQ through proxies of the test:
    ``deployment.db_proxy`` and ``deployment.broker_proxy``."""
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    db_proxy = TcpProxy(harness.PG_PORT)
    broker_proxy = TcpProxy(harness.RABBIT_PORT) if broker else None
    url = harness.RABBIT_URL
    if broker_proxy is not None:
        url = url.replace(":%d/" % harness.RABBIT_PORT,
                          ":%d/" % broker_proxy.port)
    deployment = harness.Deployment(
        workdir, database=ProxiedDatabase(postgres_db, db_proxy),
        transport_url=url, config=config)
    deployment.db_proxy = db_proxy
    deployment.broker_proxy = broker_proxy
    return deployment


def close_proxies(deployment):
    for proxy in (deployment.db_proxy, deployment.broker_proxy):
        if proxy is not None:
            proxy.close()


@contextlib.contextmanager
def running_proxied(workdir, postgres_db, config, layout):
    """A migrated :func:`proxied_deployment` running ``layout``; the
    processes are stopped and the proxies closed afterwards."""
    dep = proxied_deployment(workdir, postgres_db, config=config)
    try:
        dep.db_manage()
        with harness.running(dep, layout):
            yield dep
    finally:
        close_proxies(dep)


class Ledger(harness.StubHttpServer):
    """An HTTP server that counts side effects: ``GET|POST
    /effect/<key>?delay=<s>`` waits ``delay`` seconds, then records
    one effect of ``key`` and answers ``{"key": key}``."""

    def __init__(self):
        super().__init__(default=self._effect)
        self._effects = collections.Counter()
        self._effect_lock = threading.Lock()

    def _effect(self, record):
        if not record["path"].startswith("/effect/"):
            return 404, {"error": "no route"}
        key = record["path"][len("/effect/"):]
        time.sleep(float(record["query"].get("delay") or 0))
        with self._effect_lock:
            self._effects[key] += 1
        return 200, {"key": key}

    def effects(self):
        """``{key: times}`` of the effects recorded so far."""
        with self._effect_lock:
            return dict(self._effects)

    def in_flight(self):
        """Requests received whose effect is not recorded yet."""
        started = collections.Counter(
            r["path"][len("/effect/"):] for r in self.received()
            if r["path"].startswith("/effect/"))
        done = self.effects()
        return sum(n - done.get(k, 0) for k, n in started.items())


def http_workflow(name, length, ledger, delay=0.0, safe_rerun=False):
    """A direct workflow of ``length`` std.http tasks, each recording one
    effect ``<execution id>-<task>`` in ``ledger`` after ``delay``
    seconds; its output is the last task's key. Returns (text, names)."""
    names = ["h%02d" % (i + 1) for i in range(length)]
    lines = ["version: '2.0'", "%s:" % name, "  type: direct",
             "  output:", "    last: <% $.last %>", "  tasks:"]
    for current, following in zip(names, names[1:] + [None]):
        url = "%s/effect/<%% execution().id %%>-%s?delay=%s" % (
            ledger.url, current, delay)
        lines += ["    %s:" % current,
                  "      action: std.http url=\"%s\" timeout=120" % url,
                  "      publish:",
                  "        last: <% task().result.content.key %>"]
        if safe_rerun:
            lines.append("      safe-rerun: true")
        if following:
            lines.append("      on-success: [%s]" % following)
    return "\n".join(lines) + "\n", names


def assert_effects_once(ledger, executions, names):
    """Every execution SUCCESS with its expected output, and each of its
    tasks' side effects recorded exactly once."""
    effects = ledger.effects()
    problems = []
    for ex_id, ex in sorted(executions.items()):
        if ex["state"] != "SUCCESS":
            problems.append("%s: %s (%s)" % (ex_id, ex["state"],
                                             ex.get("state_info")))
            continue
        want = "%s-%s" % (ex_id, names[-1])
        output = harness.loads_field(ex.get("output")) or {}
        if output.get("last") != want:
            problems.append("%s: output %r" % (ex_id, output))
        for name in names:
            times = effects.get("%s-%s" % (ex_id, name), 0)
            if times != 1:
                problems.append("%s/%s: side effect %d times"
                                % (ex_id, name, times))
    assert not problems, "%d problems:\n%s" % (len(problems),
                                               "\n".join(problems[:50]))


def assert_outbox_drained(deployment, timeout=60):
    """Nothing left to send: the engines' outbox ends empty."""
    harness.wait_until(
        lambda: deployment.db.query("SELECT count(*) FROM outbox")[0][0] == 0,
        timeout, "the outbox to drain")


def assert_no_error_actions(deployment, ex_ids):
    rows = deployment.db.query(
        "SELECT a.id, a.state, a.state_info FROM action_executions a"
        " JOIN task_executions t ON a.task_execution_id = t.id"
        " WHERE t.workflow_execution_id = ANY(%s) AND a.state <> 'SUCCESS'",
        (list(ex_ids),))
    assert rows == [], "action executions not SUCCESS: %s" % rows[:10]


def assert_some_running(deployment, ex_ids):
    """Guard of a fault test, read straight from the database: some
    executions were still RUNNING (the fault hit work in progress)."""
    [(running,)] = deployment.db.query(
        "SELECT count(*) FROM workflow_executions"
        " WHERE id = ANY(%s) AND state = 'RUNNING'", (list(ex_ids),))
    assert running, "every execution had finished: the test proved nothing"


def replace(deployment, proc, timeout=90):
    """SIGTERM ``proc`` and wait for it to exit with 0 (a graceful stop),
    then start another process of its kind and wait until it serves;
    returns the new process."""
    rc = deployment.kill(proc, signal.SIGTERM, timeout=timeout)
    assert rc == 0, "%s exited %s after SIGTERM:\n%s" % (proc.name, rc,
                                                        proc.tail())
    proc.stop()
    deployment.processes.remove(proc)
    deployment.retired.append(proc)
    new = deployment.start(",".join(proc.services),
                           name="%s-r%d" % (proc.services[0],
                                            len(deployment.retired)))
    if "api" in new.services:
        deployment.wait_for_api(60)
    deployment.wait_for_consumers(60)
    return new
