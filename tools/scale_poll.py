#!/usr/bin/env python3
"""Dashboard queries on a large history: seed PostgreSQL, time the API.

    python tools/scale_poll.py [--executions 100000] [--tasks-per 10]

Creates a throw-away PostgreSQL database on 127.0.0.1, fills it with
``--executions`` finished executions (a few percent ERROR) and
``--tasks-per`` task executions each, starts the API alone on it, runs
wfbench's ``poll`` workload (list newest 100, list ERROR, get one) and
``GET /v2/tasks?workflow_execution_id=...``, prints p50/p95/p99, and drops
the database. A benchmark, not a test.
"""
import argparse
import pathlib
import random
import statistics
import sys
import tempfile
import time

import requests
import sqlalchemy as sa

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import bench  # noqa: E402  (the sibling tool: start, stop, databases)

SEED = """
INSERT INTO workflow_executions (id, name, workflow_namespace, description,
    state, state_info, input, output, params, context, project_id,
    created_at, updated_at)
SELECT md5('wf' || i)::uuid::text, 'scale_wf_' || (i % 20), '', '',
       CASE WHEN i % 40 = 0 THEN 'ERROR' ELSE 'SUCCESS' END,
       CASE WHEN i % 40 = 0 THEN 'Failure caused by error' END,
       '{"x": 1}', '{"y": 2}', '{}', '{}', '<default-project>',
       now() - (i || ' seconds')::interval, now()
FROM generate_series(1, :executions) AS i;

INSERT INTO task_executions (id, name, type, workflow_execution_id,
    workflow_name, workflow_namespace, state, in_context, published,
    runtime_context, processed, project_id, created_at, updated_at)
SELECT md5('t' || i || '.' || j)::uuid::text, 't' || j, 'ACTION',
       md5('wf' || i)::uuid::text, 'scale_wf_' || (i % 20), '', 'SUCCESS',
       '{}', '{"v": 1}', '{}', true, '<default-project>',
       now() - (i || ' seconds')::interval, now()
FROM generate_series(1, :executions) AS i, generate_series(1, :tasks) AS j;
ANALYZE;
"""


def percentiles(samples):
    ordered = sorted(samples)
    pick = lambda p: ordered[min(len(ordered) - 1,  # noqa: E731
                                 int(round(p / 100 * (len(ordered) - 1))))]
    return "p50 %.1f / p95 %.1f / p99 %.1f ms (median %.1f)" % (
        pick(50), pick(95), pick(99), statistics.median(ordered))


def time_get(http, make_url, count):
    """Milliseconds of ``count`` sequential GETs on one kept-alive
    connection, as a dashboard (and wfbench) makes them."""
    samples = []
    for _ in range(count):
        url = make_url()
        start = time.perf_counter()
        http.get(url, timeout=30).raise_for_status()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=100000)
    parser.add_argument("--tasks-per", type=int, default=10)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="scale-poll-"))
    db, url, config, api = bench.migrated_pg_deployment(workdir)
    procs = []
    try:
        started = time.monotonic()
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            for statement in SEED.split(";"):
                if statement.strip():
                    conn.execute(sa.text(statement), {
                        "executions": args.executions,
                        "tasks": args.tasks_per})
        engine.dispose()
        print("seeded %d executions, %d tasks in %.0f s"
              % (args.executions, args.executions * args.tasks_per,
                 time.monotonic() - started), flush=True)
        procs = bench.start(config, ["api"], workdir)
        bench.wait_for_api(api, procs)
        http = requests.Session()
        ids = [e["id"] for e in http.get(
            api + "/executions?limit=1000&fields=id").json()["executions"]]
        pick = random.Random(7).choice
        for name, path in (
                ("list newest 100", lambda: "/executions?limit=100&sort_keys="
                                            "created_at&sort_dirs=desc"),
                ("list ERROR 50", lambda: "/executions?state=ERROR&limit=50"),
                ("list by workflow_name", lambda: "/executions?workflow_name="
                                                  "scale_wf_7&limit=100"),
                ("get one", lambda: "/executions/%s" % pick(ids)),
                ("tasks of one", lambda: "/tasks?workflow_execution_id=%s"
                                         % pick(ids))):
            print("%-22s %s" % (name, percentiles(time_get(
                http, lambda: api + path(), args.requests))), flush=True)
    finally:
        bench.stop(procs)
        bench.drop_pg_database(db)


if __name__ == "__main__":
    sys.exit(main())
