"""``auth_strategy = keystone`` against a real Keystone on loopback.

Keystone (from PyPI, in a virtualenv of its own, see ``keystone.py``) is
bootstrapped on SQLite with an admin and two projects with a member each;
the embedded wfengine runs behind keystonemiddleware; the real ``mistral``
CLI authenticates with a user name, a password and a project, as against
Mistral.
"""
import datetime
import os
import sys

import pytest
import requests
import sqlalchemy as sa

from tests.functional import authn
from tests.functional import harness
from tests.functional import keystone

MISTRAL = os.path.join(os.path.dirname(sys.executable), "mistral")
WF = """---
version: '2.0'
ks_hello:
  tasks:
    hello:
      action: std.echo output="hi"
"""
USERS = {"alice": ("alice-pw-1", "ks-proj-a"),
         "bob": ("bob-pw-2", "ks-proj-b")}


@pytest.fixture(scope="module")
def ks(tmp_path_factory):
    server = keystone.Keystone(tmp_path_factory.mktemp("keystone"))
    server.start()
    try:
        for user, (password, project) in USERS.items():
            server.add_member(user, password, project)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def deployment(ks, tmp_path_factory):
    dep = authn.Deployment(tmp_path_factory.mktemp("wfengine-ks"), config={
        "api": {"auth_strategy": "keystone"},
        "keystone_authtoken": ks.authtoken_config()})
    with harness.running(dep, ["all"]):
        yield dep


class MistralCli(harness.CommandLine):
    """The real ``mistral`` CLI of one Keystone user."""

    name = "mistral"

    def __init__(self, ks, dep, user, workdir):
        password, project = USERS[user]
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("OS_", "MISTRAL_"))}
        super().__init__([
            MISTRAL, "--os-auth-url", ks.url, "--os-username", user,
            "--os-password", password, "--os-project-name", project,
            "--os-user-domain-name", "Default",
            "--os-project-domain-name", "Default",
            "--os-mistral-url", dep.url], env, workdir)


@pytest.fixture(scope="module")
def clis(ks, deployment, tmp_path_factory):
    if not os.path.exists(MISTRAL):
        pytest.fail("python-mistralclient's mistral script is missing")
    workdir = str(tmp_path_factory.mktemp("mistral-cli"))
    with open(os.path.join(workdir, "wf.yaml"), "w") as f:
        f.write(WF)
    return {user: MistralCli(ks, deployment, user, workdir)
            for user in USERS}


def test_the_mistral_cli_authenticates_and_runs_in_its_project(ks, clis):
    alice, bob = clis["alice"], clis["bob"]
    created = alice.json("workflow-create", "wf.yaml")
    project_a = ks.users["alice"][2]
    assert [(w["Name"], w["Project ID"]) for w in created] == [
        ("ks_hello", project_a)]
    ex = alice.json("execution-create", "ks_hello")
    assert ex["Workflow name"] == "ks_hello"
    harness.wait_until(
        lambda: alice.json("execution-get", ex["ID"])["State"] == "SUCCESS",
        60, "the execution to succeed")
    # Bob's project sees none of it, and gets 404s for its ids.
    # (the mistral CLI shows an empty list as one row of empty cells)
    assert [w for w in bob.json("workflow-list") if w["ID"]] == []
    assert [e for e in bob.json("execution-list") if e["ID"]] == []
    for args in (("workflow-get", created[0]["ID"]),
                 ("execution-get", ex["ID"])):
        proc = bob.run(*args, rc=None)
        assert proc.returncode != 0
        assert "not found" in (proc.stdout + proc.stderr).lower()


def test_without_or_with_a_bad_token_is_401_in_mistrals_shape(
        ks, deployment):
    for headers in ({}, {"X-Auth-Token": "not-a-token"}):
        resp = requests.get(deployment.url + "/workflows", headers=headers,
                            timeout=30)
        assert resp.status_code == 401
        assert set(resp.json()) == {"faultcode", "faultstring",
                                    "debuginfo"}
    root = deployment.url.rsplit("/v2", 1)[0] + "/"
    assert requests.get(root, timeout=30).status_code == 200


def test_a_keystone_token_and_all_projects(ks, deployment):
    password, project, _ = ks.users["bob"]
    member = {"X-Auth-Token": ks.token("bob", password, project)}
    resp = requests.get(deployment.url + "/executions",
                        params={"all_projects": "true"}, headers=member,
                        timeout=30)
    assert resp.status_code == 403
    assert "executions:list:all_projects" in resp.json()["faultstring"]
    admin = {"X-Auth-Token": ks.token()}
    listed = requests.get(deployment.url + "/executions",
                          params={"all_projects": "true"}, headers=admin,
                          timeout=30).json()["executions"]
    assert {e["project_id"] for e in listed} == {ks.users["alice"][2]}


def test_the_companion_cli_logs_in_to_keystone(ks, deployment, clis):
    password, project, project_id = ks.users["alice"]
    wfengine = os.path.join(os.path.dirname(sys.executable), "wfengine")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OS_", "WFENGINE_"))}
    base = [wfengine, "--url", deployment.url, "--os-auth-url", ks.url,
            "--os-project-name", project, "--os-username", "alice"]
    ok = harness.CommandLine(base + ["--os-password", password], env,
                             clis["alice"].workdir)
    listed = ok.json("workflow-list")
    assert {w["Project ID"] for w in listed} == {project_id}
    wrong = harness.CommandLine(base + ["--os-password", "wrong"], env,
                                clis["alice"].workdir)
    proc = wrong.run("workflow-list", rc=1)
    assert "Keystone" in proc.stderr and "Traceback" not in proc.stderr


def test_the_console_signs_in_with_a_keystone_token(ks, deployment):
    root = deployment.url.rsplit("/v2", 1)[0]
    pw_a, project_a, _ = ks.users["alice"]
    pw_b, project_b, _ = ks.users["bob"]
    alice = ks.token("alice", pw_a, project_a)
    created = requests.post(
        deployment.url + "/workflows", timeout=30,
        data=WF.replace("ks_hello", "ks_console").encode(),
        headers={"X-Auth-Token": alice, "Content-Type": "text/plain"})
    assert created.status_code == 201, created.text

    def signed_in(token, status=303):
        browser = requests.Session()
        resp = browser.post(root + "/console/login", timeout=30,
                            data={"token": token, "next": "/workflows"},
                            headers={"Origin": root},
                            allow_redirects=False)
        assert resp.status_code == status, resp.text
        return browser, resp

    _, refused = signed_in("not-a-token", status=401)
    assert "Authentication failed" in refused.text
    as_alice, _ = signed_in(alice)
    page = as_alice.get(root + "/console/workflows", timeout=30,
                        allow_redirects=False)
    assert page.status_code == 200 and "ks_console" in page.text
    as_bob, _ = signed_in(ks.token("bob", pw_b, project_b))
    page = as_bob.get(root + "/console/workflows", timeout=30)
    assert page.status_code == 200 and "ks_console" not in page.text
    # The cookie is the console's only: the API wants its header.
    assert as_bob.get(deployment.url + "/workflows", timeout=30,
                      cookies=as_bob.cookies.get_dict()).status_code == 401


def _user_id(ks, token):
    """The user id of a Keystone token."""
    resp = requests.get(ks.url + "/auth/tokens", timeout=30, headers={
        "X-Auth-Token": token, "X-Subject-Token": token})
    resp.raise_for_status()
    return resp.json()["token"]["user"]["id"]


def _trusts_of(ks, token, user_id):
    resp = requests.get(ks.url + "/OS-TRUST/trusts", timeout=30,
                        params={"trustor_user_id": user_id},
                        headers={"X-Auth-Token": token})
    resp.raise_for_status()
    return resp.json()["trusts"]


def _recorded(dep, wf_ex_id):
    """(project_id, user_id) written on an execution's row."""
    engine = sa.create_engine(dep.database_url)
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(sa.text(
                "SELECT project_id, user_id FROM workflow_executions "
                "WHERE id = :id"), {"id": wf_ex_id}).one())
    finally:
        engine.dispose()


def test_a_cron_trigger_fires_with_a_trust_of_its_creator(ks, deployment):
    pw_a, project_a, project_a_id = ks.users["alice"]
    pw_b, project_b, _ = ks.users["bob"]
    alice_token = ks.token("alice", pw_a, project_a)
    alice_id = _user_id(ks, alice_token)
    alice = {"X-Auth-Token": alice_token}
    bob = {"X-Auth-Token": ks.token("bob", pw_b, project_b)}
    api = deployment.url
    assert requests.post(
        api + "/workflows", timeout=30,
        data=WF.replace("ks_hello", "ks_cron").encode(),
        headers=dict(alice, **{"Content-Type": "text/plain"})
    ).status_code == 201
    first = datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(seconds=3)
    created = requests.post(api + "/cron_triggers", timeout=60, headers=alice,
                            json={"name": "ks_ct", "workflow_name": "ks_cron",
                                  "pattern": "0 0 1 1 *",
                                  "first_execution_time":
                                      first.strftime("%Y-%m-%d %H:%M:%S")})
    assert created.status_code == 201, created.text
    assert "trust_id" not in created.json()  # Mistral's wire shape
    # The trust from alice to the service user, on project A, with
    # impersonation, exists while the trigger does.
    [trust] = _trusts_of(ks, alice_token, alice_id)
    assert (trust["project_id"], trust["impersonation"]) == (
        project_a_id, True)

    def fired():
        listed = requests.get(api + "/executions", headers=alice,
                              params={"workflow_name": "ks_cron"},
                              timeout=30).json()["executions"]
        return listed[0] if listed else None

    ex = harness.wait_until(fired, 60, "the cron trigger to fire")
    assert ex["project_id"] == project_a_id
    assert created.json()["id"] in ex["description"]
    assert _recorded(deployment, ex["id"]) == (project_a_id, alice_id)
    # Project B neither sees it nor reaches it.
    assert requests.get(api + "/executions/" + ex["id"], headers=bob,
                        timeout=30).status_code == 404
    assert [e["id"] for e in requests.get(
        api + "/executions", headers=bob, timeout=30).json()[
        "executions"]] == []
    assert requests.delete(api + "/cron_triggers/ks_ct", headers=bob,
                           timeout=30).status_code == 404
    assert len(_trusts_of(ks, alice_token, alice_id)) == 1
    # Deleting the trigger deletes its trust.
    assert requests.delete(api + "/cron_triggers/ks_ct", headers=alice,
                           timeout=60).status_code == 204
    assert _trusts_of(ks, alice_token, alice_id) == []
