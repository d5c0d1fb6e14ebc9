"""``wfengine-db-manage purge``: one retention pass by hand, as a real
process against PostgreSQL, with a dry run that only counts."""
import subprocess
import sys

import sqlalchemy as sa

from wfengine.db import models
from wfengine.db import retention as queries
from wfengine.db import session as db_session
from tests.db import test_retention as seeded
from tests.db.test_retention import ago
from tests.db.test_retention import db  # noqa: F401  (fixture)


def purge(tmp_path, url, *args, config=""):
    conf = tmp_path / "wfengine.conf"
    conf.write_text("[database]\nconnection = %s\n%s" % (url, config))
    done = subprocess.run(
        [sys.executable, "-m", "wfengine.cmd.db_manage", "--config-file",
         str(conf), "purge"] + list(args),
        capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


def _history():
    trees = [seeded.with_child("SUCCESS", "SUCCESS", ago(hours=3))
             for _ in range(3)]
    recent = seeded.execution("SUCCESS", ago(minutes=5))
    running = seeded.execution("RUNNING", ago(hours=3))
    db_session.unit_of_work(seeded._bookkeeping)
    return trees, recent, running


def test_dry_run_counts_and_removes_nothing(db, tmp_path):  # noqa: F811
    _history()
    code, out, err = purge(tmp_path, db, "--dry-run", "--older-than", "60",
                           "--events-older-than", "24")
    assert code == 0, err
    assert "Would remove (dry run, nothing removed):" in out
    assert "       3  finished root executions" in out
    assert "       2  events" in out
    # The configured default: orphaned outbox rows after 24 hours.
    assert "orphaned outbox rows" in out
    assert seeded.count(models.WorkflowExecution) == 8
    assert seeded.count(models.Event) == 5


def test_a_pass_removes_with_the_given_ages(db, tmp_path):  # noqa: F811
    trees, recent, running = _history()
    code, out, err = purge(tmp_path, db, "--older-than", "60",
                           "--events-older-than", "24")
    assert code == 0, err
    assert "Removed:" in out and "       3  finished root" in out
    assert seeded.existing([t.id for pair in trees for t in pair] + [
        recent.id, running.id]) == {recent.id, running.id}
    assert seeded.count(models.Event) == 3
    # The lease is given back: the engines' passes go on.
    assert db_session.reader(queries.lease_holder, "retention") is None


def test_configured_ages_apply_and_zero_turns_one_off(db,  # noqa: F811
                                                      tmp_path):
    _history()
    config = ("[execution_expiration_policy]\nolder_than = 60\n"
              "[retention]\ndeliveries_older_than = 24\n")
    code, out, err = purge(tmp_path, db, "--dry-run",
                           "--deliveries-older-than", "0", config=config)
    assert code == 0, err
    assert "       3  finished root executions" in out
    assert "delivery records" not in out


def test_a_pass_in_progress_elsewhere_is_not_joined(db,  # noqa: F811
                                                    tmp_path):
    _history()
    assert db_session.unit_of_work(queries.claim_lease, "retention",
                                   "engine-7", 300)
    code, out, _err = purge(tmp_path, db, "--older-than", "60")
    assert code == 1
    assert "engine-7" in out
    assert seeded.count(models.WorkflowExecution) == 8


def test_nothing_set_says_so(db, tmp_path):  # noqa: F811
    config = "[retention]\noutbox_orphans_older_than = 0\n" \
             "heartbeats_older_than = 0\nstart_tickets_older_than = 0\n"
    code, out, err = purge(tmp_path, db, "--dry-run", config=config)
    assert code == 0, err
    assert "nothing; no age is set" in out
    assert db_session.reader(lambda s: s.execute(sa.select(
        sa.func.count()).select_from(models.WorkflowExecution)).scalar()) \
        == 0
