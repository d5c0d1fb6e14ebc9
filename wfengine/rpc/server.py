"""Transport, targets and RPC servers: the one place that knows them.

In-process mode (no ``transport_url`` and every service in one process)
uses oslo.messaging's in-memory transport, so embedded and distributed
deployments run the very same clients and endpoints.
"""
import os
import socket

import oslo_messaging as messaging

from wfengine import exceptions

ALLOWED_EXMODS = [exceptions.__name__]
IN_PROCESS_URL = "fake:/"

_transport = None


def init(conf, in_process=False):
    """Create the process's transport (once)."""
    global _transport
    if _transport is None:
        if in_process:
            conf.set_override("transport_url", IN_PROCESS_URL)
        _transport = messaging.get_rpc_transport(
            conf, allowed_remote_exmods=ALLOWED_EXMODS)
    return _transport


def cleanup():
    global _transport
    if _transport is not None:
        _transport.cleanup()
    _transport = None


def get_transport():
    if _transport is None:
        raise RuntimeError("RPC transport is not initialised")
    return _transport


def host_name(configured=None):
    """A name for this process: configured, or host name plus pid."""
    return configured or "%s-%d" % (socket.gethostname(), os.getpid())


def target(topic, server=None, version=None):
    return messaging.Target(topic=topic, server=server, version=version)


def get_server(topic, server_name, endpoints):
    """An RPC server on ``topic`` dispatching to ``endpoints`` in threads."""
    return messaging.get_rpc_server(
        get_transport(), target(topic, server=server_name), endpoints,
        executor="threading")


def get_client(topic, version, timeout=None):
    return messaging.get_rpc_client(
        get_transport(), target(topic, version=version), timeout=timeout)

