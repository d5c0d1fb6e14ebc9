"""RPC endpoints, generated from the message table (``rpc.table``).

An endpoint holds a service object; each method of its topic decodes the
wire dicts into the table's message class and calls the service's method
of the same name with it (a list of them for a ``many`` method). A
``call`` lets ``exceptions.WFEngineException`` through to the caller (a
NotFound raised in the engine reaches the API as NotFound); a ``cast``
has no caller, so what it raises is logged by the server.
"""
import oslo_messaging as messaging

from wfengine import exceptions
from wfengine.rpc import messages
from wfengine.rpc import table


def _handler(entry):
    decode = entry.message.from_dict
    name = entry.name
    if entry.many:
        def handle(self, ctxt, msgs):
            return getattr(self._service, name)([decode(m) for m in msgs])
    else:
        def handle(self, ctxt, msg):
            return getattr(self._service, name)(decode(msg))
    handle.__name__ = handle.__qualname__ = name
    handle.__doc__ = "%s %s of ``messages.%s`` (since %s)." % (
        entry.kind.capitalize(), "a list" if entry.many else "one",
        entry.message.__name__, entry.since)
    if entry.kind == table.CALL:
        handle = messaging.expected_exceptions(
            exceptions.WFEngineException)(handle)
    return handle


def _init(self, service):
    self._service = service


def endpoint_class(class_name, topic):
    """A class whose instances, given a service, answer ``topic``'s
    methods; its target is at the newest version, ``RPC_VERSION``."""
    body = {entry.name: _handler(entry) for entry in table.of_topic(topic)}
    body.update(
        __init__=_init, __module__=__name__,
        __doc__="RPC endpoint of the %s, from ``rpc.table``." % topic,
        target=messaging.Target(version=messages.RPC_VERSION))
    return type(class_name, (), body)


EngineEndpoint = endpoint_class("EngineEndpoint", table.ENGINE)
ExecutorEndpoint = endpoint_class("ExecutorEndpoint", table.EXECUTOR)
