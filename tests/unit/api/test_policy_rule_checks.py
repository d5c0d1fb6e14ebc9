"""Plug-in check kinds (``http:``, ``https:``) are imported when a rule
first names them, and then work as oslo.policy's own."""
import http.server
import subprocess
import sys
import threading

from oslo_config import cfg
import pytest

from wfengine.api import policy


def test_the_default_rules_load_no_plugin_kind():
    code = ("import sys; from wfengine.api import policy; "
            "policy.get_enforcer(); "
            "print('requests' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code],
                          capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["False"]


@pytest.fixture
def checker():
    """A policy check service on loopback: answers True for 'alice'."""
    asked = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            asked.append(body)
            answer = b"True" if b"alice" in body else b"False"
            self.send_response(200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d/check" % server.server_port, asked
    server.shutdown()
    server.server_close()


def test_an_http_rule_from_the_policy_file_is_checked(tmp_path, checker):
    url, asked = checker
    rules = tmp_path / "policy.yaml"
    rules.write_text('"workflows:create": "%s"\n' % url)
    conf = cfg.ConfigOpts()
    conf([], default_config_files=[])
    enforcer = policy._Enforcer(conf, policy_file=str(rules))
    enforcer.register_defaults(policy.list_rules())
    creds = {"project_id": "p", "roles": [], "is_admin": False}
    assert enforcer.decide("workflows:create", {"project_id": "p"},
                           dict(creds, user_id="alice"))
    assert not enforcer.decide("workflows:create", {"project_id": "p"},
                               dict(creds, user_id="bob"))
    assert len(asked) == 2
