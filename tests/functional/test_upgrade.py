"""A running execution survives an upgrade from the previous release.

Executions are started on the previous release's code, left waiting
halfway (an asynchronous action, a timer); its processes are stopped,
the database is migrated with the new code's ``wfengine-db-manage upgrade
head``, and the new code's processes finish them. A second test is a
rolling upgrade: a new API and engine serve an executor that still runs
the previous release.

The previous release is :data:`PREVIOUS_RELEASE`, commit 31de27d
(2026-12-06 08:56 UTC): the tree that stop 23 landed on ``main`` after
CI passed on it (``.ci/run``, 1,231 s), and the tree the next session's
branches all started from. It is the last landed tree before migrations
0011 (user columns), 0012 (the result inbox), 0013 (event triggers) and
0014 (start tickets), so its schema head is 0010 and the upgrade applies
four migrations to tables that hold running executions; and its RPC
contract is 1.9 against 1.12 today, so the rolling test pairs two
versions of it.
``WFENGINE_UPGRADE_FROM=<commit>`` names another previous release.

The tests fail (they do not skip) when there is nothing to upgrade from:
the old commit is not in the repository (a shallow clone: fetch the
history with ``git fetch --unshallow``), is the commit under test, is
not one of its ancestors, or has the same migration head.
"""
import io
import os
import re
import socket
import subprocess
import sys
import tarfile

import pytest
from alembic import config as alembic_config
from alembic import script as alembic_script

from tests.functional import harness

pytestmark = pytest.mark.timeout(300)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir,
                                    os.pardir))
PREVIOUS_RELEASE = "31de27dac643c37cb5f55d043cee00635ee5998e"
WORKFLOW = """
version: '2.0'
upgraded:
  tasks:
    before:
      action: std.echo output="old"
      on-success: [wait_outside, wait_timer]
    wait_outside:
      action: std.async_noop
      on-success: [after]
    wait_timer:
      action: std.noop
      wait-before: 8
      on-success: [after]
    after:
      join: all
      action: std.echo output="new"
"""
# For the rolling upgrade: a pure action (run without a claim), one the
# executor claims first, and an asynchronous one completed through the API.
ROLLING = """
version: '2.0'
rolling:
  tasks:
    pure:
      action: std.echo output="one"
      on-success: [claimed]
    claimed:
      action: std.sleep seconds=0.1
      on-success: [waiting]
    waiting:
      action: std.async_noop
"""


def git(*args):
    return subprocess.run(["git", "-C", ROOT] + list(args), check=True,
                          capture_output=True, text=True).stdout.strip()


def previous_release():
    """The full id of the commit to upgrade from; fails the test when
    there is none that makes an upgrade."""
    named = os.environ.get("WFENGINE_UPGRADE_FROM") or PREVIOUS_RELEASE
    source = ("WFENGINE_UPGRADE_FROM" if os.environ.get(
        "WFENGINE_UPGRADE_FROM") else "the previous release")
    try:
        head = git("rev-parse", "HEAD")
    except (OSError, subprocess.CalledProcessError) as e:
        pytest.fail("the upgrade test needs the git repository of the code "
                    "under test at %s: %s" % (ROOT, _why(e)), pytrace=False)
    try:
        commit = git("rev-parse", "--verify", "--quiet",
                     named + "^{commit}")
    except subprocess.CalledProcessError:
        if git("rev-parse", "--is-shallow-repository") == "true":
            hint = ("the checkout is a shallow clone: fetch its history "
                    "(git fetch --unshallow) or clone without --depth")
        else:
            hint = "name a commit of this repository"
        pytest.fail("%s %s is not in the repository at %s: %s"
                    % (source, named, ROOT, hint), pytrace=False)
    if commit == head:
        pytest.fail("%s %s is the commit under test: an upgrade from it to "
                    "itself proves nothing (WFENGINE_UPGRADE_FROM names an "
                    "earlier commit)" % (source, named), pytrace=False)
    try:
        git("merge-base", "--is-ancestor", commit, head)
    except subprocess.CalledProcessError:
        pytest.fail("%s %s is not an ancestor of the commit under test %s: "
                    "an upgrade goes forward" % (source, named, head[:12]),
                    pytrace=False)
    return commit


def _why(error):
    return getattr(error, "stderr", None) or str(error)


def old_code(tmp_path):
    """The previous release's source tree, extracted from git; fails the
    test when its migration head is that of the code under test."""
    commit = previous_release()
    archive = subprocess.run(
        ["git", "-C", ROOT, "archive", "--format=tar", commit],
        check=True, capture_output=True).stdout
    target = tmp_path / ("old-" + commit[:8])
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    # An editable install of the new code would win over PYTHONPATH:
    # take its finder out of the old code's processes.
    (target / "sitecustomize.py").write_text(
        "import sys\n"
        "sys.meta_path[:] = [f for f in sys.meta_path if not getattr(\n"
        "    f, '__module__', '').startswith('__editable__')]\n")
    old_heads, new_heads = migration_heads(target), migration_heads(ROOT)
    assert old_heads != new_heads, (
        "the previous release %s has the migration head %s of the code "
        "under test: the upgrade would migrate nothing"
        % (commit[:12], old_heads))
    return str(target)


def migration_heads(tree):
    """The Alembic heads of the migrations in source tree ``tree``."""
    cfg = alembic_config.Config()
    cfg.set_main_option("script_location",
                        os.path.join(str(tree), "migrations"))
    return sorted(alembic_script.ScriptDirectory.from_config(cfg)
                  .get_heads())


def old_env(env, source):
    """``env`` with the old code first on the path. PYTHONSAFEPATH: the
    working directory (this checkout) must not come before it."""
    return dict(env, PYTHONPATH=source, PYTHONSAFEPATH="1")


def db_revisions(db):
    return sorted(row[0] for row in db.query(
        "SELECT version_num FROM alembic_version"))


def upgrade_head(deployment):
    """``wfengine-db-manage upgrade head`` as an operator runs it; its
    output."""
    argv = [sys.executable, "-m", "wfengine.cmd.db_manage", "--config-file",
            deployment.config_file, "upgrade", "head"]
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True,
                          env=deployment.env, timeout=120)
    with open(os.path.join(deployment.workdir, "upgrade.log"), "w") as log:
        log.write(proc.stdout + proc.stderr)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_running_executions_finish_after_an_upgrade(tmp_path):
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    source = old_code(tmp_path)
    old_heads, new_heads = migration_heads(source), migration_heads(ROOT)
    db = harness.PostgresDatabase()  # a database only this test migrates
    try:
        _upgrade_while_running(tmp_path, db, source, old_heads, new_heads)
    finally:
        db.drop()


def _upgrade_while_running(tmp_path, db, source, old_heads, new_heads):
    deployment = harness.Deployment(tmp_path / "deployment", database=db,
                                    transport_url=harness.RABBIT_URL)
    new_env = deployment.env
    deployment.env = old_env(new_env, source)
    assert _imported_from(deployment.env) == source
    deployment.db_manage()
    assert db_revisions(db) == old_heads
    with harness.running(deployment, ["api", "engine", "executor"]):
        ids = harness.start_many(deployment, WORKFLOW, "upgraded", 3)
        for ex_id in ids:
            harness.task_named(deployment.api, ex_id, "wait_outside",
                               timeout=60)
        harness.assert_some_unfinished(deployment, ids, "before the upgrade")

    # The new code: same configuration, database and broker.
    deployment.env = new_env
    deployment.processes = []
    assert _imported_from(new_env) == ROOT
    applied = re.findall(r"^Running upgrade (\S+) -> ([^\s,]+)",
                         upgrade_head(deployment), re.M)
    assert applied and applied[0][0] in old_heads, applied
    assert applied[-1][1] in new_heads, applied
    assert db_revisions(db) == new_heads
    api = deployment.api
    with harness.running(deployment, ["api", "engine", "executor"]):
        for ex_id in ids:
            task = harness.task_named(api, ex_id, "wait_outside")
            [action] = api.action_executions(task["id"])
            api.request("PUT", "/action_executions/%s" % action["id"],
                        json={"state": "SUCCESS", "output": "done"})
        done = api.wait_all(ids, 90)
        assert {ex["state"] for ex in done.values()} == {"SUCCESS"}
        for ex_id in ids:
            assert sorted(harness.tasks_by_name(api, ex_id)) == [
                "after", "before", "wait_outside", "wait_timer"]
    harness.assert_tasks_once_in_db(db, ids, 4)


def _imported_from(env):
    """Where ``wfengine`` is imported from under ``env``."""
    out = subprocess.run(
        [sys.executable, "-c", "import os, wfengine; print(os.path.dirname("
         "os.path.dirname(wfengine.__file__)))"],
        env=env, capture_output=True, text=True, check=True).stdout
    return out.strip()


def test_new_engine_serves_an_old_executor(tmp_path, postgres_db):
    """A rolling upgrade: the API and engine are new, the only executor
    still runs the previous release; work flows both ways (a pure action,
    a claimed one, an asynchronous one completed through the API)."""
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    source = old_code(tmp_path)
    deployment = harness.Deployment(tmp_path / "rolling",
                                    database=postgres_db,
                                    transport_url=harness.RABBIT_URL)
    deployment.db_manage()
    env = old_env(deployment.env, source)
    assert _imported_from(env) == source
    with harness.running(deployment, ["api,engine"]):
        argv = [sys.executable, "-m", "wfengine.cmd.launch", "--config-file",
                deployment.config_file, "--server", "executor"]
        old = harness.Process(
            "old-executor", ["executor"], argv,
            os.path.join(deployment.workdir, "old-executor.log"), env)
        deployment.processes.append(old)
        deployment.wait_for_consumers()
        api = deployment.api
        ids = harness.start_many(deployment, ROLLING, "rolling", 3)
        for ex_id in ids:
            task = harness.task_named(api, ex_id, "waiting", timeout=60)
            [action] = harness.wait_until(
                lambda: api.action_executions(task["id"]), 30,
                "the action of %s" % task["id"])
            api.request("PUT", "/action_executions/%s" % action["id"],
                        json={"state": "SUCCESS", "output": "done"})
        done = api.wait_all(ids, 90)
        assert old.alive()
    assert {ex["state"] for ex in done.values()} == {"SUCCESS"}
    harness.assert_tasks_once_in_db(postgres_db, ids, 3)
    # The claimed actions ran on the old executor (named <host>-<pid>).
    claimers = postgres_db.query(
        "SELECT DISTINCT a.executor FROM action_executions a"
        " JOIN task_executions t ON t.id = a.task_execution_id"
        " WHERE t.name = 'claimed' AND t.workflow_execution_id = ANY(%s)",
        (ids,))
    assert claimers == [("%s-%d" % (socket.gethostname(), old.pid),)], (
        claimers)
