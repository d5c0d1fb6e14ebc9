"""The companion CLI's last gaps: execution-get-report, following 'next'
across pages, task-reset keeping its note, execution-list's Duration and
<none>, with-items progress in execution-watch."""
import json
import re

import pytest

from tests.functional import test_companion_cli as companion
from tests.functional.test_companion_cli import cli  # noqa: F401
from tests.functional.test_companion_cli import deployment  # noqa: F401
from tests.functional.test_companion_cli import workflows  # noqa: F401

pytestmark = pytest.mark.timeout(240)

ITEMS = """\
version: '2.0'
cli_items:
  tasks:
    each:
      with-items: x in <% range(0, 6) %>
      concurrency: 2
      action: std.echo output=<% $.x %> delay=0.05
"""
DURATION = re.compile(r"^\d+:\d\d:\d\d(\.\d+)?$|^\.\.\.$")


def test_report_shows_the_failed_path(cli, workflows):  # noqa: F811
    ex_id = companion.start(cli, "cli_flaky")
    companion.watch(cli, ex_id, rc=2)
    text = cli.run("execution-get-report", ex_id).stdout
    lines = text.splitlines()
    assert lines[0] == "workflow cli_flaky [ERROR] %s" % ex_id
    second = companion.task_id(cli, ex_id, "second")
    assert "    task second [ERROR] %s" % second in lines
    assert any(line.startswith("        error: ") for line in lines)
    assert not any("task first" in line for line in lines)  # errors only
    # With errors only, the statistics count the tasks shown.
    assert lines[-1] == ("Tasks: 0 RUNNING, 0 SUCCESS, 1 ERROR, 0 IDLE, "
                         "0 PAUSED of 1 in all")
    every = cli.run("execution-get-report", ex_id,
                    "--no-errors-only").stdout
    assert "    task first [SUCCESS]" in every
    assert "        action std.echo [SUCCESS]" in every
    stats = cli.run("execution-get-report", ex_id,
                    "--statistics-only").stdout
    assert stats.strip().splitlines() == [lines[-1]]
    all_stats = cli.run("execution-get-report", ex_id, "--statistics-only",
                        "--no-errors-only").stdout
    assert all_stats.strip() == ("Tasks: 0 RUNNING, 1 SUCCESS, 1 ERROR, "
                                 "0 IDLE, 0 PAUSED of 2 in all")
    as_json = json.loads(cli.run("execution-get-report", ex_id, "-f",
                                 "json").stdout)
    assert as_json["statistics"]["error_tasks_count"] == 1


def test_list_follows_next_across_pages(cli, workflows):  # noqa: F811
    ids = [companion.start(cli, "cli_hello", {"name": "p%d" % i})
           for i in range(5)]
    everything = [e["ID"] for e in cli.json(
        "execution-list", "--sort-keys", "created_at", "--sort-dirs",
        "asc")]
    paged = [e["ID"] for e in cli.json(
        "execution-list", "--page-size", "2", "--sort-keys", "created_at",
        "--sort-dirs", "asc")]
    assert paged == everything and set(ids) <= set(paged)
    first_three = [e["ID"] for e in cli.json(
        "execution-list", "--page-size", "2", "--limit", "3",
        "--sort-keys", "created_at", "--sort-dirs", "asc")]
    assert first_three == everything[:3]
    one_page = cli.json("execution-list", "--limit", "2")
    assert len(one_page) == 2


def test_execution_list_duration_and_none(cli, workflows):  # noqa: F811
    ex_id = companion.start(cli, "cli_hello", {"name": "d"})
    companion.watch(cli, ex_id, rc=0)
    [row] = [e for e in cli.json("execution-list") if e["ID"] == ex_id]
    assert DURATION.match(row["Duration"]), row["Duration"]
    assert row["Task execution ID"] == "<none>"
    assert row["Root execution ID"] == "<none>"
    table = cli.run("execution-list").stdout
    assert "Duration" in table.splitlines()[1]


def test_task_reset_idle_keeps_its_note(cli, workflows):  # noqa: F811
    ex_id = companion.start(cli, "cli_flaky")
    companion.watch(cli, ex_id, rc=2)
    second = companion.task_id(cli, ex_id, "second")
    marked = cli.json("task-reset", second, "--state", "IDLE",
                      "--state-info", "replay after the fix of INC-42")
    assert marked["State"] == "IDLE"
    assert cli.json("task-get", second)["State info"] == \
        "replay after the fix of INC-42"


def test_watch_shows_with_items_progress(cli):  # noqa: F811
    cli.json("workflow-create", cli.file("items.yaml", ITEMS))
    ex_id = companion.start(cli, "cli_items")
    proc = companion.watch(cli, ex_id, rc=0)
    last = proc.stdout.strip().splitlines()
    assert last[-1] == ("Progress: 1/1 tasks done, execution SUCCESS; "
                        "items: each 6/6")
    assert any(re.search(r"\| each\s+\| SUCCESS\s+\| 6/6\s+\|", line)
               for line in last)
