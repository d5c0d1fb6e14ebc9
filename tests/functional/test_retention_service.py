"""The engine runs the retention passes by itself (the policies are
tested on PostgreSQL in tests/db/test_retention.py)."""
import datetime
import sqlite3

import pytest

from tests.functional import harness
from tests.functional import test_metrics

pytestmark = pytest.mark.timeout(120)


def test_engine_removes_old_orphaned_outbox_rows(tmp_path):
    deployment = harness.Deployment(tmp_path, config={
        "retention": {"interval": "1", "outbox_orphans_older_than": "1"}})
    with harness.running(deployment, ["all"]):
        path = deployment.database_url[len("sqlite:///"):]
        old = (datetime.datetime.now(datetime.timezone.utc)
               - datetime.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S")
        conn = sqlite3.connect(path, timeout=30)
        try:
            with conn:
                conn.execute(
                    "INSERT INTO outbox (kind, ref_id, payload, created_at,"
                    " next_send_at, attempts) VALUES ('timer', 'gone',"
                    " '{}', ?, ?, 0)", (old, "2999-01-01 00:00:00"))

            def remaining():
                return conn.execute("SELECT count(*) FROM outbox WHERE"
                                    " ref_id = 'gone'").fetchone()[0]
            harness.wait_until(lambda: remaining() == 0, 30,
                               "the orphaned outbox row to be removed")
        finally:
            conn.close()
        samples = test_metrics.scrape(deployment.port)
    assert test_metrics.value(samples, "wfengine_retention_deleted_rows_total",
                              table="outbox") == 1
