"""A requests transport adapter that connects to an address checked before.

``std.http`` resolves and checks a URL's host with ``wfengine.netguard``
and then mounts ``PinnedAdapter(host, address)``: every connection the
adapter opens goes to that address, whatever DNS would answer now, so a
name cannot resolve to a public address for the check and to a private
one for the connection (DNS rebinding). TLS still verifies the
certificate against, and sends SNI for, the host name.

Not pinned: requests sent through a proxy (the proxy resolves the target
host itself); ``std.http`` checks the proxy's own address instead.
"""
import functools
import socket

import requests
from requests import adapters
from urllib3 import connection as urllib3_connection
from urllib3 import connectionpool
from urllib3 import exceptions as urllib3_exceptions
from urllib3.util import connection as urllib3_util_connection

from wfengine import netguard


class _PinnedMixin:
    """Opens the socket to ``pinned_address`` instead of resolving host."""

    def __init__(self, *args, pinned_address, **kwargs):
        self._pinned_address = pinned_address
        super().__init__(*args, **kwargs)

    def _new_conn(self):
        # Same contract as urllib3's HTTPConnection._new_conn: return a
        # connected socket or raise urllib3's connection errors.
        try:
            return urllib3_util_connection.create_connection(
                (self._pinned_address, self.port), self.timeout,
                source_address=self.source_address,
                socket_options=self.socket_options)
        except socket.timeout as e:
            raise urllib3_exceptions.ConnectTimeoutError(
                self, "Connection to %s (%s) timed out (connect timeout=%s)"
                % (self.host, self._pinned_address, self.timeout)) from e
        except OSError as e:
            raise urllib3_exceptions.NewConnectionError(
                self, "Failed to establish a new connection to %s (%s): %s"
                % (self.host, self._pinned_address, e)) from e


class _PinnedHTTPConnection(_PinnedMixin, urllib3_connection.HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedMixin,
                             urllib3_connection.HTTPSConnection):
    pass


class _PinnedPoolMixin:
    """Passes the pinned address to its connections, for its host only."""

    def __init__(self, host, port=None, *, pin, **kwargs):
        super().__init__(host, port, **kwargs)
        pinned_host, address = pin
        if netguard.normalize_host(self.host) != pinned_host:
            # Only the checked host may use this adapter.
            raise netguard.URLRefused(
                "Host %r was not checked (only %r was); refusing to connect"
                % (self.host, pinned_host))
        self.conn_kw["pinned_address"] = address


class _PinnedHTTPPool(_PinnedPoolMixin, connectionpool.HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSPool(_PinnedPoolMixin, connectionpool.HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


class PinnedAdapter(adapters.HTTPAdapter):
    """Sends requests for ``host`` to ``address`` (both from netguard)."""

    def __init__(self, host, address, **kwargs):
        self._pin = (netguard.normalize_host(host), address)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": functools.partial(_PinnedHTTPPool, pin=self._pin),
            "https": functools.partial(_PinnedHTTPSPool, pin=self._pin),
        }


def mount(session, host, address):
    """Make ``session`` send its http(s) requests to ``address``.

    :returns: the adapter mounted (close it, or the session, when done).
    """
    adapter = PinnedAdapter(host, address)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return adapter


def new_session():
    """A requests session for one action run (cookies kept across hops)."""
    return requests.Session()
