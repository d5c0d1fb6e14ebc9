"""``GET /v2/executions/<id>/executions`` and ``GET /v2/tasks/<id>/executions``:
the sub-executions of an execution or of a task, as Mistral lists them
(``mistral execution-get-sub-executions``, ``task-get-sub-executions``).

The answer is ``{"executions": [...]}`` in tree order: an execution, then
for each of its tasks (in the order they were created) the sub-workflow
executions it started (likewise), each followed by its own. (Mistral reads
the tasks in the database's order, in practice the order its engine
created them in, which for tasks started together is not always
wfengine's.) Of an execution the list
starts with the execution itself; of a task, with the executions the task
started. Parameters (Mistral's):

* ``errors_only``: only the sub-workflows of tasks in ERROR (the
  execution asked about is always there);
* ``max_depth``: the execution asked about is at depth 0, the ones its
  tasks started at 1 (of a task: its executions at 0); deeper ones are
  left out; negative (the default): no limit;
* ``include_output``: with each execution's ``output``.

Bounded (an extension): at most ``[api] max_limit`` executions, fewer with
``limit``; a longer tree gets a ``next`` link whose ``marker`` (the last
id shown) continues it. Mistral answers the whole tree at once.
Executions of another project are not found (404), and lists never carry
the secrets of ``params.env``.
"""
import collections
import dataclasses
import urllib.parse

from pecan import rest

from wfengine.api.controllers import common
from wfengine.api.expose import expose
from wfengine.api import listing
from wfengine.api import resources
from wfengine.api import secrets
from wfengine.api import wstypes
from wfengine import conf
from wfengine.db import listing as db_listing
from wfengine.db import models
from wfengine.db import queries
from wfengine.db import scope
from wfengine.db import session
from wfengine import exceptions
from wfengine import state_names as states

PARAMS = ("errors_only", "max_depth", "include_output", "limit", "marker")
SPEC = resources.EXECUTION


@dataclasses.dataclass(frozen=True)
class TreeQuery:
    """A checked sub-executions request."""

    errors_only: bool = False
    max_depth: int = -1
    include_output: bool = False
    limit: int = 1000
    marker: str | None = None


def parse(params):
    """Check the query ``params``; :raises InputError: an unknown
    parameter, or one whose value does not fit."""
    unknown = sorted(set(params) - set(PARAMS))
    if unknown:
        raise exceptions.UnknownFields(
            where="the query parameters of sub-executions",
            fields=", ".join(unknown), allowed=", ".join(PARAMS))
    page = listing.PageLimits(conf.CONF.api.max_limit,
                              conf.CONF.api.max_limit)
    # An empty value is the default (python-mistralclient sends
    # ``errors_only=`` when the option is not given).
    given = {k: v for k, v in params.items() if v != ""}
    return TreeQuery(
        errors_only=listing.parse_bool(
            "errors_only", given.get("errors_only", "false")),
        max_depth=_integer("max_depth", given.get("max_depth", "-1")),
        include_output=listing.parse_bool(
            "include_output", given.get("include_output", "false")),
        limit=listing.page_limit(params.get("limit"), page),
        marker=params.get("marker") or None)


def _integer(name, value):
    text = str(value).strip()
    digits = text[1:] if text.startswith("-") else text
    if not digits.isdigit() or not digits.isascii() or len(digits) > 9:
        raise exceptions.InvalidValue(field=name,
                                      expected="an integer (negative: "
                                      "no limit)")
    return int(text)


def tree_order(start, subs, tasks, errors_only=False, max_depth=-1):
    """The ids of a tree's executions in Mistral's order (pure).

    :param start: ``[(wf_ex_id, depth)]`` to walk from, in order.
    :param subs: ``(id, task_execution_id)`` of the sub-workflow
        executions, oldest first.
    :param tasks: ``(id, workflow_execution_id, state)`` of the tasks
        that started them, oldest first.
    :param errors_only: follow only tasks in ERROR.
    :param max_depth: leave out executions deeper than this (negative:
        no limit).
    """
    started = collections.defaultdict(list)
    for ex_id, task_id in subs:
        started[task_id].append(ex_id)
    followed = collections.defaultdict(list)
    for task_id, wf_ex_id, state in tasks:
        if not errors_only or state == states.ERROR:
            followed[wf_ex_id].append(task_id)
    order, seen, stack = [], set(), list(reversed(start))
    while stack:
        ex_id, depth = stack.pop()
        if ex_id in seen or 0 <= max_depth < depth:
            continue
        seen.add(ex_id)
        order.append(ex_id)
        children = [c for t in followed[ex_id] for c in started[t]]
        stack.extend((c, depth + 1) for c in reversed(children))
    return order


def _root(sess, origin, obj_id, query):
    """The root of the tree holding the execution or task ``obj_id``
    (None: a task whose executions ``errors_only`` leaves out).

    :raises NotFound: no such execution or task the caller may read.
    """
    if origin == "executions":
        row = queries.get_workflow_execution(sess, obj_id, fields=())
        return row.root_execution_id or row.id
    task = queries.get_task_execution(sess, obj_id, fields=())
    if query.errors_only and task.state != states.ERROR:
        return None
    with scope.widened():
        wf_ex = queries.get_workflow_execution(
            sess, task.workflow_execution_id, fields=())
    return wf_ex.root_execution_id or wf_ex.id


def _ordered_ids(sess, origin, obj_id, query):
    root = _root(sess, origin, obj_id, query)
    if root is None:
        return []
    subs, tasks = queries.get_execution_tree(sess, root)
    if origin == "executions":
        start = [(obj_id, 0)]
    else:  # the walk starts at the task's executions, at depth 0
        start = [(ex_id, 0) for ex_id, task_id in subs
                 if task_id == obj_id]
    return tree_order(start, subs, tasks, query.errors_only,
                      query.max_depth)


def _page(ids, query):
    if query.marker is not None:
        if query.marker not in ids:
            raise exceptions.InvalidValue(
                field="marker", expected="the id of an execution of this "
                "tree (the last one of the previous page)")
        ids = ids[ids.index(query.marker) + 1:]
    return ids[:query.limit], len(ids) > query.limit


def read_sub_executions(sess, origin, obj_id, query):
    """``(items, more)``: one page of the sub-executions of the execution
    (``origin == "executions"``) or task (``"tasks"``) ``obj_id``.

    :raises NotFound: no such execution or task the caller may read.
    """
    ids, more = _page(_ordered_ids(sess, origin, obj_id, query), query)
    if not ids:
        return [], False
    names = SPEC.list_names() + (["output"] if query.include_output
                                 else [])
    with scope.widened():  # the tree of what the caller may read
        rows = db_listing.list_rows(
            sess, models.WorkflowExecution, filters={"id": ("in", ids)},
            fields=SPEC.columns(names), json_as_text=True)
    position = {ex_id: i for i, ex_id in enumerate(ids)}
    rows = sorted(rows, key=lambda r: position[r.id])
    return SPEC.to_dicts(rows, names, json_as_text=True), more


def sub_executions(origin, obj_id, params):
    """The body of ``GET /v2/<origin>/<id>/executions``."""
    query = parse(params)
    items, more = session.reader(read_sub_executions, origin, obj_id,
                                 query)
    body = {"executions": [secrets.masked_execution(i) for i in items]}
    if more:
        args = [(k, v) for k, v in sorted(params.items())
                if k not in ("marker", "limit")]
        args += [("limit", str(query.limit)),
                 ("marker", items[-1]["id"])]
        body["next"] = "%s/v2/%s/%s/executions?%s" % (
            common.base_url(), origin, urllib.parse.quote(obj_id, safe=""),
            urllib.parse.urlencode(args))
    return body


class SubExecutionsController(rest.RestController):
    """``GET /v2/executions/<id>/executions``."""

    origin = "executions"

    @expose(wstypes.Executions, wstypes.text, direct=True)
    def get_all(self, obj_id, **params):
        """The execution and its sub-workflow executions, in tree order
        (``errors_only``, ``max_depth``, ``include_output``)."""
        return sub_executions(self.origin, obj_id, params)


class TaskSubExecutionsController(SubExecutionsController):
    """``GET /v2/tasks/<id>/executions``."""

    origin = "tasks"
