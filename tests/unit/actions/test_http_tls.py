"""std.http over TLS to a pinned address: SNI and the certificate check
use the host name, the connection goes to the checked address."""
import functools
import shutil
import ssl
import subprocess

import pytest

from tests.unit.actions import servers
from wfengine.actions import base
from wfengine.actions import http

pytestmark = [pytest.mark.timeout(30),
              pytest.mark.skipif(shutil.which("openssl") is None,
                                 reason="needs the openssl command")]


@pytest.fixture
def tls_server(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-days", "1", "-subj", "/CN=pinned.example",
         "-addext", "subjectAltName=DNS:pinned.example",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=20)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    names = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    server = servers.start(functools.partial(context.wrap_socket,
                                             server_side=True))
    server.sni, server.cert = names, str(cert)
    yield server
    servers.stop(server)


def test_https_to_pinned_address_verifies_the_host_name(tls_server,
                                                        http_conf, fake_dns):
    http_conf(denied_cidrs=[])
    fake_dns({"pinned.example": ["127.0.0.1"]})
    port = tls_server.server_address[1]
    result = http.HTTPAction(url="https://pinned.example:%d/echo" % port,
                             verify=tls_server.cert, timeout=5).run(
                                 base.ActionContext())
    assert result["status"] == 200
    assert tls_server.sni == ["pinned.example"]
