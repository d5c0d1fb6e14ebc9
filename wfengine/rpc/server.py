"""Transport, targets and RPC servers: the one place that knows them.

In-process mode (no ``transport_url`` and every service in one process)
uses ``rpc.local``'s bus, so embedded and distributed deployments run the
very same clients and endpoints, with the same message semantics.
"""
import os
import socket

import oslo_messaging as messaging

from wfengine import exceptions
from wfengine.rpc import local

ALLOWED_EXMODS = [exceptions.__name__]

_transport = None
_bus = None


def init(conf, in_process=False):
    """Create the process's transport, or its in-process bus (once)."""
    global _transport, _bus
    if in_process:
        _bus = _bus or local.Bus()
    elif _transport is None:
        set_ack_wait(conf.messaging_ack_wait)
        _transport = messaging.get_rpc_transport(
            conf, allowed_remote_exmods=ALLOWED_EXMODS)


def set_ack_wait(seconds):
    """Let the RabbitMQ driver's consumer threads wait ``seconds`` at
    least before they look for acknowledgements to send
    (``[DEFAULT] messaging_ack_wait``).

    The driver's consumer loop waits on the socket for 1 ms after each
    message, then 2, 4, 8... ms, each time to send the acknowledgements
    other threads queued for it (its connection is not thread-safe). A
    message that arrives ends a wait at once, so a longer first wait
    delays only acknowledgements, and saves the wake-ups: each costs a
    round through kombu's and oslo.messaging's layers in Python. The
    driver keeps the value in a module constant; a driver without it is
    left as it is.
    """
    try:
        from oslo_messaging._drivers import amqpdriver
    except ImportError:   # pragma: no cover - a driver reorganized
        return False
    if not hasattr(amqpdriver, "ACK_REQUEUE_EVERY_SECONDS_MIN"):
        return False
    amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MIN = seconds
    return True


def cleanup():
    global _transport, _bus
    if _transport is not None:
        _transport.cleanup()
    if _bus is not None:
        _bus.shutdown()
    _transport = None
    _bus = None


def get_transport():
    if _transport is None:
        raise RuntimeError("RPC transport is not initialised")
    return _transport


def host_name(configured=None):
    """A name for this process: configured, or host name plus pid."""
    return configured or "%s-%d" % (socket.gethostname(), os.getpid())


def queue_server(name):
    """The RPC server name to listen as, for a process called ``name``.

    A process's default name (host name and pid, see :func:`host_name`)
    would give it a queue ``<topic>.<host>-<pid>`` that RabbitMQ keeps
    after the process is gone, a new one at every restart. The host name
    alone is stable across restarts: processes of one kind on one host
    share that queue, and a task's ``target: <host>`` reaches one of them.
    A configured name is used as it is.
    """
    return socket.gethostname() if name == host_name() else name


def target(topic, server=None, version=None):
    return messaging.Target(topic=topic, server=server, version=version)


def get_server(topic, server_name, endpoints):
    """An RPC server on ``topic`` dispatching to ``endpoints`` in threads."""
    if _bus is not None:
        return local.Server(_bus, topic, endpoints)
    return messaging.get_rpc_server(
        get_transport(), target(topic, server=queue_server(server_name)),
        endpoints, executor="threading")


def get_client(topic, version, timeout=None):
    """A client for ``topic``: ``call``, ``cast`` and ``prepare``."""
    if _bus is not None:
        return local.Client(_bus, topic)
    return messaging.get_rpc_client(
        get_transport(), target(topic, version=version), timeout=timeout)

