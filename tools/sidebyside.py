#!/usr/bin/env python3
"""wfengine and OpenStack Mistral side by side, workload by workload.

    python tools/sidebyside.py [--shape embedded|multi|both] [--repeat N]
                               [--workloads seq,items,fanout,data,poll,get,alone]
                               [--scale seq=3000,data=600] [--engines 2]
                               [--no-record]

Installs Mistral 23.0.0 from PyPI through ``../shared/peers/mistral/`` when
it is not installed yet, then for each deployment shape starts both servers
fresh (embedded: wfengine's default against Mistral's all-in-one, both on
SQLite; multi: api + engine + executor + notifier over RabbitMQ and
PostgreSQL for both) and runs each workload against Mistral, then against
wfengine, then the next workload, so each ratio compares two runs made
minutes apart under the same load of the machine.

``seq``, ``items``, ``fanout``, ``data`` and ``poll`` are
``../shared/bench/wfbench.py``'s; ``get`` and ``alone`` are
``tools/latency.py``'s (the server's own time of a GET from its
``Server-Timing`` header, which Mistral's API gets from the same
middleware through ``tools/peer_timing``; one execution alone, polled).
For each throughput workload the tool also reads the CPU time of every
server process (ms per task, wfengine's also per process) and, on
PostgreSQL, the commits per task and how many backends waited for a lock
(``tools/pgstats.py``). ``--scale`` sets wfengine's sizes only (Mistral
keeps wfbench's defaults: compare rates); ``--engines N`` runs N engines
and N executors in wfengine's multi-process shape. The servers' peak RSS
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
import latency
import pgstats

PEER = bench.SHARED / "peers" / "mistral"
PEER_DIR = pathlib.Path(os.environ.get("MISTRAL_PEER_DIR",
                                       "/tmp/mistral-peer"))
PEER_VENV = pathlib.Path(os.environ.get("MISTRAL_VENV", PEER_DIR / "venv"))
PEER_TIMING = bench.ROOT / "tools" / "peer_timing"
WORKLOADS = ("seq", "items", "fanout", "data", "poll", "get", "alone")
# What wfbench reports for each workload, and whether more is better.
FIGURES = {"seq": ("tasks_per_s", "tasks/s", True),
           "items": ("items_per_s", "items/s", True),
           "fanout": ("tasks_per_s", "tasks/s", True),
           "data": ("tasks_per_s", "tasks/s", True)}
POLLS = (("list_recent_100", "list 100"), ("list_error_50", "ERROR 50"),
         ("get_by_id", "get"))


def ensure_mistral():
    if not (PEER_VENV / "bin" / "mistral-server").exists():
        subprocess.run([str(PEER / "install.sh")], check=True)


class Mistral:
    def __init__(self, shape, port):
        self.mode = "all-in-one" if shape == "embedded" else "multi"
        self.db = os.environ.get("MISTRAL_PG_DB",
                                 "mistral_" + PEER_DIR.name.replace("-", "_"))
        self.env = dict(os.environ, MISTRAL_PORT=str(port),
                        MISTRAL_RESET_DB="1", MISTRAL_VENV=str(PEER_VENV),
                        MISTRAL_PEER_DIR=str(PEER_DIR), MISTRAL_PG_DB=self.db,
                        PYTHONPATH=str(PEER_TIMING))
        self.url = "http://127.0.0.1:%d/v2" % port
        self.pg_db = self.db if self.mode == "multi" else None

    def start(self):
        subprocess.run([str(PEER / "stop.sh")], check=False, env=self.env)
        subprocess.run([str(PEER / "start.sh"), self.mode], check=True,
                       env=self.env)

    def pids(self):
        path = PEER_DIR / "mistral.pids"
        return [int(p) for p in path.read_text().split()] if \
            path.exists() else []

    def roles(self):
        return {"all": self.pids()}

    def stop(self):
        subprocess.run([str(PEER / "stop.sh")], check=False, env=self.env)


class WFEngine:
    def __init__(self, shape, port, workdir, engines=1):
        self.shape, self.port, self.workdir = shape, port, workdir
        self.engines = engines
        self.url = "http://127.0.0.1:%d/v2" % port
        self.procs, self.db, self.servers = [], None, []

    @property
    def pg_db(self):
        return self.db

    def start(self):
        timing = ["server_timing = true"]
        if self.shape == "embedded":
            config = bench.write_config(
                self.workdir, self.port,
                "sqlite:///%s" % (self.workdir / "wfengine.sqlite"),
                api_options=timing)
            self.servers = ["all"]
        else:
            self.db = bench.create_pg_database()
            config = bench.write_config(
                self.workdir, self.port, bench.PG_ADMIN + self.db,
                "rabbit://guest:guest@127.0.0.1:5672/", api_options=timing)
            subprocess.run([sys.executable, "-m", "wfengine.cmd.db_manage",
                            "--config-file", str(config), "upgrade", "head"],
                           check=True, cwd=self.workdir)
            self.servers = (["engine"] * self.engines +
                            ["executor"] * self.engines + ["notifier", "api"])
        self.procs = bench.start(config, self.servers, self.workdir)
        bench.wait_for_api(self.url, self.procs)
        bench.wait_for_consumers(config, self.procs)

    def pids(self):
        return [p.pid for p in self.procs]

    def roles(self):
        roles = {}
        for server, proc in zip(self.servers, self.procs):
            roles.setdefault(server, []).append(proc.pid)
        return roles

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


def cpu_seconds(pids):
    """User + system CPU seconds the processes ``pids`` have used."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


class Watch:
    """CPU of a server's processes by role, and PostgreSQL's statistics,
    over one workload."""

    def __init__(self, server):
        self.roles = server.roles()
        self.sampler = pgstats.Sampler(server.pg_db) if server.pg_db \
            else None

    def __enter__(self):
        self.cpu = {r: cpu_seconds(p) for r, p in self.roles.items()}
        if self.sampler:
            self.sampler.start()
        return self

    def __exit__(self, *exc):
        self.cpu = {r: cpu_seconds(p) - self.cpu[r]
                    for r, p in self.roles.items()}
        self.pg = self.sampler.stop() if self.sampler else None


def wfbench(url, workload, repeat, label, workdir, scale=None):
    out = workdir / ("%s-%s.json" % (label, workload))
    cmd = [sys.executable, str(bench.WFBENCH), "--url", url, "--workload",
           workload, "--repeat", str(repeat), "--poll-interval", "0.05",
           "--label", label, "--json", str(out)]
    if scale:
        cmd += ["--scale", str(scale)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    print(proc.stdout.strip(), flush=True)
    if proc.returncode != 0 or not out.exists():
        sys.stderr.write(proc.stderr[-3000:])
        return None
    return json.loads(out.read_text())["workloads"][workload]


def measure(server, workload, args, label, workdir, scale=None):
    """One workload against one server: ``(figures, watch)``."""
    with Watch(server) as watch:
        if workload == "get":
            figures = latency.get(server.url)
        elif workload == "alone":
            figures = latency.alone(server.url, runs=args.alone_runs)
        else:
            entry = wfbench(server.url, workload, args.repeat, label,
                            workdir, scale)
            figures = entry and dict(entry["median"], runs=entry["runs"])
    print("%s %s: %s" % (label, workload, _brief(figures)), flush=True)
    return figures, watch


def _brief(figures):
    return json.dumps({k: v for k, v in (figures or {}).items()
                       if k != "runs" and not isinstance(v, (dict, list))})


def compare(shape, args, workdir):
    port = int(os.environ.get("MISTRAL_PORT", 0)) or bench.free_port()
    mistral = Mistral(shape, port)
    ours = WFEngine(shape, bench.free_port(), workdir, args.engines)
    rows, notes = [], []
    mistral.start()
    try:
        ours.start()
        try:
            for workload in args.workloads:
                theirs = measure(mistral, workload, args, "mistral", workdir)
                mine = measure(ours, workload, args, "wfengine", workdir,
                               args.scale.get(workload))
                rows += table_rows(workload, theirs, mine)
                notes += cpu_notes(workload, mine)
            rows.append(("peak RSS (MiB)", peak_rss_mib(mistral.pids()),
                         peak_rss_mib(ours.pids()), False))
        finally:
            ours.stop()
    finally:
        mistral.stop()
    return rows, notes


def _units(figures):
    """Tasks (or items) a wfbench workload ran, over all its runs."""
    runs = (figures or {}).get("runs") or []
    return sum(r.get("tasks") or r.get("items") or 0 for r in runs)


def table_rows(workload, theirs, mine):
    (t_fig, t_watch), (m_fig, m_watch) = theirs, mine
    t_fig, m_fig = t_fig or {}, m_fig or {}
    if workload == "poll":
        return [("poll %s p99 (ms)" % label,
                 t_fig.get(key, {}).get("p99_ms"),
                 m_fig.get(key, {}).get("p99_ms"), False)
                for key, label in POLLS]
    if workload == "get":
        return [("get server p99 (ms)", t_fig.get("server_p99_ms"),
                 m_fig.get("server_p99_ms"), False),
                ("get client p50 (ms)", t_fig.get("client_p50_ms"),
                 m_fig.get("client_p50_ms"), False)]
    if workload == "alone":
        return [("alone p%s (ms)" % p, t_fig.get("p%s_ms" % p),
                 m_fig.get("p%s_ms" % p), False) for p in (50, 95)]
    key, unit, _ = FIGURES[workload]
    rows = [("%s (%s)" % (workload, unit), t_fig.get(key), m_fig.get(key),
             True)]
    per = [_per_unit(t_fig, t_watch), _per_unit(m_fig, m_watch)]
    rows.append(("%s CPU ms/task" % workload, per[0][0], per[1][0], False))
    if per[0][1] is not None or per[1][1] is not None:
        rows.append(("%s commits/task" % workload, per[0][1], per[1][1],
                     False))
        rows.append(("%s lock-waiting backends" % workload, per[0][2],
                     per[1][2], None))
    return rows


def _per_unit(figures, watch):
    units = _units(figures)
    if not units:
        return None, None, None
    cpu = sum(watch.cpu.values()) * 1000.0 / units
    if not watch.pg:
        return cpu, None, None
    return cpu, watch.pg["commits"] / units, watch.pg["lock_waiting_mean"]


def cpu_notes(workload, mine):
    figures, watch = mine
    units = _units(figures)
    if not units or workload not in FIGURES:
        return []
    parts = ["%s %.2f" % (role, cpu * 1000.0 / units)
             for role, cpu in sorted(watch.cpu.items())]
    line = "wfengine %s CPU ms/task by process: %s" % (workload,
                                                      ", ".join(parts))
    if watch.pg:
        line += "; PostgreSQL: %s" % json.dumps(watch.pg)
    return [line]


def render(shape, rows, notes=()):
    header = ("%-30s %12s %12s %8s" % (
        "%s shape" % shape, "Mistral", "wfengine", "ratio"))
    lines = [header, "-" * len(header)]
    for name, theirs, mine, higher_better in rows:
        ratio = "n/a"
        if theirs and mine and higher_better is not None:
            ratio = "%.1fx" % (mine / theirs if higher_better
                               else theirs / mine)
        elif higher_better is None:
            ratio = ""
        lines.append("%-30s %12s %12s %8s" % (name, _figure(theirs),
                                                _figure(mine), ratio))
    return lines + [""] + list(notes) if notes else lines


def _figure(value):
    if value is None:
        return "n/a"
    return "%.2f" % value if abs(value) < 10 else "%.1f" % value


def _scales(text):
    scales = {}
    for part in filter(None, text.split(",")):
        name, _, size = part.partition("=")
        scales[name] = int(size)
    return scales


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="both",
                        choices=("embedded", "multi", "both"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workloads", default=",".join(WORKLOADS[:5]),
                        type=lambda s: [w for w in s.split(",") if w])
    parser.add_argument("--scale", default={}, type=_scales,
                        help="wfengine's sizes, e.g. seq=3000,data=600")
    parser.add_argument("--engines", type=int, default=1,
                        help="engines and executors in wfengine's multi "
                             "shape")
    parser.add_argument("--alone-runs", type=int, default=100)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    unknown = set(args.workloads) - set(WORKLOADS)
    if unknown:
        parser.error("unknown workloads: %s" % ", ".join(sorted(unknown)))
    return args


def main():
    args = parse_args()
    ensure_mistral()
    blocks = []
    for shape in ("embedded", "multi"):
        if args.shape not in (shape, "both"):
            continue
        workdir = pathlib.Path(tempfile.mkdtemp(prefix="sidebyside-"))
        try:
            blocks.append(render(shape, *compare(shape, args, workdir)))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        print("\n".join(blocks[-1]), flush=True)
    if not args.no_record:
        bench.append_tables("Side by side", blocks, preface=[
            "Ratios: throughput wfengine / Mistral; p99, latency, CPU and",
            "memory Mistral / wfengine (higher is better for wfengine).",
            ""])
    return 0


if __name__ == "__main__":
    sys.exit(main())
