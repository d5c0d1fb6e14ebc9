"""Latency workloads of the side-by-side tool, on one server at a time.

``get``: one finished execution read 200 times with
``GET /v2/executions/<id>``, one request at a time on a kept-alive
connection: the client's time (p50, p99) and the server's own, from the
``Server-Timing: app;dur=<ms>`` header (``wfengine.api.timing``; the
Mistral peer gets the same middleware through ``tools/peer_timing``).

``alone``: one 10-task sequential ``std.noop`` workflow started on an
otherwise idle server, 100 runs one after another; each run's time from
just before its ``POST /v2/executions`` until a client polling
``GET /v2/executions/<id>`` every ``POLL`` seconds first sees SUCCESS
(p50, p95, max).

The client is ``../shared/bench/wfbench.py``'s (``requests``, one
session). A benchmark, not a test: nothing asserts times.

Run by itself, it starts a fresh wfengine of one shape and runs
``alone`` against it, adding the CPU time its processes spent per
execution (status polls included) and the machine's load average::

    python tools/latency.py --shape embedded --runs 100

``--get N`` runs ``get`` too, after ``alone``, with N reads (wfengine
only; the side-by-side tool runs it against both servers)::

    python tools/latency.py --shape multi --runs 60 --get 1000
"""
import argparse
import importlib.util
import os
import pathlib
import sys
import tempfile
import time

import bench

_spec = importlib.util.spec_from_file_location("wfbench", bench.WFBENCH)
wfbench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wfbench)

POLL = 0.005  # seconds between a client's status reads in ``alone``
FINISHED = ("SUCCESS", "ERROR", "CANCELLED")


def _ms(values, p):
    return round(wfbench.pct(values, p) * 1000.0, 3)


def _server_ms(resp):
    """The ``dur`` of the response's ``Server-Timing`` header, in s."""
    for part in resp.headers.get("Server-Timing", "").split(";"):
        if part.strip().startswith("dur="):
            return float(part.strip()[4:]) / 1000.0
    return None


def _new_workflow(client, tasks):
    name = wfbench.unique_name("alone%d" % tasks)
    client.create_workflow(wfbench.seq_yaml(name, tasks))
    return name


def _wait(client, ex_id, deadline):
    """Poll until ``ex_id`` is finished; the state it was first seen in."""
    while time.monotonic() < deadline:
        state = client.execution(ex_id)["state"]
        if state in FINISHED:
            return state
        time.sleep(POLL)
    raise wfbench.VerifyError("execution %s did not finish" % ex_id)


def get(url, n=200):
    """Client and server p50/p99 (ms) of ``GET /executions/<id>``."""
    client = wfbench.Client(url, 30)
    ex_id = client.start(_new_workflow(client, 1), {})["id"]
    _wait(client, ex_id, time.monotonic() + 120)
    clients, servers = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        resp = client._req("GET", "/executions/%s" % ex_id)
        resp.content
        clients.append(time.perf_counter() - t0)
        if resp.status_code != 200:
            raise wfbench.VerifyError("GET: HTTP %s" % resp.status_code)
        server = _server_ms(resp)
        if server is not None:
            servers.append(server)
    figures = {"client_p50_ms": _ms(clients, 50),
               "client_p99_ms": _ms(clients, 99)}
    if servers:
        figures.update(server_p50_ms=_ms(servers, 50),
                       server_p99_ms=_ms(servers, 99))
    return figures


def alone(url, runs=100, tasks=10):
    """p50/p95/max (ms) from POST to SUCCESS seen, one execution at a
    time."""
    client = wfbench.Client(url, 30)
    name = _new_workflow(client, tasks)
    times = []
    for _ in range(runs):
        time.sleep(0.05)  # let the previous run's after-work settle
        t0 = time.perf_counter()
        ex_id = client.start(name, {})["id"]
        state = _wait(client, ex_id, time.monotonic() + 120)
        times.append(time.perf_counter() - t0)
        if state != "SUCCESS":
            raise wfbench.VerifyError("execution %s ended %s" % (ex_id,
                                                                 state))
    return {"executions": runs, "p50_ms": _ms(times, 50),
            "p95_ms": _ms(times, 95),
            "max_ms": round(max(times) * 1000.0, 3)}


def main(argv=None):
    import sidebyside  # it imports this module
    parser = argparse.ArgumentParser(description="alone on a fresh "
                                     "wfengine server")
    parser.add_argument("--shape", choices=("embedded", "multi"),
                        default="embedded")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--get", type=int, default=0, metavar="N",
                        help="also run get with N reads, after alone")
    args = parser.parse_args(argv)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="wfe-alone-"))
    server = sidebyside.WFEngine(args.shape, args.port or bench.free_port(),
                                 workdir)
    server.start()
    try:
        load = os.getloadavg()[0]
        with sidebyside.Watch(server) as watch:
            figures = alone(server.url, runs=args.runs)
        if args.get:  # after the CPU of alone was read
            figures["get"] = get(server.url, n=args.get)
    finally:
        server.stop()
    figures["cpu_ms_per_execution"] = {
        role: round(cpu * 1000.0 / args.runs, 2)
        for role, cpu in sorted(watch.cpu.items())}
    if watch.pg:
        figures["pg_commits_per_execution"] = round(
            watch.pg["commits"] / args.runs, 2)
    figures["load_average"] = [round(load, 2),
                               round(os.getloadavg()[0], 2)]
    print(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
