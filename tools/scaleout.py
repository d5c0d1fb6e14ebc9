#!/usr/bin/env python3
"""One engine and executor against two, on the multi-process shape.

    python tools/scaleout.py [--workloads seq,data] [--scale seq=750,data=450]
                             [--rounds 2]

Runs wfengine's multi-process deployment (api, engine(s), executor(s),
notifier over RabbitMQ and PostgreSQL) with one engine and one executor,
then with two of each, in the order 1, 2, 2, 1 for two rounds (ABBA), so
that a machine whose load drifts during the run weighs on both alike.
Each deployment is fresh (its own database). Prints each run's rate, the
deployment's CPU per task, PostgreSQL's lock waits, and the change from
one to two. The default sizes make each run last 10 s or more at about
700 and 450 tasks/s, so that a run is long enough to give a stable
rate. Mistral is not run: ``tools/sidebyside.py --engines 2``
compares each against Mistral. A benchmark, not a test.
"""
import argparse
import pathlib
import statistics
import tempfile

import sidebyside

ORDER = (1, 2, 2, 1)


def run(engines, args, workdir):
    """``{workload: (rate, cpu ms/task, lock-waiting mean)}`` of one fresh
    deployment with ``engines`` engines and executors."""
    server = sidebyside.WFEngine("multi", sidebyside.bench.free_port(),
                                 workdir, engines)
    server.start()
    results = {}
    try:
        for workload in args.workloads:
            figures, watch = sidebyside.measure(
                server, workload, args, "wfengine-%d" % engines, workdir,
                args.scale.get(workload))
            key = sidebyside.FIGURES[workload][0]
            cpu, _, waits = sidebyside._per_unit(figures, watch)
            results[workload] = ((figures or {}).get(key), cpu, waits)
    finally:
        server.stop()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="seq,data",
                        type=lambda t: [w for w in t.split(",") if w])
    parser.add_argument("--scale", default={"seq": 750, "data": 450},
                        type=sidebyside._scales)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    args.repeat, args.alone_runs = 1, 0
    found = {1: [], 2: []}
    for _ in range(args.rounds):
        for engines in ORDER:
            with tempfile.TemporaryDirectory(prefix="scaleout-") as d:
                found[engines].append(run(engines, args, pathlib.Path(d)))
    print("\n%-8s %-7s %s" % ("workload", "engines", "runs (rate, CPU ms/task,"
                              " lock-waiting backends)"))
    for workload in args.workloads:
        medians = {}
        for engines in (1, 2):
            runs = [r[workload] for r in found[engines]]
            medians[engines] = statistics.median(r[0] for r in runs if r[0])
            print("%-8s %-7d %s; median %.1f" % (
                workload, engines, ", ".join(
                    "(%.1f, %.2f, %.3f)" % (r[0] or 0, r[1] or 0, r[2] or 0)
                    for r in runs), medians[engines]))
        print("%-8s two against one: %+.1f%%" % (
            workload, (medians[2] / medians[1] - 1) * 100))


if __name__ == "__main__":
    main()
