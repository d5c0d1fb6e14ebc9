"""The engine's own cost of one lone execution, without HTTP or threads.

Runs ``--runs`` executions of a ``--tasks``-task sequential ``std.noop``
workflow one after another through ``EngineService`` in this process,
against a throw-away SQLite file (or ``--db URL``), the test playing the
executor: each action the engine sends is run with the executor's own
``runner.run`` and its result handed back at once, alone, as an executor
reports a lone result. Nothing waits: what is measured is CPU.

Prints, per execution and per transition (one task: its result taken and
the next task started): the process CPU (ms), SQL statements, the
driver's calls that carried them (several statements may go in one),
commits, and messages the engine sent. ``--profile FILE`` writes a
cProfile of the measured runs (read it with ``python -m pstats FILE``);
``--statements`` prints the statements of one execution, counted by
shape.

Usage::

    python tools/transition_cost.py --runs 200
    python tools/transition_cost.py --runs 200 --profile /tmp/t.prof

A benchmark of CPU, not of latency; nothing asserts.
"""
import argparse
import collections
import cProfile
import gc
import os
import sys
import tempfile
import threading
import time

from sqlalchemy import event

from wfengine import callbacks
from wfengine.core.lang import parser
from wfengine.db import api as db_api
from wfengine.db import migration
from wfengine.db import models
from wfengine.db import session as db_session
from wfengine.engine import outbox
from wfengine.engine import service
from wfengine.executor import runner
from wfengine.rpc import messages


def seq_yaml(name, tasks):
    lines = ["---", "version: '2.0'", "", "%s:" % name, "  tasks:"]
    for i in range(1, tasks + 1):
        lines += ["    t%d:" % i, "      action: std.noop"]
        if i < tasks:
            lines.append("      on-success: [t%d]" % (i + 1))
    return "\n".join(lines) + "\n"


class Executors:
    """Keeps the run_actions messages the engine sends."""

    def __init__(self):
        self.sent = []

    def run_actions(self, msgs):
        self.sent.extend(msgs)

    def run_action(self, msg):
        self.sent.append(msg)


class Counter:
    """SQL statements (by first words), calls of the driver and commits
    on the engine. Statements told to listeners with the same cursor
    went to the server in one call (``db.prepared.defer``); a commit is
    one more call, and psycopg2's own ``BEGIN`` (not told) one more per
    transaction."""

    def __init__(self, engine):
        self.statements = collections.Counter()
        self.calls = 0
        self.commits = 0
        self.on = False
        self._cursor = None
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, conn, cursor, statement, *_args):
        if self.on:
            self.statements[" ".join(statement.split()[:4])] += 1
            if cursor is not self._cursor:
                self.calls += 1
            self._cursor = cursor   # held: its id is not taken again

    def _commit(self, conn):
        if self.on:
            self.commits += 1


def _define(session, name, tasks):
    text = seq_yaml(name, tasks)
    for spec in parser.parse_workflows(text):
        db_api.add(session, models.WorkflowDefinition(
            id=spec.name + "-id", name=spec.name, namespace="",
            definition=text, spec=spec.to_dict(), input=""))


def one_execution(svc, executors, name):
    """Start one execution and play its executor until nothing is sent;
    returns the number of messages the engine sent."""
    svc.start_workflow(messages.StartWorkflow(wf_identifier=name))
    sent = 0
    while executors.sent:
        msgs, executors.sent = executors.sent, []
        sent += len(msgs)
        for msg in msgs:
            svc.on_actions_complete([runner.run(msg)])
    return sent


def _thread_cpu():
    """``{thread name: CPU seconds}`` of this process's threads."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    tick = os.sysconf("SC_CLK_TCK")
    cpu = collections.Counter()
    for tid in os.listdir("/proc/self/task"):
        try:
            with open("/proc/self/task/%s/stat" % tid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = names.get(int(tid), "other")
        cpu[name.rstrip("0123456789_-")] += (int(fields[11])
                                             + int(fields[12])) / tick
    return cpu


def bus_shape(args, url, name):
    """The engine and the executor services on the in-process bus, as the
    embedded server runs them (without HTTP): each execution started with
    the API's client call, its end seen by a read every ``--poll`` s."""
    from wfengine.cmd import services
    from wfengine.conf import CONF
    from wfengine.rpc import clients
    from wfengine.rpc import server as rpc_server
    CONF([], project="wfengine")
    CONF.set_override("connection", url, group="database")
    rpc_server.init(CONF, in_process=True)
    stoppers = [services._start_executor(CONF), services._start_engine(CONF)]
    client = clients.EngineClient()

    def state(session, wf_ex_id):
        return session.get(models.WorkflowExecution, wf_ex_id).state

    def run_one():
        t0 = time.perf_counter()
        wf_ex_id = client.start_workflow(name)["id"]
        while db_session.reader(state, wf_ex_id) != "SUCCESS":
            time.sleep(args.poll)
        return time.perf_counter() - t0
    for _ in range(args.warmup):
        run_one()
    gc.collect()
    gc.freeze()
    times = []
    if args.profile:
        import yappi  # every thread's CPU time, unlike cProfile
        yappi.set_clock_type("cpu")
        yappi.start()
    before, cpu0 = _thread_cpu(), time.process_time()
    for _ in range(args.runs):
        time.sleep(0.02)
        times.append(run_one())
    cpu = time.process_time() - cpu0
    if args.profile:
        yappi.stop()
        yappi.get_func_stats().save(args.profile, type="pstat")
    by_thread = _thread_cpu()
    by_thread.subtract(before)
    times.sort()
    print("%d executions of %d noop tasks on the in-process bus, polled "
          "every %.1f ms" % (args.runs, args.tasks, args.poll * 1000))
    print("p50 / p95 / max        %.1f / %.1f / %.1f ms" % tuple(
        1000 * times[int(len(times) * q)] for q in (0.5, 0.95, 0.999)))
    print("CPU per execution      %8.2f ms" % (1000.0 * cpu / args.runs))
    for thread, seconds in by_thread.most_common():
        if seconds > 0:
            print("  %-20s %8.2f ms" % (thread, 1000.0 * seconds
                                        / args.runs))
    for stop in stoppers[::-1]:
        stop()
    rpc_server.cleanup()


def count_statements(engine, svc, executors, name, args, runs=10):
    """Statements, driver calls, commits and messages per task over
    ``runs`` executions (counted apart from the timed runs: counting
    costs)."""
    counter = Counter(engine)
    counter.on = True
    sent = sum(one_execution(svc, executors, name) for _ in range(runs))
    counter.on = False
    event.remove(engine, "before_cursor_execute", counter._statement)
    event.remove(engine, "commit", counter._commit)
    tasks = runs * args.tasks
    if args.statements:
        for shape, n in counter.statements.most_common():
            print("%7.2f  %s" % (n / runs, shape))
        print("%7.2f  commits" % (counter.commits / runs))
    return [("statements", sum(counter.statements.values()) / tasks),
            ("driver calls", counter.calls / tasks),
            ("commits", counter.commits / tasks),
            ("messages", sent / tasks)]


def main(argv=None):
    parser_ = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser_.add_argument("--runs", type=int, default=200)
    parser_.add_argument("--tasks", type=int, default=10)
    parser_.add_argument("--warmup", type=int, default=20)
    parser_.add_argument("--db", help="database URL (default: a new "
                         "SQLite file)")
    parser_.add_argument("--shape", choices=("direct", "bus"),
                         default="direct", help="direct: the engine "
                         "alone, no threads; bus: engine and executor "
                         "services on the in-process bus")
    parser_.add_argument("--poll", type=float, default=0.005)
    parser_.add_argument("--profile", help="write a cProfile here")
    parser_.add_argument("--statements", action="store_true",
                         help="print one execution's statements by shape")
    args = parser_.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="transition-cost-")
    url = args.db or "sqlite:///%s" % os.path.join(tmp, "cost.sqlite")
    migration.upgrade(url, "heads")
    engine = db_session.configure(url)
    executors = Executors()
    box = outbox.Outbox(executors, resend_after=60, sweep_interval=60,
                        signer=callbacks.Signer("k", "http://127.0.0.1:1"))
    svc = service.EngineService(box)
    box.set_local_handler(svc.handle_local)
    name = "alone%d" % args.tasks
    db_session.unit_of_work(_define, name, args.tasks)
    if args.shape == "bus":
        bus_shape(args, url, name)
        return 0
    for _ in range(args.warmup):
        one_execution(svc, executors, name)
    counted = count_statements(engine, svc, executors, name, args)
    # As the server does once started (``cmd.launch``).
    gc.collect()
    gc.freeze()
    if os.environ.get("TRANSITION_COST_GC_THRESHOLD"):
        gc.set_threshold(*[int(v) for v in os.environ[
            "TRANSITION_COST_GC_THRESHOLD"].split(",")])
    profile = cProfile.Profile() if args.profile else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profile:
        profile.enable()
    for _ in range(args.runs):
        one_execution(svc, executors, name)
    if profile:
        profile.disable()
        profile.dump_stats(args.profile)
    cpu = time.process_time() - cpu0
    wall = time.perf_counter() - wall0
    per_run = 1000.0 * cpu / args.runs
    print("%d executions of %d noop tasks (%s)" % (
        args.runs, args.tasks, url.split(":")[0]))
    print("CPU per execution      %8.2f ms (wall %.2f ms)" % (
        per_run, 1000.0 * wall / args.runs))
    print("CPU per transition     %8.3f ms" % (per_run / args.tasks))
    for what, value in counted:
        print("%-22s %8.2f" % (what + " per task", value))
    db_session.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
