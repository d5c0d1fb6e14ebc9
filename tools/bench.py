#!/usr/bin/env python3
"""Benchmark wfengine with ../shared/bench/wfbench.py and record the figures.

    python tools/bench.py [--deployment embedded|multi|both] [--repeat N]
                          [--workload all] [--no-record]

Starts a fresh embedded server (SQLite, in-process messaging) and/or a fresh
multi-process deployment (api + engine + executor + notifier over RabbitMQ
and PostgreSQL on 127.0.0.1), runs wfbench against each, stops them, and
appends the summary lines with the command and date to
doc/source/performance.rst. A benchmark, not a test: nothing asserts times.
"""
import argparse
import configparser
import datetime
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

import kombu
import sqlalchemy as sa

ROOT = pathlib.Path(__file__).resolve().parents[1]
# ../shared beside the checkout (a worktree under wt/ has it one further up).
SHARED = next((d / "shared" for d in (ROOT.parent, ROOT.parent.parent)
               if (d / "shared").is_dir()), ROOT.parent / "shared")
WFBENCH = SHARED / "bench" / "wfbench.py"
PERF_DOC = ROOT / "doc" / "source" / "performance.rst"
# The PostgreSQL server and driver of the multi-process deployments
# (``WFE_BENCH_PG=postgresql+psycopg://postgres@127.0.0.1:5432/`` to
# measure through psycopg 3).
PG_ADMIN = os.environ.get("WFE_BENCH_PG",
                          "postgresql+psycopg2://postgres@127.0.0.1:5432/")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(workdir, port, db_url, transport_url=None, api_options=()):
    lines = ["[DEFAULT]"]
    if transport_url:
        tag = uuid.uuid4().hex[:8]
        lines += ["transport_url = %s" % transport_url,
                  "control_exchange = wfbench_%s" % tag,
                  "[engine]", "topic = wfbench_engine_%s" % tag,
                  "[executor]", "topic = wfbench_executor_%s" % tag]
    lines += ["[api]", "port = %d" % port] + list(api_options) + [
        "[database]", "connection = %s" % db_url]
    path = workdir / "wfengine.conf"
    path.write_text("\n".join(lines) + "\n")
    return path


def start(config, servers, workdir):
    procs = []
    for i, server in enumerate(servers):
        log = open(workdir / ("%s-%d.log" % (server, i)), "w")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "wfengine.cmd.launch", "--config-file",
             str(config), "--server", server],
            stdout=log, stderr=subprocess.STDOUT, cwd=workdir))
    return procs


def wait_for_api(url, procs, deadline=60):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if any(p.poll() is not None for p in procs):
            raise RuntimeError("a server process exited during start")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("API did not answer at %s" % url)


def wait_for_consumers(config, procs, deadline=60):
    """With a broker: wait until the engine's and the executor's topic
    queues have a consumer. RabbitMQ drops a message that no queue takes,
    and the API sends such a start again only after ``[api]
    start_resend_after`` seconds: a delay the figures would count."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(config)
    url = parser.get("DEFAULT", "transport_url", fallback=None)
    if not url:
        return
    queues = [parser.get(group, "topic") for group in ("engine", "executor")]
    end = time.monotonic() + deadline
    # oslo.messaging's rabbit:// is kombu's amqp://.
    amqp_url = "amqp://" + url.split("://", 1)[1]
    with kombu.Connection(amqp_url, connect_timeout=5) as conn:
        for queue in queues:
            while _consumers(conn, queue) < 1:
                if any(p.poll() is not None for p in procs):
                    raise RuntimeError("a server process exited during start")
                if time.monotonic() > end:
                    raise RuntimeError("nobody consumes queue %s" % queue)
                time.sleep(0.1)


def _consumers(conn, queue):
    channel = conn.channel()
    try:
        return channel.queue_declare(queue, passive=True)[2]
    except conn.channel_errors:
        return 0  # not declared yet
    finally:
        try:
            channel.close()
        except conn.channel_errors:
            pass  # the broker closed it with the refusal


def stop(procs):
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()


def run_wfbench(url, args, label, workdir):
    out = workdir / "wfbench.json"
    cmd = [sys.executable, str(WFBENCH), "--url", url, "--workload",
           args.workload, "--repeat", str(args.repeat), "--label", label,
           "--json", str(out)] + args.wfbench_args
    proc = subprocess.run(cmd, capture_output=True, text=True)
    sys.stderr.write(proc.stderr[-4000:])
    return proc.returncode, proc.stdout.strip().splitlines()


def create_pg_database():
    name = "wfbench_%s" % uuid.uuid4().hex[:8]
    engine = sa.create_engine(PG_ADMIN + "postgres",
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE %s" % name)
    engine.dispose()
    return name


def migrated_pg_deployment(workdir):
    """A new PostgreSQL database with the schema at its head, and a config
    file in ``workdir`` for it (the API on a free port, the local
    RabbitMQ): ``(database name, its URL, config path, API URL)``."""
    name = create_pg_database()
    url = PG_ADMIN + name
    port = free_port()
    config = write_config(workdir, port, url,
                          "rabbit://guest:guest@127.0.0.1:5672/")
    try:
        subprocess.run([sys.executable, "-m", "wfengine.cmd.db_manage",
                        "--config-file", str(config), "upgrade", "heads"],
                       check=True, cwd=workdir, capture_output=True)
    except BaseException:
        drop_pg_database(name)
        raise
    return name, url, config, "http://127.0.0.1:%d/v2" % port


def drop_pg_database(name):
    engine = sa.create_engine(PG_ADMIN + "postgres",
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
    engine.dispose()


def bench_embedded(args, workdir):
    port = free_port()
    config = write_config(workdir, port,
                          "sqlite:///%s" % (workdir / "wfengine.sqlite"))
    procs = start(config, ["all"], workdir)
    try:
        url = "http://127.0.0.1:%d/v2" % port
        wait_for_api(url, procs)
        return run_wfbench(url, args, "wfengine embedded", workdir)
    finally:
        stop(procs)


def bench_multi(args, workdir):
    port = free_port()
    db = create_pg_database()
    try:
        config = write_config(workdir, port, PG_ADMIN + db,
                              "rabbit://guest:guest@127.0.0.1:5672/")
        subprocess.run([sys.executable, "-m", "wfengine.cmd.db_manage",
                        "--config-file", str(config), "upgrade", "head"],
                       check=True, cwd=workdir)
        procs = start(config, ["engine", "executor", "notifier", "api"],
                      workdir)
        try:
            url = "http://127.0.0.1:%d/v2" % port
            wait_for_api(url, procs)
            wait_for_consumers(config, procs)
            return run_wfbench(url, args, "wfengine multi", workdir)
        finally:
            stop(procs)
    finally:
        drop_pg_database(db)


def append_record(title, body):
    """Append a section to doc/source/performance.rst: ``title`` with the
    date and commit, the command line that ran, then ``body`` (lines)."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True,
                            cwd=ROOT).stdout.strip()
    heading = "%s, %s (commit %s)" % (title, stamp, commit or "?")
    command = " ".join([pathlib.Path(sys.argv[0]).name] + sys.argv[1:])
    lines = ["", heading, "-" * len(heading), "",
             "Command: ``python tools/%s``" % command, ""] + list(body)
    with open(PERF_DOC, "a") as f:
        f.write("\n".join(lines) + "\n")


def append_tables(title, blocks, preface=()):
    """``append_record`` with each block (a list of lines) as a literal
    block, after the ``preface`` lines."""
    body = list(preface) + ["::", ""]
    for block in blocks:
        body += ["    " + line for line in block] + [""]
    append_record(title, body)


def record(results):
    body = ["::", ""]
    for name, (code, summary) in results.items():
        body.append("    [%s] exit %s" % (name, code))
        body.extend("    " + line for line in summary)
    append_record("Run", body)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployment", default="both",
                        choices=("embedded", "multi", "both"))
    parser.add_argument("--workload", default="all")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("wfbench_args", nargs="*",
                        help="extra wfbench options, after --")
    args = parser.parse_args()
    results = {}
    for name, fn in (("embedded", bench_embedded), ("multi", bench_multi)):
        if args.deployment in (name, "both"):
            workdir = pathlib.Path(tempfile.mkdtemp(prefix="wfbench-"))
            try:
                results[name] = fn(args, workdir)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
            print(json.dumps({name: results[name]}, indent=1))
    if not args.no_record:
        record(results)
    return max(code for code, _ in results.values())


if __name__ == "__main__":
    sys.exit(main())
