#!/usr/bin/env python3
"""Dashboard queries while the retention policy purges: p99 before/during.

    python tools/retention_poll.py [--executions 100000] [--batch 5000]

Seeds PostgreSQL as ``tools/scale_poll.py`` does (100,000 finished
executions, 10 tasks each, created one second apart), starts the API
alone, times the dashboard queries, then times them again while an
expiration pass removes the ``--batch`` oldest executions (those not
updated for 14 hours, in chunks of ``[retention] chunk_size``), and
prints both. A benchmark, not a test.
"""
import argparse
import pathlib
import random
import sys
import tempfile
import threading
import time
import types

import requests
import sqlalchemy as sa

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import bench  # noqa: E402
import scale_poll  # noqa: E402

from wfengine.db import session as db_session  # noqa: E402
from wfengine.engine import retention  # noqa: E402

QUERIES = (
    ("list newest 100", "/executions?limit=100&sort_keys=created_at"
                        "&sort_dirs=desc"),
    ("list ERROR 50", "/executions?state=ERROR&limit=50"),
    ("list by workflow_name", "/executions?workflow_name=scale_wf_7"
                              "&limit=100"),
)


def seed(url, executions, tasks_per):
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in scale_poll.SEED.split(";"):
            if statement.strip():
                conn.execute(sa.text(statement), {"executions": executions,
                                                  "tasks": tasks_per})
        # Last updated when created: the oldest are the policy's.
        conn.execute(sa.text("UPDATE workflow_executions"
                             " SET updated_at = created_at"))
    engine.dispose()


def poll(http, api, ids, until):
    """Samples per query, round after round, until ``until()``."""
    samples = {name: [] for name, _ in QUERIES}
    samples["get one"] = []
    pick = random.Random(7).choice
    while True:
        for name, path in QUERIES:
            samples[name] += scale_poll.time_get(
                http, lambda: api + path, 10)
        samples["get one"] += scale_poll.time_get(
            http, lambda: "%s/executions/%s" % (api, pick(ids)), 10)
        if until():
            return samples


def purge_options(batch, chunk, pause, share):
    return types.SimpleNamespace(
        execution_expiration_policy=types.SimpleNamespace(
            evaluation_interval=1, older_than=14 * 60,
            max_finished_executions=0, batch_size=batch, ignored_states=[]),
        retention=types.SimpleNamespace(
            interval=3600, events_older_than=0, deliveries_older_than=0,
            outbox_orphans_older_than=0, heartbeats_older_than=0,
            chunk_size=chunk, chunk_pause=pause, chunk_share=share))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=100000)
    parser.add_argument("--tasks-per", type=int, default=10)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--chunk", type=int, default=200)
    parser.add_argument("--pause", type=float, default=0.05,
                        help="[retention] chunk_pause")
    parser.add_argument("--share", type=float, default=0.5,
                        help="[retention] chunk_share")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="retention-poll-"))
    db, url, config, api = bench.migrated_pg_deployment(workdir)
    procs = []
    try:
        seed(url, args.executions, args.tasks_per)
        procs = bench.start(config, ["api"], workdir)
        bench.wait_for_api(api, procs)
        http = requests.Session()
        ids = [e["id"] for e in http.get(
            api + "/executions?limit=1000&fields=id&sort_keys=created_at"
            "&sort_dirs=desc").json()["executions"]]
        report("before (idle baseline)", poll(http, api, ids,
                                              enough_again(args)))

        db_session.configure(url)
        options = purge_options(args.batch, args.chunk, args.pause,
                                args.share)
        passes = retention.Retention(options, "retention-poll")
        result = {}
        started = time.monotonic()
        worker = threading.Thread(target=purge_pass, args=(passes, result))
        worker.start()
        during = poll(http, api, ids, lambda: not worker.is_alive())
        worker.join()
        print("purged %s executions in %.0f s (the pass's own CPU %.2f s, "
              "%d statements, %d of them DELETE)" % (
                  result.get("executions"), time.monotonic() - started,
                  result["cpu"], result["statements"], result["deletes"]))
        report("during the purge", during)
        report("after the purge", poll(http, api, ids, enough_again(args)))
    finally:
        db_session.dispose()
        bench.stop(procs)
        bench.drop_pg_database(db)


def purge_pass(passes, result):
    """One expiration pass, with its thread's CPU time and statements."""
    sent = []

    def record(conn, cursor, statement, *args):
        sent.append(statement.lstrip()[:6].upper())
    engine = db_session.get_engine()
    sa.event.listen(engine, "before_cursor_execute", record)
    cpu = time.thread_time()
    try:
        result.update(passes.expire_executions())
    finally:
        result["cpu"] = time.thread_time() - cpu
        sa.event.remove(engine, "before_cursor_execute", record)
    result["statements"] = len(sent)
    result["deletes"] = sent.count("DELETE")


def enough_again(args):
    rounds = {"n": 0}

    def enough():
        rounds["n"] += 1
        return rounds["n"] * 10 >= args.requests
    return enough


def report(title, samples):
    print(title)
    for name, values in samples.items():
        print("  %-22s %s (%d requests)" % (
            name, scale_poll.percentiles(values), len(values)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
