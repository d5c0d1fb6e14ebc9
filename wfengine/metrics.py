"""The service's Prometheus metrics, and the small calls that record them.

Every process records into ``prometheus_client``'s default registry; the
API's ``/metrics`` and the other processes' status endpoint expose it
(``wfengine.ops.endpoints``). When ``PROMETHEUS_MULTIPROC_DIR`` is set in
the environment before the process starts, the library keeps its values
in files there and the exposition sums every process that wrote them
(its multi-process mode, for deployments that fork several workers).

What happens inside a unit of work is recorded only once it commits: a
unit retried after a deadlock must not count its executions twice. The
calls that take a ``unit`` queue their recording on it
(``wfengine.db.unit.Unit.after_commit``), and only the unit that commits
runs its queue.

This module imports nothing of wfengine, so any layer (the pure
expression layer included) may count through it.
"""
import re
import time

import prometheus_client as prom

_PREFIX = "wfengine_"

# Seconds: from a few milliseconds (a noop action, a unit of work) to an
# hour (a long task).
_SHORT = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_LONG = (0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600)

EXECUTIONS_STARTED = prom.Counter(
    _PREFIX + "executions_started", "Workflow executions created.",
    ["workflow"])
EXECUTIONS_FINISHED = prom.Counter(
    _PREFIX + "executions_finished",
    "Workflow executions that reached a final state.", ["workflow", "state"])
TASK_DURATION = prom.Histogram(
    _PREFIX + "task_duration_seconds",
    "Time from a task's start to its final state.", ["workflow", "state"],
    buckets=_LONG)
ACTION_DURATION = prom.Histogram(
    _PREFIX + "action_duration_seconds",
    "Time an executor spent running an action.", ["action", "state"],
    buckets=_LONG)
ACTIONS_IN_FLIGHT = prom.Gauge(
    _PREFIX + "executor_actions_running",
    "Actions this executor process is running now.",
    multiprocess_mode="livesum")
UNIT_OF_WORK = prom.Histogram(
    _PREFIX + "unit_of_work_seconds",
    "Database units of work (each a transaction), by what they do.",
    ["operation"], buckets=_SHORT)
UNIT_OF_WORK_RETRIES = prom.Counter(
    _PREFIX + "unit_of_work_retries",
    "Units of work retried whole after a transient database error.",
    ["operation"])
DELIVERIES = prom.Counter(
    _PREFIX + "webhook_deliveries",
    "Delivery attempts of events, by publisher and outcome "
    "(succeed, retry, give_up).", ["publisher", "outcome"])
DELIVERY_LAG = prom.Histogram(
    _PREFIX + "webhook_delivery_lag_seconds",
    "Time from an event's fan-out to its successful delivery.",
    ["publisher"], buckets=_LONG)
EXPRESSION_LIMIT_HITS = prom.Counter(
    _PREFIX + "expression_limit_hits",
    "Expressions stopped by a limit (time, memory, iterator length, ...).",
    ["limit"])
API_REQUESTS = prom.Counter(
    _PREFIX + "api_requests", "API requests, by method, route and status.",
    ["method", "route", "status"])
API_LATENCY = prom.Histogram(
    _PREFIX + "api_request_seconds", "API request time, by route.",
    ["method", "route"], buckets=_SHORT)
RETENTION_DELETED = prom.Counter(
    _PREFIX + "retention_deleted_rows",
    "Rows removed by the retention policies, by table.", ["table"])


# ---- recording from inside a unit of work --------------------------------

def execution_started(unit, workflow):
    unit.after_commit(_inc, EXECUTIONS_STARTED.labels(workflow))


def execution_finished(unit, workflow, state):
    unit.after_commit(_inc, EXECUTIONS_FINISHED.labels(workflow, state))


def task_finished(unit, workflow, state, started_at, finished_at):
    if started_at is None or finished_at is None:
        return
    seconds = max(0.0, (finished_at - started_at).total_seconds())
    unit.after_commit(TASK_DURATION.labels(workflow, state).observe,
                      seconds)


def _inc(counter):
    counter.inc()


# ---- recording outside transactions ---------------------------------------

class action_timer:
    """``with action_timer(name) as t: ...; t.state = "SUCCESS"``:
    counts the action in flight while it runs, then observes its time."""

    def __init__(self, action):
        self.action = action
        self.state = "ERROR"

    def __enter__(self):
        self._start = time.monotonic()
        ACTIONS_IN_FLIGHT.inc()
        return self

    def __exit__(self, *exc):
        ACTIONS_IN_FLIGHT.dec()
        ACTION_DURATION.labels(self.action, self.state).observe(
            time.monotonic() - self._start)


def unit_of_work_done(operation, seconds):
    UNIT_OF_WORK.labels(operation).observe(seconds)


def unit_of_work_retried(operation):
    UNIT_OF_WORK_RETRIES.labels(operation).inc()


def delivery_attempted(publisher, outcome, lag_seconds=None):
    """One delivery attempt; ``lag_seconds`` when it succeeded."""
    DELIVERIES.labels(publisher, outcome).inc()
    if lag_seconds is not None:
        DELIVERY_LAG.labels(publisher).observe(max(0.0, lag_seconds))


def expression_limit_hit(limit):
    """An expression was stopped by ``limit`` (a short name: time,
    memory, iterators, range, output_size, ...)."""
    EXPRESSION_LIMIT_HITS.labels(limit).inc()


# ---- API routes ------------------------------------------------------------

_ID = re.compile(r"^[0-9a-fA-F-]{32,36}$")
_KNOWN = frozenset((
    "v2", "workflows", "workbooks", "actions", "executions", "tasks",
    "action_executions", "environments", "cron_triggers", "listeners",
    "deliveries", "event_triggers", "members", "services", "executors",
    "report", "openapi.json", "validate", "healthz", "readyz", "metrics",
    "console", "definition", "callback", "rerun", "resume", "pause"))


def route_of(path):
    """A path with its variable parts replaced, so that routes stay a
    small, bounded set of label values: ``/v2/executions/{id}/tasks``."""
    parts = [p for p in path.split("/") if p][:5]
    shaped = [p if p in _KNOWN and not _ID.match(p) else "{id}"
              for p in parts]
    return "/" + "/".join(shaped)


def api_request(method, path, status, seconds):
    route = route_of(path)
    if method not in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD",
                      "OPTIONS"):
        method = "OTHER"
    API_REQUESTS.labels(method, route, str(status)).inc()
    API_LATENCY.labels(method, route).observe(seconds)
