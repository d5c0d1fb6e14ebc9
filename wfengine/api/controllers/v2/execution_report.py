"""``GET /v2/executions/<id>/report`` and ``DELETE /v2/executions/<id>``.

The report is Mistral's: ``{"root_workflow_execution": {...,
"task_executions": [{..., "action_executions": [...],
"workflow_executions": [...]}]}, "statistics": {...}}``. Parameters:
``errors_only`` (only tasks in ERROR), ``max_depth`` (sub-workflows deeper
than this are shown without their tasks; negative: no limit) and
``statistics_only``. The statistics hold ``estimated_time``: the seconds
a running execution still needs (:func:`estimated_time`).
"""
import math

import pecan
from pecan import rest

from wfengine.api.expose import expose
from wfengine.api import listing
from wfengine.api import resources
from wfengine.api import wstypes
from wfengine.db import listing as db_listing
from wfengine.db import models
from wfengine.db import queries
from wfengine.db import scope
from wfengine.db import session
from wfengine import state_names as states
from wfengine import exceptions

REPORT_PARAMS = ("errors_only", "max_depth", "statistics_only")
# How many of a workflow's latest successful executions the estimate of a
# running one's remaining time averages (Mistral's number).
ESTIMATE_FROM = 20
_STAT_STATES = (states.RUNNING, states.SUCCESS, states.ERROR, states.IDLE,
                states.PAUSED)


def _common(row):
    return {"id": row.id, "name": row.name, "state": row.state,
            "state_info": row.state_info,
            "created_at": resources.format_datetime(row.created_at),
            "updated_at": resources.format_datetime(row.updated_at)}


class _Report:
    """Walks one execution tree in a read transaction."""

    def __init__(self, sess, errors_only, max_depth):
        self.sess = sess
        self.errors_only = errors_only
        self.max_depth = max_depth
        self.counts = {s: 0 for s in _STAT_STATES}
        self.total = 0

    def workflow(self, wf_ex, depth):
        entry = _common(wf_ex)
        if 0 <= self.max_depth < depth:
            return entry
        tasks = db_listing.list_rows(
            self.sess, models.TaskExecution,
            filters={"workflow_execution_id": wf_ex.id},
            fields=["runtime_context"])
        entry["task_executions"] = [
            self.task(t, depth) for t in tasks
            if not self.errors_only or t.state == states.ERROR]
        return entry

    def task(self, task_ex, depth):
        self.total += 1
        if task_ex.state in self.counts:
            self.counts[task_ex.state] += 1
        entry = dict(_common(task_ex), type=task_ex.type)
        retry_no = (task_ex.runtime_context or {}).get("retry_no")
        if retry_no is not None:
            entry["retry_count"] = retry_no
        by_task = {"task_execution_id": task_ex.id}
        entry["action_executions"] = [
            dict(_common(a), accepted=a.accepted)
            for a in db_listing.list_rows(self.sess, models.ActionExecution,
                                          by_task)]
        entry["workflow_executions"] = [
            self.workflow(w, depth + 1)
            for w in db_listing.list_rows(self.sess,
                                          models.WorkflowExecution, by_task)]
        return entry

    def statistics(self):
        stats = {"%s_tasks_count" % s.lower(): n
                 for s, n in self.counts.items()}
        stats["total_tasks_count"] = self.total
        return stats


def estimated_time(sess, wf_ex, now=None):
    """Seconds an execution still needs, as Mistral estimates them: 0 if
    it is not RUNNING; -1 if its workflow has no successful execution to
    learn from; else the mean duration of the workflow's last
    ``ESTIMATE_FROM`` successful executions less the time this one has
    run, rounded up, and 1 once that is past."""
    if wf_ex.state != states.RUNNING:
        return 0
    done = db_listing.list_rows(
        sess, models.WorkflowExecution,
        filters={"workflow_id": wf_ex.workflow_id, "state": states.SUCCESS},
        limit=ESTIMATE_FROM, sort_keys=["created_at"], sort_dirs=["desc"],
        fields=[])
    if not done:
        return -1
    mean = sum(((r.updated_at or r.created_at) - r.created_at)
               .total_seconds() for r in done) / len(done)
    ran = ((now or models.utcnow()) - wf_ex.created_at).total_seconds()
    left = mean - ran
    return 1 if left < 0 else math.ceil(left)


def build_report(sess, wf_ex_id, errors_only=False, max_depth=-1,
                 statistics_only=False):
    """The report of execution ``wf_ex_id``; :raises NotFound:."""
    wf_ex = queries.get_workflow_execution(sess, wf_ex_id)
    report = _Report(sess, errors_only, max_depth)
    with scope.widened():  # the tree of an execution the caller may read
        root = report.workflow(wf_ex, 0)
    body = {"statistics": dict(report.statistics(),
                               estimated_time=estimated_time(sess, wf_ex))}
    if not statistics_only:
        body["root_workflow_execution"] = root
    return body


def _int(name, value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise exceptions.InvalidField(
            field=name, expected="an integer", kind="another value")


class ExecutionReportController(rest.RestController):
    """``GET /v2/executions/<id>/report``."""

    @expose(wstypes.ExecutionReport, wstypes.text)
    def get_all(self, wf_ex_id, **params):
        """The execution tree of one execution with task statistics."""
        unknown = sorted(set(params) - set(REPORT_PARAMS))
        if unknown:
            raise exceptions.UnknownFields(
                where="the query parameters of the report",
                fields=", ".join(unknown), allowed=", ".join(REPORT_PARAMS))
        return session.reader(
            build_report, wf_ex_id,
            listing.parse_bool("errors_only",
                               params.get("errors_only", "false")),
            _int("max_depth", params.get("max_depth", "-1")),
            listing.parse_bool("statistics_only",
                               params.get("statistics_only", "false")))


def _check_visible(sess, wf_ex_id):
    queries.get_workflow_execution(sess, wf_ex_id, fields=())


def delete_execution(wf_ex_id, force="false"):
    """Delete a finished execution (any with ``force``), with its tasks,
    action executions and sub-workflows, through the engine (the only
    writer of execution state).

    :raises NotFound: no such execution.
    :raises Conflict: not finished and not forced.
    """
    session.reader(_check_visible, wf_ex_id)  # another project's: 404
    pecan.request.engine.delete_execution(
        wf_ex_id, listing.parse_bool("force", force))