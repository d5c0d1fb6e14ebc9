#!/usr/bin/env python3
"""CPU per request of the dashboards' lists, rendered directly or by WSME.

    python tools/wsme_list_cost.py [--rows 100] [--requests 200]

Seeds a temporary SQLite database with ``--rows`` executions and as many
tasks of one execution, builds the API (``api.app.setup_app``, with
``noauth``) and sends each list ``--requests`` times through webtest, in
this process: first as the controllers build them (the lists' direct
path), then with the answer turned into the list's WSME type and rendered
by WSME (``expose.typed`` + ``wsme.rest.json.tojson``), the path of every
other answer; and the same for one execution (``get one``). Prints the process CPU time per request (``time.process_time``)
of both and their ratio; the lists are the console's (its fields), the
queries the same, so the difference is the rendering. A benchmark, not a
test: run it on a quiet machine, twice.
"""
import argparse
import pathlib
import sys
import tempfile
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import webtest  # noqa: E402
from wsme.rest import json as wsme_json  # noqa: E402

from wfengine.api import app as api_app  # noqa: E402
from wfengine.api import expose  # noqa: E402
from wfengine import conf  # noqa: E402
from wfengine.console import execution as console_execution  # noqa: E402
from wfengine.console import executions as console_executions  # noqa: E402
from wfengine.db import models  # noqa: E402
from wfengine.db import session  # noqa: E402


def _seed(sess, rows):
    parent = None
    for n in range(rows):
        wf_ex = models.WorkflowExecution(
            id=str(uuid.uuid4()), name="dash_wf_%d" % (n % 7),
            workflow_id="wf", workflow_namespace="", description="run %d" % n,
            spec={}, state=("SUCCESS", "ERROR", "RUNNING")[n % 3],
            input={"n": n, "who": "x" * 40}, output={"ok": n},
            params={"namespace": ""}, context={}, tags=["t"],
            project_id=models.DEFAULT_PROJECT)
        sess.add(wf_ex)
        parent = parent or wf_ex.id
    sess.flush()  # the tasks' foreign key
    for n in range(rows):
        sess.add(models.TaskExecution(
            id=str(uuid.uuid4()), name="task_%d" % n, type="ACTION",
            workflow_name="dash_wf_0", workflow_namespace="",
            workflow_id="wf", workflow_execution_id=parent,
            state="SUCCESS", state_info=None, published={"v": n},
            runtime_context={"retry_no": 1}, processed=True,
            project_id=models.DEFAULT_PROJECT))
    return parent


def _lists(parent):
    return (
        ("executions", "/v2/executions?limit=100&fields=%s"
         % console_executions.LIST_FIELDS),
        ("tasks", "/v2/tasks?workflow_execution_id=%s&limit=100&fields=%s"
         % (parent, console_execution.TASK_FIELDS)),
        ("get one", "/v2/executions/%s" % parent),
    )


def _rendering(with_wsme):
    """Make every answer's rendering WSME's (lists included) or none's
    (the controllers' dicts as they are); returns the original."""
    render = expose._render

    def rendered(return_type, result, direct):
        if return_type is None:
            return ""
        if with_wsme:
            return wsme_json.tojson(return_type,
                                    expose.typed(return_type, result))
        return result
    expose._render = rendered
    return render


def _measure(app, lists, requests, with_wsme):
    original = _rendering(with_wsme)
    try:
        return {name: _cpu_per_request(app, url, requests)
                for name, url in lists}
    finally:
        expose._render = original


def _cpu_per_request(app, url, requests):
    warm = app.get(url).json  # plans, caches, the first connection
    rows = [len(v) for v in warm.values() if isinstance(v, list)]
    assert "id" in warm or (rows and rows[0] > 0), warm
    start = time.process_time()
    for _ in range(requests):
        app.get(url)
    return (time.process_time() - start) / requests * 1000.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    conf.CONF([], project="wfengine")
    conf.CONF.set_override("auth_strategy", "noauth", group="api")
    with tempfile.TemporaryDirectory() as tmp:
        engine = session.configure("sqlite:///%s/lists.db" % tmp)
        models.Base.metadata.create_all(engine)
        parent = session.unit_of_work(_seed, args.rows)
        app = webtest.TestApp(api_app.setup_app(engine_client=object()))
        lists = _lists(parent)
        direct = _measure(app, lists, args.requests, with_wsme=False)
        wsme = _measure(app, lists, args.requests, with_wsme=True)
        session.dispose()
    print("CPU ms per request, %d rows, %d requests" % (args.rows,
                                                       args.requests))
    for name, _ in lists:
        print("  %-11s direct %6.2f   WSME %6.2f   WSME/direct %.2fx"
              % (name, direct[name], wsme[name], wsme[name] / direct[name]))


if __name__ == "__main__":
    main()
