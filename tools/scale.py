#!/usr/bin/env python3
"""How wfengine's cost grows with the size of a workflow.

    python tools/scale.py [--series items,fanout,seq] [--no-record]
                          [--items 500,5000,50000] [--fanout 100,2000]
                          [--seq 50,1000]

Starts a fresh embedded server (SQLite, in-process messaging) for each
size, runs ``../shared/bench/wfbench.py --workload <w> --scale <n>`` on it
and, while it runs, samples the server's resident memory every 0.2 s.
Prints per-task rates, the ratio of each size's rate to the smallest
size's, and peak and end memory, and appends them to
doc/source/performance.rst. Linear cost means the ratios stay near 1; the
issue's bound is a factor of 2. A benchmark, not a test.
"""
import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading

import bench

DEFAULTS = {"items": "500,5000,50000", "fanout": "100,2000",
            "seq": "50,1000"}
RATE = {"items": "items_per_s", "fanout": "tasks_per_s",
        "seq": "tasks_per_s"}


class MemorySampler(threading.Thread):
    """Samples a process's VmRSS until stopped."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.samples = []
        self._done = threading.Event()

    def run(self):
        while not self._done.wait(0.2):
            try:
                with open("/proc/%d/status" % self.pid) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            self.samples.append(int(line.split()[1]) / 1024)
            except OSError:
                return

    def stop(self):
        self._done.set()
        self.join()


def one_run(workload, size, workdir):
    port = bench.free_port()
    config = bench.write_config(
        workdir, port, "sqlite:///%s" % (workdir / "wfengine.sqlite"))
    procs = bench.start(config, ["all"], workdir)
    url = "http://127.0.0.1:%d/v2" % port
    try:
        bench.wait_for_api(url, procs)
        sampler = MemorySampler(procs[0].pid)
        sampler.start()
        out = workdir / "wfbench.json"
        proc = subprocess.run(
            [sys.executable, str(bench.WFBENCH), "--url", url, "--workload",
             workload, "--scale", str(size), "--poll-interval", "0.05",
             "--timeout", "1800", "--json", str(out)],
            capture_output=True, text=True)
        sampler.stop()
        print(proc.stdout.strip(), flush=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-3000:])
            return None
        median = json.loads(out.read_text())["workloads"][workload]["median"]
        samples = sampler.samples or [0]
        quarters = [samples[min(len(samples) - 1, len(samples) * q // 4)]
                    for q in range(5)]
        return {"rate": median[RATE[workload]], "peak_mib": max(samples),
                "quarters_mib": quarters}
    finally:
        bench.stop(procs)


def series(workload, sizes):
    rows = []
    for size in sizes:
        workdir = pathlib.Path(tempfile.mkdtemp(prefix="wfscale-"))
        try:
            rows.append((size, one_run(workload, size, workdir)))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return rows


def render(workload, rows):
    unit = "items/s" if workload == "items" else "tasks/s"
    lines = ["%-7s %8s %12s %10s  %s" % (
        workload, "size", unit, "vs first",
        "RSS MiB at 0/25/50/75/100% of the run (peak)")]
    first = next((r["rate"] for _, r in rows if r), None)
    for size, r in rows:
        if r is None:
            lines.append("%-7s %8d %12s" % ("", size, "FAILED"))
            continue
        lines.append("%-7s %8d %12.1f %9.2fx  %s (%.0f)" % (
            "", size, r["rate"], r["rate"] / first,
            " / ".join("%.0f" % m for m in r["quarters_mib"]),
            r["peak_mib"]))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default="items,fanout,seq")
    for name, default in DEFAULTS.items():
        parser.add_argument("--" + name, default=default,
                            help="sizes of the %s series" % name)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    blocks = []
    for workload in [w for w in args.series.split(",") if w]:
        if workload not in DEFAULTS:
            parser.error("unknown series %r" % workload)
        sizes = [int(s) for s in getattr(args, workload).split(",")]
        blocks.append(render(workload, series(workload, sizes)))
        print("\n".join(blocks[-1]), flush=True)
    if not args.no_record:
        bench.append_tables("Scaling", blocks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
