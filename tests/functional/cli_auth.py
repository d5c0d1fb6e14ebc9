"""The ``mistral`` CLI's authentication forms, run against a server.

A short script (:data:`SCRIPT`) drives the real ``mistral`` CLI against a
server that authenticates with Keystone, in each way a user can give it
credentials: the Keystone options (``--os-auth-url``, ``--os-username``,
``--os-password``, ``--os-project-name`` with ``--os-mistral-url``), the
same as ``OS_*`` environment variables, a token (``--os-auth-token`` with
``--os-mistral-url``; python-mistralclient 6.3.0 still wants
``--os-auth-url`` and the project then, else it asks a Keystone on
localhost:35357 to check the token), and refusals: a wrong password, no
credentials, a bad token, and another project's user reaching the first
one's objects; then sharing: a member's and Keystone's admin's
``workflow-create --public``, and the other project's user reading and
changing the shared workflow. Outputs are reduced as :mod:`cli_compare`
reduces them, with the Keystone project ids named by their project; a
failed command's error line (the CLI's ``ERROR (app) ...`` on stderr) is
compared too. ``tools/cli_compare.py --auth`` records Mistral 23.0.0's
outputs (``cli_compare/mistral_auth.golden.json``) and prints the
differences; ``test_cli_auth_compare.py`` holds wfengine to them.
"""
import json
import os
import re
import subprocess
import time

import requests

from tests.functional import cli_compare
from tests.functional import keystone

GOLDEN = os.path.join(cli_compare.HERE, "mistral_auth.golden.json")
KNOWN = os.path.join(cli_compare.HERE, "known_auth_differences.yaml")
ADMIN_PASSWORD = keystone.ADMIN_PASSWORD
DOMAIN = keystone.DOMAIN
# user -> (password, project)
USERS = {"cliauth_alice": ("alice-pw-7", "cliauth-proj-a"),
         "cliauth_bob": ("bob-pw-8", "cliauth-proj-b")}
ALICE, BOB = sorted(USERS)
WF = """\
version: '2.0'
cliauth_wf:
  tasks:
    hello:
      action: std.echo output="hi"
"""
PUBLIC_WF = """\
version: '2.0'
cliauth_pub:
  tasks:
    noop:
      action: std.noop
"""
HEX_ID_RE = re.compile(r"\b[0-9a-f]{32}\b")

B, J, P, S = cli_compare.B, cli_compare.J, cli_compare.P, cli_compare.S

# (how the CLI authenticates, form, argv, {variable: (json key, row)}).
# "options": Keystone options of alice; "environ": the same as OS_*
# variables; "token": alice's token with --os-mistral-url; "wrong": alice
# with a wrong password; "none": no credentials; "badtoken": a token
# Keystone never issued; "bob": a user of another project (alice's
# objects are not his; the admin's public workflow he sees, not changes);
# "admin": Keystone's admin in its project (sharing is an admin's by
# Mistral's default policy).
SCRIPT = [
    ("options", S, ["workflow-delete", "cliauth_wf", "cliauth_pub"], {}),
    ("admin", S, ["workflow-delete", "cliauth_pub"], {}),
    ("options", J, ["workflow-create", "wf.yaml"], {"wf_id": ("ID", 0)}),
    ("options", B, ["workflow-list", "--filter", "name=cliauth_wf"], {}),
    ("environ", B, ["workflow-get", "cliauth_wf"], {}),
    ("environ", J, ["execution-create", "cliauth_wf"], {"ex": ("ID", None)}),
    ("wait", "{ex}", "SUCCESS"),
    ("token", B, ["execution-get", "{ex}"], {}),
    ("token", B, ["workflow-list", "--filter", "name=cliauth_wf"], {}),
    ("token", P, ["execution-get-output", "{ex}"], {}),
    ("wrong", P, ["workflow-list"], {}),
    ("none", P, ["workflow-list"], {}),
    ("badtoken", P, ["workflow-list"], {}),
    ("bob", B, ["workflow-list", "--filter", "name=cliauth_wf"], {}),
    ("bob", B, ["execution-list", "--filter", "workflow_name=cliauth_wf"],
     {}),
    ("bob", P, ["workflow-get", "{wf_id}"], {}),
    ("bob", P, ["execution-get", "{ex}"], {}),
    ("bob", P, ["execution-delete", "{ex}"], {}),
    ("bob", P, ["workflow-delete", "cliauth_wf"], {}),
    ("options", J, ["workflow-create", "pub.yaml", "--public"], {}),
    ("options", S, ["workflow-delete", "cliauth_pub"], {}),
    ("admin", J, ["workflow-create", "pub.yaml", "--public"], {}),
    ("bob", B, ["workflow-list", "--filter", "name=cliauth_pub"], {}),
    ("bob", B, ["workflow-get", "cliauth_pub"], {}),
    ("bob", P, ["workflow-update", "pub.yaml"], {}),
    ("bob", P, ["workflow-delete", "cliauth_pub"], {}),
    ("admin", P, ["workflow-delete", "cliauth_pub"], {}),
    ("options", P, ["execution-delete", "{ex}"], {}),
    ("options", P, ["workflow-delete", "cliauth_wf"], {}),
]


def _admin_headers(ks_url):
    return {"X-Auth-Token": token(ks_url, "admin", ADMIN_PASSWORD, "admin")}


def ensure_members(ks_url):
    """Create :data:`USERS` and their projects in the Keystone at
    ``ks_url`` (its admin's password :data:`ADMIN_PASSWORD`) where
    missing; each user a member of its project."""
    headers = _admin_headers(ks_url)

    def one(path, key, name, body):
        found = requests.get(ks_url + path, params={"name": name},
                             headers=headers, timeout=30).json()[key]
        if found:
            return found[0]["id"]
        resp = requests.post(ks_url + path, json={key[:-1]: body},
                             headers=headers, timeout=30)
        resp.raise_for_status()
        return resp.json()[key[:-1]]["id"]

    role = requests.get(ks_url + "/roles", params={"name": "member"},
                        headers=headers, timeout=30).json()["roles"][0]["id"]
    for user, (password, project) in sorted(USERS.items()):
        project_id = one("/projects", "projects", project, {
            "name": project, "domain_id": "default"})
        user_id = one("/users", "users", user, {
            "name": user, "password": password, "domain_id": "default",
            "default_project_id": project_id})
        requests.put(ks_url + "/projects/%s/users/%s/roles/%s"
                     % (project_id, user_id, role), headers=headers,
                     timeout=30).raise_for_status()


def _authenticate(ks_url, user, password, project):
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"name": DOMAIN},
            "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": DOMAIN}}}}}
    resp = requests.post(ks_url + "/auth/tokens", json=body, timeout=30)
    resp.raise_for_status()
    return resp.headers["X-Subject-Token"], resp.json()["token"]


def token(ks_url, user, password, project):
    """A project-scoped token of ``user``."""
    return _authenticate(ks_url, user, password, project)[0]


class Runner:
    """Runs :data:`SCRIPT` with the ``mistral`` script at ``cli`` against
    the server at ``url`` (``.../v2``) and the Keystone at ``ks_url``."""

    def __init__(self, cli, url, ks_url, workdir):
        self.cli, self.url, self.ks_url = cli, url, ks_url
        self.workdir = workdir
        self.base_env = {k: v for k, v in os.environ.items()
                         if not k.startswith(("OS_", "MISTRAL_"))}
        self.vars = {}
        self.tokens, self.names = {}, {}
        for user, (password, project) in USERS.items():
            tok, body = _authenticate(ks_url, user, password, project)
            self.tokens[user] = tok
            self.names[body["project"]["id"]] = "<project %s>" % project
            self.names[body["user"]["id"]] = "<user %s>" % user
        body = _authenticate(ks_url, "admin", ADMIN_PASSWORD, "admin")[1]
        self.names[body["project"]["id"]] = "<project admin>"
        self.names[body["user"]["id"]] = "<user admin>"
        for name, text in (("wf.yaml", WF), ("pub.yaml", PUBLIC_WF)):
            with open(os.path.join(workdir, name), "w") as f:
                f.write(text)

    def _options(self, user, password=None):
        pw, project = USERS.get(user, (ADMIN_PASSWORD, "admin"))
        return ["--os-auth-url", self.ks_url, "--os-username", user,
                "--os-password", password or pw,
                "--os-project-name", project,
                "--os-user-domain-name", DOMAIN,
                "--os-project-domain-name", DOMAIN,
                "--os-mistral-url", self.url]

    def command(self, how):
        """(argv prefix, environment) of one way to authenticate."""
        env = dict(self.base_env)
        if how == "options":
            return [self.cli] + self._options(ALICE), env
        if how == "bob":
            return [self.cli] + self._options(BOB), env
        if how == "admin":
            return [self.cli] + self._options("admin"), env
        if how == "wrong":
            return [self.cli] + self._options(ALICE, "not-the-pw"), env
        if how == "environ":
            password, project = USERS[ALICE]
            env.update(OS_AUTH_URL=self.ks_url, OS_USERNAME=ALICE,
                       OS_PASSWORD=password, OS_PROJECT_NAME=project,
                       OS_USER_DOMAIN_NAME=DOMAIN,
                       OS_PROJECT_DOMAIN_NAME=DOMAIN,
                       OS_MISTRAL_URL=self.url)
            return [self.cli], env
        if how in ("token", "badtoken"):
            tok = self.tokens[ALICE] if how == "token" else "not-a-token"
            return [self.cli, "--os-auth-url", self.ks_url,
                    "--os-auth-token", tok,
                    "--os-project-name", USERS[ALICE][1],
                    "--os-project-domain-name", DOMAIN,
                    "--os-mistral-url", self.url], env
        assert how == "none", how
        return [self.cli, "--os-mistral-url", self.url], env

    def _run(self, how, args):
        prefix, env = self.command(how)
        return subprocess.run(prefix + args, capture_output=True, text=True,
                              env=env, cwd=self.workdir, timeout=120,
                              stdin=subprocess.DEVNULL)

    def anonymise(self, text):
        """Keystone's project and user ids named; other hex ids out."""
        for hex_id, name in self.names.items():
            text = text.replace(hex_id, name)
        return HEX_ID_RE.sub("<hex id>", text)

    def step(self, how, form, argv, capture):
        label = "%s: %s" % (how, " ".join(argv))
        try:
            args = [a.format(**self.vars) if "{" in a else a for a in argv]
        except KeyError:            # an earlier step failed: diff says so
            return {"%s [%s]" % (label, form): {"rc": "not run"}}
        if form == S:
            self._run(how, args)
            return {}
        results = {}
        forms = {B: ("table", "json"), J: ("json",), P: ("plain",)}[form]
        for shape in forms:
            extra = ["-f", "json"] if shape == "json" else []
            proc = self._run(how, args + extra)
            results["%s [%s]" % (label, shape)] = {
                "rc": proc.returncode, "shape": shape,
                "stdout": self.anonymise(proc.stdout),
                "err": bool(proc.stderr.strip()),
                "error": error_line(self.anonymise(proc.stderr))
                if proc.returncode else None}
            if shape == "json" and capture and proc.returncode == 0:
                data = json.loads(proc.stdout)
                for var, (key, index) in capture.items():
                    row = data[index] if index is not None else data
                    self.vars[var] = row[key]
        return results

    def _wait(self, var, state):
        ex_id = var.format(**self.vars)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            proc = self._run("token", ["execution-get", ex_id, "-f", "json"])
            if proc.returncode == 0 and \
                    json.loads(proc.stdout)["State"] == state:
                return
            time.sleep(0.5)

    def run(self):
        outcome = {}
        for entry in SCRIPT:
            if entry[0] == "wait":
                try:
                    self._wait(*entry[1:])
                except KeyError:
                    pass        # an earlier step failed: the diff says so
                continue
            outcome.update(self.step(*entry))
        return outcome


def error_line(stderr):
    """The CLI's last ``ERROR`` line, ids and times out."""
    lines = [line for line in stderr.splitlines()
             if line.startswith("ERROR")]
    return cli_compare.normalise(lines[-1]).strip() if lines else None


def differences(expected, actual):
    """:func:`cli_compare.differences`, and the error lines."""
    out = cli_compare.differences(expected, actual)
    for label, output in expected.items():
        want = output.get("error")
        got = (actual.get(label) or {}).get("error")
        if want != got:
            out.setdefault(label, []).append(
                "error line: Mistral %r, wfengine %r" % (want, got))
    return out


def load_golden():
    return cli_compare.load_golden(GOLDEN)


def load_known():
    """``{command label: reason}`` of the documented differences."""
    return cli_compare.load_known(KNOWN)
