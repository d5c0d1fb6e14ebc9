#!/usr/bin/env python3
"""The console's pages on a large history: seed PostgreSQL, time them.

    python tools/console_poll.py [--executions 10000] [--tasks-per 10]

Seeds a throw-away PostgreSQL database on 127.0.0.1 the way
``tools/scale_poll.py`` does (finished executions, a few percent ERROR,
``--tasks-per`` tasks each), registers the workflows they ran (a chain
of the tasks, tagged ``scale``) so that execution pages draw a graph,
starts the API process alone and times each console page as a browser
polls it: the first view, a refresh that finds a change (no tag held)
and a refresh that finds none (the tag held: 304). Prints p50/p95/p99
and drops the database. A benchmark, not a test.
"""
import argparse
import os
import pathlib
import random
import sys
import tempfile
import time

import requests
import sqlalchemy as sa

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import bench  # noqa: E402  (start, stop, databases)
import scale_poll  # noqa: E402  (the seed and the percentiles)

WORKFLOWS = 20
LINK = """UPDATE workflow_executions SET workflow_id = (
    SELECT id FROM workflow_definitions d
    WHERE d.name = workflow_executions.name)"""


def chain(name, tasks):
    """A workflow of ``tasks`` tasks t1..tN run one after the other."""
    lines = ["version: '2.0'", "%s:" % name, "  tags: [scale]",
             "  tasks:"]
    for n in range(1, tasks + 1):
        lines += ["    t%d:" % n, "      action: std.noop"]
        if n < tasks:
            lines.append("      on-success: [t%d]" % (n + 1))
    return "\n".join(lines) + "\n"


def seed(url, api, executions, tasks):
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in scale_poll.SEED.split(";"):
            if statement.strip():
                conn.execute(sa.text(statement), {
                    "executions": executions, "tasks": tasks})
    for n in range(WORKFLOWS):
        requests.post(api + "/workflows", data=chain("scale_wf_%d" % n,
                                                      tasks),
                      headers={"Content-Type": "text/plain"},
                      timeout=30).raise_for_status()
    with engine.begin() as conn:
        conn.execute(sa.text(LINK))
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()


def cpu_seconds(pid):
    """CPU time (user + system) the server process has used so far: a
    cost per request that other work on the machine does not inflate
    the way it inflates latency."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(http, url, count, held=False):
    """Milliseconds of ``count`` GETs of ``url``; with ``held`` each one
    sends the tag of the first answer (a poll that finds no change)."""
    headers = {"HX-Request": "true"}
    if held:
        first = http.get(url, headers=headers, timeout=30)
        headers["If-None-Match"] = first.headers["ETag"]
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        answer = http.get(url, headers=headers, timeout=30)
        samples.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == (304 if held else 200), (
            url, answer.status_code)
    return samples


def pages(console, ex_id):
    """``(name, url, held)`` of each page timed, after the API reads they
    are made of (the reference on the same machine at the same time)."""
    api = console.replace("/console", "/v2")
    return [
        ("API list newest 50", api + "/executions?limit=50&sort_keys="
                                     "created_at&sort_dirs=desc", False),
        ("API list newest 50 (304)", api + "/executions?limit=50&sort_keys="
                                           "created_at&sort_dirs=desc", True),
        ("API get one", api + "/executions/" + ex_id, False),
        ("list page", console + "/executions", False),
        ("rows, changed", console + "/executions/rows", False),
        ("rows, unchanged (304)", console + "/executions/rows", True),
        ("rows state=ERROR", console + "/executions/rows?state=ERROR",
         False),
        ("rows name=scale_wf_7", console + "/executions/rows?name="
                                           "scale_wf_7", False),
        ("rows tag=scale", console + "/executions/rows?tag=scale", False),
        ("execution page", console + "/executions/" + ex_id, False),
        ("execution, unchanged (304)",
         console + "/executions/%s/live" % ex_id, True),
        ("workflows page", console + "/workflows", False),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=10000)
    parser.add_argument("--tasks-per", type=int, default=10)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="console-poll-"))
    db, url, config, api = bench.migrated_pg_deployment(workdir)
    procs = []
    try:
        procs = bench.start(config, ["api"], workdir)
        bench.wait_for_api(api, procs)
        seed(url, api, args.executions, args.tasks_per)
        print("seeded %d executions, %d tasks" % (
            args.executions, args.executions * args.tasks_per), flush=True)
        http = requests.Session()
        ids = [e["id"] for e in http.get(
            api + "/executions?limit=1000&fields=id").json()["executions"]]
        ex_id = random.Random(7).choice(ids)
        console = api[:-len("/v2")] + "/console"
        for name, page, held in pages(console, ex_id):
            used = cpu_seconds(procs[0].pid)
            samples = timed(http, page, args.requests, held)
            used = cpu_seconds(procs[0].pid) - used
            print("%-28s %s; server CPU %.1f ms/request" % (
                name, scale_poll.percentiles(samples),
                used * 1000 / len(samples)), flush=True)
    finally:
        bench.stop(procs)
        bench.drop_pg_database(db)


if __name__ == "__main__":
    sys.exit(main())
