"""``/console/executions``: the list, its search, and its live rows."""
import dataclasses
import datetime
import urllib.parse

from webob import exc as webob_exc

from wfengine.console import conditional
from wfengine.console import formatting
from wfengine.console import web

STATES = ("RUNNING", "PAUSED", "ERROR", "SUCCESS", "CANCELLED", "IDLE")
PAGE_SIZE = 50
# The tab's title counts up to this many running and failed executions
# ("99+" beyond): each poll reads that many ids of each.
COUNT_CAP = 99
LIST_FIELDS = ("id,workflow_name,workflow_namespace,state,created_at,"
               "updated_at,task_execution_id,root_execution_id,description")
_TIME_INPUTS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
                "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


@dataclasses.dataclass
class Search:
    """The list's search form, as typed."""

    name: str = ""
    tag: str = ""
    state: str = ""
    since: str = ""
    until: str = ""
    marker: str = ""

    @classmethod
    def from_params(cls, params):
        """The search of a request's query parameters."""
        return cls(**{f.name: (params.get(f.name) or "").strip()[:255]
                      for f in dataclasses.fields(cls)})

    def query(self, **changes):
        """The query string of this search (with ``changes``)."""
        values = dict(dataclasses.asdict(self), **changes)
        return urllib.parse.urlencode(
            {k: v for k, v in values.items() if v})


def api_time(text, what):
    """A form's time as the API's filter value.

    :raises apiclient.ApiError: (400) it is not a time.
    """
    for form in _TIME_INPUTS:
        try:
            value = datetime.datetime.strptime(text, form)
        except ValueError:
            continue
        return value.strftime(formatting.API_TIME)
    raise web.apiclient.ApiError(
        400, "%s is not a time (expected YYYY-MM-DDTHH:MM, UTC)" % what)


def api_filters(search, tagged_names=None):
    """The API filters of ``search`` (state excepted).

    :param tagged_names: the workflows carrying ``search.tag``, when a tag
        is searched (the API filters executions by workflow, not by tag).
    :returns: the filters, or None when nothing can match.
    """
    filters = {}
    if tagged_names is not None:
        names = [n for n in tagged_names if search.name in n]
        if not names:
            return None
        filters["workflow_name"] = "in:" + ",".join(names)
    elif search.name:
        filters["workflow_name"] = "has:" + search.name
    # One operator per field: the upper bound goes to the API, the lower
    # one is cut here from the newest-first list (see keep_since).
    if search.until:
        filters["created_at"] = "lte:" + api_time(search.until, "To")
    elif search.since:
        filters["created_at"] = "gte:" + api_time(search.since, "From")
    return filters


def keep_since(rows, search):
    """Rows not older than ``search.since`` and whether some were cut."""
    if not (search.since and search.until):
        return rows, False
    bound = api_time(search.since, "From")
    kept = [row for row in rows if (row.get("created_at") or "") >= bound]
    return kept, len(kept) < len(rows)


def _calls(search, filters):
    page = dict(filters, fields=LIST_FIELDS, limit=PAGE_SIZE,
                sort_keys="created_at", sort_dirs="desc",
                marker=search.marker or None)
    if search.state:
        page["state"] = search.state
    count = dict(filters, fields="id", limit=COUNT_CAP + 1)
    return [("/executions", page),
            ("/executions", dict(count, state="RUNNING")),
            ("/executions", dict(count, state="ERROR"))]


def _tagged_names(page, tag):
    workflows = page.api.get("/workflows", {"fields": "name,tags"}).data
    return sorted({wf["name"] for wf in workflows["workflows"]
                   if tag in (wf.get("tags") or [])})


def _rows_part(page, search, held):
    """``(values for _rows.html, tag)``, or ``(None, tag)`` when the
    browser's copy is still good."""
    if search.state and search.state not in STATES:
        raise web.apiclient.ApiError(
            400, "Unknown state: the filter 'state' must be one of %s"
            % ", ".join(STATES))
    tagged = _tagged_names(page, search.tag) if search.tag else None
    filters = api_filters(search, tagged)
    if filters is None:
        return _values(search, [], 0, 0, False), None
    reads = conditional.Reads(page.api, held,
                              _calls(search, filters))
    if reads.unchanged():
        return None, reads.tag
    body, running, failed = reads.data
    rows, cut = keep_since(body["executions"], search)
    more = len(body["executions"]) == PAGE_SIZE and not cut
    return _values(search, rows, len(running["executions"]),
                   len(failed["executions"]), more), reads.tag


def _values(search, rows, running, failed, more):
    title = "Executions"
    counts = []
    for count, word in ((running, "running"), (failed, "failed")):
        if count:
            counts.append("%s%s %s" % (min(count, COUNT_CAP),
                                       "+" if count > COUNT_CAP else "",
                                       word))
    if counts:
        title = "(%s) %s" % (", ".join(counts), title)
    older = search.query(marker=rows[-1]["id"]) if more and rows else None
    return {"rows": rows, "search": search, "title": title,
            "running": running, "failed": failed, "older": older,
            "states": STATES, "rows_query": search.query()}


@web.route("GET", "/")
def index(page):
    """``/console``: the executions."""
    return webob_exc.HTTPFound(
        location=page.request.script_name + web.PREFIX + "/executions")


@web.route("GET", "/executions")
def list_page(page):
    """The list page with its search form."""
    search = Search.from_params(page.request.GET)
    try:
        values, tag = _rows_part(page, search, None)
        error = None
    except web.apiclient.ApiError as e:
        values, tag, error = _values(search, [], 0, 0, False), None, e
    return page.render("executions.html", error=error and error.message,
                       etag=None, part_tag=tag, **values)


@web.route("GET", "/executions/rows")
def rows(page):
    """The rows alone (htmx polls them; 304 when nothing changed)."""
    search = Search.from_params(page.request.GET)
    values, tag = _rows_part(page, search, page.if_none_match())
    if values is None:
        return page.not_modified(tag)
    return page.render("_rows.html", etag=tag, part_tag=tag, **values)
