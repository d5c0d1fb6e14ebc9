"""execution-list's Duration and <none>; execution-watch's items."""
import datetime

from wfengine.cli import rows
from wfengine.cli import watch

NOW = datetime.datetime(2026, 12, 6, 12, 0, 0)


def test_finished_execution_lasts_until_its_last_update():
    row = rows.execution_row({
        "state": "SUCCESS", "created_at": "2026-12-06 10:00:00",
        "updated_at": "2026-12-06 11:02:03", "task_execution_id": None,
        "root_execution_id": "", "id": "x"}, NOW)
    assert row["duration"] == "1:02:03"
    assert row["task_execution_id"] == row["root_execution_id"] == "<none>"
    assert row["id"] == "x"


def test_running_execution_lasts_until_now():
    item = {"state": "RUNNING", "created_at": "2026-12-06 11:59:00",
            "updated_at": None}
    row = rows.execution_row(item, NOW)
    assert row["duration"] == "0:01:00"
    assert row["updated_at"] == "<none>"
    assert rows.duration({"state": "RUNNING",
                          "created_at": "2026-12-06 11:59:59"}, NOW) == "..."
    assert rows.duration({"state": "RUNNING"}, NOW) == ""


def test_items_progress():
    assert watch.items_progress(None) == ""
    assert watch.items_progress({"retry_no": 1}) == ""
    assert watch.items_progress({"with_items": {
        "count": 10, "started": 6, "succeeded": 3, "failed": 1}}) == \
        "4/10, 1 failed, 2 running"
    assert watch.items_progress({"with_items": {
        "count": 3, "started": 3, "succeeded": 3, "failed": 0}}) == "3/3"
