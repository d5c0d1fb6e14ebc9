"""Fixtures of the action tests: a local HTTP server, config overrides."""
import socket

import pytest

from tests.unit.actions import servers
from wfengine import conf
from wfengine import netguard

GROUP = "action_std_http"


@pytest.fixture
def http_server():
    """A local HTTP server (see ``servers.Handler`` for its paths)."""
    server = servers.start()
    yield server
    servers.stop(server)


@pytest.fixture
def http_conf():
    """Set ``[action_std_http]`` options for one test: ``http_conf(k=v)``."""
    names = []

    def override(**values):
        for name, value in values.items():
            conf.CONF.set_override(name, value, group=GROUP)
            names.append(name)

    yield override
    for name in names:
        conf.CONF.clear_override(name, group=GROUP)


@pytest.fixture
def loopback_allowed(http_conf):
    """The default denied ranges, minus 127.0.0.0/8 (the test server)."""
    http_conf(denied_cidrs=[c for c in netguard.DEFAULT_DENIED_CIDRS
                            if c != "127.0.0.0/8"])


@pytest.fixture
def fake_dns(monkeypatch):
    """Resolve names from a dict instead of DNS: ``fake_dns({name: [ip]})``."""
    table = {}

    def resolve(host, port):
        if host not in table:
            raise netguard.URLRefused("Host %r does not resolve" % host)
        return [netguard.parse_ip_literal(a) for a in table[host]]

    monkeypatch.setattr(netguard, "resolve", resolve)
    return table.update


@pytest.fixture
def unused_port():
    """A TCP port on 127.0.0.1 that nothing listens on (for a moment)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
