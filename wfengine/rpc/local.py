"""In-process messaging for the embedded deployment.

oslo.messaging's in-memory driver polls its queues every 50 ms, which puts
a sleep on every hop between services living in the same process. This
bus dispatches at once and keeps the semantics the services rely on:
messages travel as JSON (no object is shared between sender and
receiver), a ``call`` returns the endpoint's answer or raises its
exception, a ``cast`` never raises to the sender.

A cast is handed to its endpoint on the sender's thread. The only casts
(``rpc.table``) go to the executor, whose endpoint only queues the
message for the executor's own threads: a pool thread of the bus in
between was one more thread to wake on every hop (with the executor's
claims thread, half the wake-ups of a transition of a lone execution),
and on a busy machine every wake-up waits for a core.
"""
import json
import logging
import threading

import oslo_messaging as messaging

LOG = logging.getLogger(__name__)


class Bus:
    """Endpoints by topic."""

    def __init__(self):
        self._endpoints = {}
        self._lock = threading.Lock()
        self._next = {}

    def register(self, topic, endpoints):
        with self._lock:
            self._endpoints.setdefault(topic, []).append(endpoints)

    def unregister(self, topic, endpoints):
        with self._lock:
            servers = self._endpoints.get(topic, [])
            if endpoints in servers:
                servers.remove(endpoints)

    def dispatch(self, topic, method, kwargs):
        """Deliver one message to one server of ``topic`` (round robin)."""
        with self._lock:
            servers = self._endpoints.get(topic) or []
            if not servers:
                raise LookupError("no server listens on topic %s" % topic)
            index = self._next.get(topic, 0) % len(servers)
            self._next[topic] = index + 1
            endpoints = servers[index]
        for endpoint in endpoints:
            handler = getattr(endpoint, method, None)
            if handler is not None:
                return _invoke(handler, json.loads(json.dumps(kwargs)))
        raise LookupError("no endpoint of topic %s has %s" % (topic, method))

    def cast(self, topic, method, kwargs):
        """Deliver one message nobody answers (see the module's note:
        its endpoint runs on this thread and only queues it)."""
        try:
            self.dispatch(topic, method, kwargs)
        except Exception:
            # A cast has nobody to answer; like a broker cast it is lost,
            # and the outbox sweeper sends it again.
            LOG.exception("In-process cast %s on %s failed", method, topic)

    def shutdown(self):
        with self._lock:
            self._endpoints.clear()


def _invoke(handler, kwargs):
    try:
        return handler({}, **kwargs)
    except messaging.ExpectedException as e:
        # What an oslo.messaging server would unwrap and send back.
        raise e.exc_info[1] from None


class Client:
    """The subset of ``oslo_messaging.RPCClient`` the clients use."""

    def __init__(self, bus, topic):
        self._bus = bus
        self._topic = topic

    def prepare(self, **_options):
        return self

    def call(self, ctxt, method, **kwargs):
        result = self._bus.dispatch(self._topic, method, kwargs)
        return json.loads(json.dumps(result))

    def cast(self, ctxt, method, **kwargs):
        self._bus.cast(self._topic, method, kwargs)


class Server:
    """The subset of ``oslo_messaging.RPCServer`` the launcher uses."""

    def __init__(self, bus, topic, endpoints):
        self._bus = bus
        self._topic = topic
        self._endpoints = endpoints

    def start(self):
        self._bus.register(self._topic, self._endpoints)

    def stop(self):
        self._bus.unregister(self._topic, self._endpoints)

    def wait(self):
        pass
