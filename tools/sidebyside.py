#!/usr/bin/env python3
"""wfengine and OpenStack Mistral side by side, workload by workload.

    python tools/sidebyside.py [--shape embedded|multi|both] [--repeat N]
                               [--workloads seq,items,fanout,data,poll]
                               [--no-record]

Installs Mistral 23.0.0 from PyPI through ``../shared/peers/mistral/`` when
it is not installed yet, then for each deployment shape starts both servers
fresh (embedded: wfengine's default against Mistral's all-in-one, both on
SQLite; multi: api + engine + executor + notifier over RabbitMQ and
PostgreSQL for both) and runs ``../shared/bench/wfbench.py`` on one
workload against Mistral, then against wfengine, then the next workload,
so each ratio compares two runs made minutes apart. The servers' peak RSS
(VmHWM, all their processes) is read at the end. Prints a table of the
figures and ratios and appends it to doc/source/performance.rst.
A benchmark, not a test: nothing asserts times.
"""
import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import bench

PEER = bench.ROOT.parent / "shared" / "peers" / "mistral"
PEER_DIR = pathlib.Path(os.environ.get("MISTRAL_PEER_DIR",
                                       "/tmp/mistral-peer"))
WORKLOADS = ("seq", "items", "fanout", "data", "poll")
# What wfbench reports for each workload, and whether more is better.
FIGURES = {"seq": ("tasks_per_s", "tasks/s", True),
           "items": ("items_per_s", "items/s", True),
           "fanout": ("tasks_per_s", "tasks/s", True),
           "data": ("tasks_per_s", "tasks/s", True)}
POLLS = (("list_recent_100", "list 100"), ("list_error_50", "ERROR 50"),
         ("get_by_id", "get"))


def ensure_mistral():
    if not (PEER_DIR / "venv" / "bin" / "mistral-server").exists():
        subprocess.run([str(PEER / "install.sh")], check=True)


class Mistral:
    def __init__(self, shape, port):
        self.mode = "all-in-one" if shape == "embedded" else "multi"
        self.env = dict(os.environ, MISTRAL_PORT=str(port),
                        MISTRAL_RESET_DB="1")
        self.url = "http://127.0.0.1:%d/v2" % port

    def start(self):
        subprocess.run([str(PEER / "stop.sh")], check=False, env=self.env)
        subprocess.run([str(PEER / "start.sh"), self.mode], check=True,
                       env=self.env)

    def pids(self):
        path = PEER_DIR / "mistral.pids"
        return [int(p) for p in path.read_text().split()] if \
            path.exists() else []

    def stop(self):
        subprocess.run([str(PEER / "stop.sh")], check=False, env=self.env)


class WFEngine:
    def __init__(self, shape, port, workdir):
        self.shape, self.port, self.workdir = shape, port, workdir
        self.url = "http://127.0.0.1:%d/v2" % port
        self.procs, self.db = [], None

    def start(self):
        if self.shape == "embedded":
            config = bench.write_config(
                self.workdir, self.port,
                "sqlite:///%s" % (self.workdir / "wfengine.sqlite"))
            servers = ["all"]
        else:
            self.db = bench.create_pg_database()
            config = bench.write_config(
                self.workdir, self.port, bench.PG_ADMIN + self.db,
                "rabbit://guest:guest@127.0.0.1:5672/")
            subprocess.run([sys.executable, "-m", "wfengine.cmd.db_manage",
                            "--config-file", str(config), "upgrade", "head"],
                           check=True, cwd=self.workdir)
            servers = ["engine", "executor", "notifier", "api"]
        self.procs = bench.start(config, servers, self.workdir)
        bench.wait_for_api(self.url, self.procs)
        bench.wait_for_consumers(config, self.procs)

    def pids(self):
        return [p.pid for p in self.procs]

    def stop(self):
        bench.stop(self.procs)
        if self.db:
            bench.drop_pg_database(self.db)


def peak_rss_mib(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return round(total / 1024, 1)


def wfbench(url, workload, repeat, label, workdir):
    out = workdir / ("%s-%s.json" % (label, workload))
    cmd = [sys.executable, str(bench.WFBENCH), "--url", url, "--workload",
           workload, "--repeat", str(repeat), "--poll-interval", "0.05",
           "--label", label, "--json", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    print(proc.stdout.strip(), flush=True)
    if proc.returncode != 0 or not out.exists():
        sys.stderr.write(proc.stderr[-3000:])
        return None
    entry = json.loads(out.read_text())["workloads"][workload]
    return entry.get("median")


def compare(shape, args, workdir):
    mistral = Mistral(shape, bench.free_port())
    ours = WFEngine(shape, bench.free_port(), workdir)
    rows = []
    mistral.start()
    try:
        ours.start()
        try:
            for workload in args.workloads:
                theirs = wfbench(mistral.url, workload, args.repeat,
                                 "mistral", workdir)
                mine = wfbench(ours.url, workload, args.repeat, "wfengine",
                               workdir)
                rows += table_rows(workload, theirs, mine)
            rows.append(("peak RSS (MiB)", peak_rss_mib(mistral.pids()),
                         peak_rss_mib(ours.pids()), False))
        finally:
            ours.stop()
    finally:
        mistral.stop()
    return rows


def table_rows(workload, theirs, mine):
    if workload == "poll":
        return [("poll %s p99 (ms)" % label,
                 (theirs or {}).get(key, {}).get("p99_ms"),
                 (mine or {}).get(key, {}).get("p99_ms"), False)
                for key, label in POLLS]
    key, unit, _ = FIGURES[workload]
    return [("%s (%s)" % (workload, unit), (theirs or {}).get(key),
             (mine or {}).get(key), True)]


def render(shape, rows):
    header = ("%-26s %12s %12s %8s" % (
        "%s shape" % shape, "Mistral", "wfengine", "ratio"))
    lines = [header, "-" * len(header)]
    for name, theirs, mine, higher_better in rows:
        ratio = "n/a"
        if theirs and mine:
            ratio = "%.1fx" % (mine / theirs if higher_better
                               else theirs / mine)
        lines.append("%-26s %12s %12s %8s" % (name, _figure(theirs),
                                                _figure(mine), ratio))
    return lines


def _figure(value):
    return "n/a" if value is None else "%.1f" % value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="both",
                        choices=("embedded", "multi", "both"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        type=lambda s: [w for w in s.split(",") if w])
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    unknown = set(args.workloads) - set(WORKLOADS)
    if unknown:
        parser.error("unknown workloads: %s" % ", ".join(sorted(unknown)))
    ensure_mistral()
    blocks = []
    for shape in ("embedded", "multi"):
        if args.shape not in (shape, "both"):
            continue
        workdir = pathlib.Path(tempfile.mkdtemp(prefix="sidebyside-"))
        try:
            blocks.append(render(shape, compare(shape, args, workdir)))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        print("\n".join(blocks[-1]), flush=True)
    if not args.no_record:
        bench.append_tables("Side by side", blocks, preface=[
            "Ratios: throughput wfengine / Mistral; p99 and memory",
            "Mistral / wfengine (higher is better for wfengine).", ""])
    return 0


if __name__ == "__main__":
    sys.exit(main())
