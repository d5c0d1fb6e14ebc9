"""A running execution survives an upgrade.

Executions are started on the code of the last commit of ``main`` (the
last landed release; ``WFENGINE_UPGRADE_FROM`` names another commit),
left waiting halfway (an asynchronous action, a timer); its processes are
stopped, the database is migrated with the new code's
``wfengine-db-manage upgrade heads``, and the new code's processes finish
them.
"""
import io
import os
import subprocess
import sys
import tarfile

import pytest

from tests.functional import harness

pytestmark = pytest.mark.timeout(300)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir,
                                    os.pardir))
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


def old_code(tmp_path):
    """The previous release's source tree, extracted from git."""
    commit = os.environ.get("WFENGINE_UPGRADE_FROM")
    try:
        if not commit:
            commit = subprocess.run(
                ["git", "-C", ROOT, "merge-base", "HEAD", "main"],
                check=True, capture_output=True, text=True).stdout.strip()
        archive = subprocess.run(
            ["git", "-C", ROOT, "archive", "--format=tar", commit],
            check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        pytest.skip("no previous release to upgrade from: %s" % e)
    target = tmp_path / ("old-" + commit[:8])
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    # An editable install of the new code would win over PYTHONPATH:
    # take its finder out of the old code's processes.
    (target / "sitecustomize.py").write_text(
        "import sys\n"
        "sys.meta_path[:] = [f for f in sys.meta_path if not getattr(\n"
        "    f, '__module__', '').startswith('__editable__')]\n")
    return str(target)


def test_running_executions_finish_after_an_upgrade(tmp_path, postgres_db):
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    source = old_code(tmp_path)
    deployment = harness.Deployment(tmp_path / "deployment",
                                    database=postgres_db,
                                    transport_url=harness.RABBIT_URL)
    new_env = deployment.env
    # PYTHONSAFEPATH: the working directory (this checkout) must not come
    # first on the old processes' path.
    deployment.env = dict(new_env, PYTHONPATH=source, PYTHONSAFEPATH="1")
    assert _imported_from(deployment.env) == source
    deployment.db_manage()
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
    deployment.db_manage()
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
    harness.assert_tasks_once_in_db(postgres_db, ids, 4)


def _imported_from(env):
    """Where ``wfengine`` is imported from under ``env``."""
    out = subprocess.run(
        [sys.executable, "-c", "import os, wfengine; print(os.path.dirname("
         "os.path.dirname(wfengine.__file__)))"],
        env=env, capture_output=True, text=True, check=True).stdout
    return out.strip()


def test_new_engine_serves_an_old_executor(tmp_path, postgres_db):
    """A rolling upgrade: the API and engine are new, an executor still
    runs the previous release; work flows both ways."""
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    source = old_code(tmp_path)
    deployment = harness.Deployment(tmp_path / "rolling",
                                    database=postgres_db,
                                    transport_url=harness.RABBIT_URL)
    deployment.db_manage()
    old_env = dict(deployment.env, PYTHONPATH=source, PYTHONSAFEPATH="1")
    with harness.running(deployment, ["api,engine"]):
        argv = [sys.executable, "-m", "wfengine.cmd.launch", "--config-file",
                deployment.config_file, "--server", "executor"]
        deployment.processes.append(harness.Process(
            "old-executor", ["executor"], argv,
            os.path.join(deployment.workdir, "old-executor.log"), old_env))
        deployment.wait_for_consumers()
        definition, _ = harness.sequential_workflow(
            "rolling", 3, action="std.echo output=1")
        done = harness.run_many(deployment, definition, "rolling", 3, 90)
    assert {ex["state"] for ex in done.values()} == {"SUCCESS"}
    harness.assert_tasks_once_in_db(postgres_db, list(done), 3)
