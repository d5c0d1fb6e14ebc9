"""A real Keystone for tests: installed from PyPI into a virtualenv of its
own (its pins would fight ours), bootstrapped on SQLite with an admin and
two projects with a member each, and served on loopback.

The virtualenv is made once and kept (``$WFENGINE_KEYSTONE_VENV``, by
default ``~/.cache/wfengine-tests/keystone-venv``): installing Keystone
takes minutes, starting it seconds.
"""
import os
import pathlib
import subprocess
import sys
import time

import requests

from tests.functional import harness

VENV = pathlib.Path(os.environ.get(
    "WFENGINE_KEYSTONE_VENV",
    pathlib.Path.home() / ".cache" / "wfengine-tests" / "keystone-venv"))
ADMIN_PASSWORD = "admin-secret-1"
DOMAIN = "Default"
INSTALL_TIMEOUT = 1200

_SERVE = """
import os, socketserver, sys
from wsgiref import simple_server
os.environ["OS_KEYSTONE_CONFIG_FILES"] = sys.argv[1]
port = int(sys.argv[2])
sys.argv = sys.argv[:1]
from keystone.server import wsgi
app = wsgi.initialize_public_application()
class Quiet(simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass
class Server(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True
srv = simple_server.make_server("127.0.0.1", port, app, server_class=Server,
                                handler_class=Quiet)
srv.serve_forever()
"""


def ensure_installed():
    """The Keystone virtualenv's bin directory (installed if missing)."""
    bin_dir = VENV / "bin"
    if (bin_dir / "keystone-manage").exists():
        return bin_dir
    VENV.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    done = subprocess.run(
        [str(bin_dir / "pip"), "install", "-q", "keystone"],
        capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    if done.returncode != 0:
        harness.unavailable("Keystone could not be installed: %s"
                            % done.stderr[-2000:])
    return bin_dir


class Keystone:
    """One Keystone on loopback; :meth:`start` it, :meth:`stop` it."""

    def __init__(self, workdir):
        self.workdir = pathlib.Path(workdir)
        self.port = harness.free_port()
        self.url = "http://127.0.0.1:%d/v3" % self.port
        self.users = {}  # name -> (password, project name, project id)
        self._proc = None
        self._log = None

    def _config(self):
        for name in ("fernet", "credential"):
            (self.workdir / name).mkdir(exist_ok=True)
        path = self.workdir / "keystone.conf"
        path.write_text(
            "[DEFAULT]\nuse_stderr = true\n"
            "[database]\nconnection = sqlite:///%s\n"
            "[token]\nprovider = fernet\n"
            "[fernet_tokens]\nkey_repository = %s\n"
            "[fernet_receipts]\nkey_repository = %s\n"
            "[credential]\nkey_repository = %s\n"
            % (self.workdir / "keystone.db", self.workdir / "fernet",
               self.workdir / "fernet", self.workdir / "credential"))
        return path

    def start(self):
        bin_dir = ensure_installed()
        conf = self._config()
        manage = [str(bin_dir / "keystone-manage"), "--config-file",
                  str(conf)]
        owner = ["--keystone-user", "root", "--keystone-group", "root"]
        for step in (["db_sync"], ["fernet_setup"] + owner,
                     ["credential_setup"] + owner,
                     ["bootstrap", "--bootstrap-password", ADMIN_PASSWORD,
                      "--bootstrap-public-url", self.url,
                      "--bootstrap-internal-url", self.url,
                      "--bootstrap-admin-url", self.url,
                      "--bootstrap-region-id", "RegionOne"]):
            subprocess.run(manage + step, check=True, capture_output=True,
                           timeout=300)
        self._log = open(self.workdir / "keystone.log", "w")
        self._proc = subprocess.Popen(
            [str(bin_dir / "python"), "-c", _SERVE, str(conf),
             str(self.port)], stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError("Keystone exited: see %s"
                                   % (self.workdir / "keystone.log"))
            try:
                if requests.get(self.url, timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError("Keystone did not answer within %ss" % timeout)

    def stop(self):
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
        if self._log is not None:
            self._log.close()

    def token(self, user="admin", password=ADMIN_PASSWORD, project="admin"):
        """A project-scoped token of ``user``."""
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"name": DOMAIN},
                "password": password}}},
            "scope": {"project": {"name": project,
                                  "domain": {"name": DOMAIN}}}}}
        resp = requests.post(self.url + "/auth/tokens", json=body,
                             timeout=30)
        resp.raise_for_status()
        return resp.headers["X-Subject-Token"]

    def add_member(self, user, password, project):
        """Create ``project`` and ``user``, a member of it; its id."""
        headers = {"X-Auth-Token": self.token()}

        def post(path, body):
            resp = requests.post(self.url + path, json=body,
                                 headers=headers, timeout=30)
            resp.raise_for_status()
            return resp.json()

        project_id = post("/projects", {"project": {
            "name": project, "domain_id": "default"}})["project"]["id"]
        user_id = post("/users", {"user": {
            "name": user, "password": password, "domain_id": "default",
            "default_project_id": project_id}})["user"]["id"]
        roles = requests.get(self.url + "/roles", params={"name": "member"},
                             headers=headers, timeout=30).json()["roles"]
        requests.put(self.url + "/projects/%s/users/%s/roles/%s"
                     % (project_id, user_id, roles[0]["id"]),
                     headers=headers, timeout=30).raise_for_status()
        self.users[user] = (password, project, project_id)
        return project_id

    def authtoken_config(self):
        """``[keystone_authtoken]`` of a wfengine using this Keystone."""
        return {"www_authenticate_uri": self.url, "auth_url": self.url,
                "auth_type": "password", "username": "admin",
                "password": ADMIN_PASSWORD, "project_name": "admin",
                "user_domain_name": DOMAIN,
                "project_domain_name": DOMAIN}
