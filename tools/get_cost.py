#!/usr/bin/env python3
"""CPU per request of a GET of one resource (execution, task, action
execution), in this process.

    python tools/get_cost.py [--requests 2000] [--profile executions]
                             [--db URL]

Seeds a temporary SQLite database (or ``--db``, an empty database the
tool creates its tables in, e.g. a fresh PostgreSQL one) with one
finished execution, one task
and one action execution, builds the API (``api.app.setup_app``, with
``noauth``) and sends ``GET /v2/<collection>/<id>`` ``--requests`` times
through webtest. Prints the process CPU time per request
(``time.process_time``) and the wall time per request (round trips to
the database included), each the least of five rounds; with ``--profile``
the cProfile of one of them, top functions by cumulative time. A benchmark, not a test: run it on a
quiet machine, twice, and say the load average.
"""
import argparse
import cProfile
import os
import pathlib
import pstats
import sys
import tempfile
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import webtest  # noqa: E402

from wfengine.api import app as api_app  # noqa: E402
from wfengine import conf  # noqa: E402
from wfengine.db import models  # noqa: E402
from wfengine.db import session  # noqa: E402


def _seed(sess):
    wf_id, task_id, action_id = (str(uuid.uuid4()) for _ in range(3))
    sess.add(models.WorkflowExecution(
        id=wf_id, name="get_wf", workflow_id="wf", workflow_namespace="",
        description="one run", spec={"vars": {"v": 1}}, state="SUCCESS",
        input={"n": 1, "who": "x" * 40}, output={"ok": True},
        params={"namespace": "", "env": {"k": "v"}},
        context={"n": 1, "v": 1, "g": "published"}, tags=["t"],
        project_id=models.DEFAULT_PROJECT))
    sess.flush()
    sess.add(models.TaskExecution(
        id=task_id, name="task_1", type="ACTION", workflow_name="get_wf",
        workflow_namespace="", workflow_id="wf",
        workflow_execution_id=wf_id, state="SUCCESS", state_info=None,
        published={"v": 1}, runtime_context={"retry_no": 1},
        processed=True, project_id=models.DEFAULT_PROJECT))
    sess.flush()
    sess.add(models.ActionExecution(
        id=action_id, name="std.noop", workflow_name="get_wf",
        workflow_namespace="", workflow_execution_id=wf_id,
        task_name="task_1", task_execution_id=task_id, state="SUCCESS",
        accepted=True, input={}, output={"result": None}, params={},
        project_id=models.DEFAULT_PROJECT))
    return {"executions": wf_id, "tasks": task_id,
            "action_executions": action_id}


def _cost_per_request(app, url, requests, rounds=5):
    """The least CPU ms and the least wall ms per request of ``rounds``
    rounds (a loaded machine adds to a round's time, never takes from
    it)."""
    app.get(url)  # caches, the first connection
    cpu = wall = None
    for _ in range(rounds):
        start, started = time.process_time(), time.perf_counter()
        for _ in range(requests // rounds):
            app.get(url)
        spent = (time.process_time() - start) / (requests // rounds)
        took = (time.perf_counter() - started) / (requests // rounds)
        cpu = spent if cpu is None else min(cpu, spent)
        wall = took if wall is None else min(wall, took)
    return cpu * 1000.0, wall * 1000.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profile", choices=("executions", "tasks",
                                              "action_executions"))
    parser.add_argument("--db", help="an empty database to use instead "
                        "of a temporary SQLite file")
    args = parser.parse_args()
    conf.CONF([], project="wfengine")
    conf.CONF.set_override("auth_strategy", "noauth", group="api")
    with tempfile.TemporaryDirectory() as tmp:
        engine = session.configure(args.db or "sqlite:///%s/get.db" % tmp)
        models.Base.metadata.create_all(engine)
        ids = session.unit_of_work(_seed)
        app = webtest.TestApp(api_app.setup_app(engine_client=object()))
        urls = {name: "/v2/%s/%s" % (name, ids[name]) for name in ids}
        if args.profile:
            url = urls[args.profile]
            app.get(url)
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(args.requests):
                app.get(url)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
        else:
            print("ms per GET of one resource (CPU, wall), %d requests, "
                  "%s, load %s" % (args.requests, engine.dialect.name,
                                   "%.2f %.2f %.2f" % os.getloadavg()))
            for name, url in urls.items():
                print("  %-18s %6.3f %6.3f" % ((name,) + _cost_per_request(
                    app, url, args.requests)))
        session.dispose()


if __name__ == "__main__":
    main()
