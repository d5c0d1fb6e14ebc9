"""Query parameters of Mistral's list endpoints, once for every resource.

``GET /v2/<collection>`` takes ``marker``, ``limit``, ``sort_keys``,
``sort_dirs`` (comma lists, default ``created_at``/``asc``), ``fields``
(comma list; ``id`` is always added), ``nulls`` (fields that must be
null) and one parameter per filterable field. A filter value may carry
Mistral's operator prefix: ``eq:``, ``neq:``, ``in:a,b``, ``nin:``,
``gt:``, ``gte:``, ``lt:``, ``lte:``, ``has:``. Without ``limit`` a page
has ``[api] default_limit`` rows, and ``limit`` is at most ``[api]
max_limit`` (a larger one is lowered to it); a page that is full gets a
``next`` link that repeats the query after the page's last id.
"""
import dataclasses
import datetime
import urllib.parse

from wfengine import exceptions
from wfengine.api import resources
from wfengine import state_names as states
from wfengine.api import wire

PAGING_PARAMS = ("marker", "limit", "sort_keys", "sort_dirs", "fields",
                 "nulls", "include_output", "all_projects")
OPERATORS = ("eq", "neq", "in", "nin", "gt", "gte", "lt", "lte", "has")
SORT_DIRS = ("asc", "desc")
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f",
                     "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f",
                     "%Y-%m-%d")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


@dataclasses.dataclass(frozen=True)
class PageLimits:
    """Rows of a page without ``limit``, and the most ``limit`` gives."""

    default: int = 100
    maximum: int = 1000


@dataclasses.dataclass
class ListQuery:
    """A checked list request, in column terms for the database."""

    filters: dict
    limit: int | None
    marker: str | None
    sort_keys: list
    sort_dirs: list
    columns: list
    sort_columns: list
    names: list
    fields: list | None
    echo: list


def parse(spec, params, forced=None, page=PageLimits()):
    """Check the query ``params`` of a list of ``spec`` resources.

    :param forced: filters fixed by the route (e.g. the execution id of
        ``/v2/executions/<id>/tasks``), wire name to value.
    :param page: the :class:`PageLimits` of the deployment.
    :raises InputError: naming the parameter, its value and what is allowed.
    """
    params = dict(params)
    _reject_unknown(spec, params)
    filters, echo = _filters(spec, params, forced or {})
    keys, dirs = _sorting(spec, params)
    fields = _fields(spec, params.get("fields"))
    names = fields or _default_names(spec, params)
    return ListQuery(
        filters=filters, limit=_limit(params.get("limit"), page),
        marker=params.get("marker") or None, sort_keys=keys, sort_dirs=dirs,
        columns=spec.columns(names),
        sort_columns=[spec.column(k) for k in keys], names=names,
        fields=fields, echo=echo)


def next_link(base_url, spec, query, rows):
    """Mistral's ``next`` link when the page is full, else None."""
    if not query.limit or len(rows) < query.limit:
        return None
    args = [("sort_keys", ",".join(query.sort_keys)),
            ("sort_dirs", ",".join(query.sort_dirs))]
    args += query.echo
    args += [("limit", str(query.limit)), ("marker", rows[-1]["id"])]
    if query.fields:
        args.append(("fields", ",".join(query.fields)))
    return "%s/v2/%s?%s" % (base_url.rstrip("/"), spec.collection,
                            urllib.parse.urlencode(args, safe=",:"))


def parse_bool(name, value):
    """A boolean query parameter; :raises InputError: not a boolean."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise exceptions.InvalidValue(field="value for '%s'" % name,
                                  expected="true or false")


def _reject_unknown(spec, params):
    allowed = set(PAGING_PARAMS) | set(spec.filters)
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise exceptions.UnknownFields(
            where="the query parameters of /v2/%s" % spec.collection,
            fields=", ".join(unknown), allowed=", ".join(sorted(allowed)))


def page_limit(value, page=PageLimits()):
    """A ``limit`` query parameter: ``page.default`` if absent, at most
    ``page.maximum``; :raises InputError: not a positive integer."""
    return _limit(value, page)


def _limit(value, page):
    if value in (None, ""):
        return page.default
    digits = str(value).strip().lstrip("0")
    if not digits.isdigit() or not digits.isascii():
        raise exceptions.InvalidValue(
            field="limit", expected="a positive integer (at most %d, "
            "[api] max_limit)" % page.maximum)
    # A number longer than any page size is only compared, never used.
    if len(digits) > 12:
        return page.maximum
    return min(int(digits), page.maximum)


def _sorting(spec, params):
    keys = _comma_list(params.get("sort_keys")) or ["created_at"]
    dirs = _comma_list(params.get("sort_dirs")) or ["asc"]
    sortable = [f.name for f in spec.fields
                if f.column and f.kind not in (resources.JSON,
                                               resources.JSON_VALUE)]
    for key in keys:
        if key not in sortable:
            raise exceptions.NotAllowedValue(
                field="sort key for %s" % spec.collection,
                allowed=", ".join(sortable))
    if len(dirs) > len(keys):
        raise exceptions.InvalidValue(
            field="sort_dirs", expected="at most one direction per key of "
            "sort_keys")
    for direction in dirs:
        if direction not in SORT_DIRS:
            raise exceptions.NotAllowedValue(field="sort direction",
                                             allowed="asc, desc")
    return keys, dirs + ["asc"] * (len(keys) - len(dirs))


def _fields(spec, value):
    fields = _comma_list(value)
    if not fields:
        return None
    if any(f not in spec.names() for f in fields):
        raise exceptions.NotAllowedValue(
            field="field(s) for %s" % spec.collection,
            allowed=", ".join(spec.names()))
    if "id" not in fields:
        fields.insert(0, "id")
    return list(dict.fromkeys(fields))


def _default_names(spec, params):
    names = spec.list_names()
    include = params.get("include_output")
    if include not in (None, "") and parse_bool("include_output", include):
        names += [n for n in ("output",) if n in spec.names()]
    return names


def _filters(spec, params, forced):
    filters = {}
    echo = []
    for name in sorted(spec.filters):
        if name in forced:
            value = forced[name]
            filters[spec.column(name)] = ("eq", value)
            echo.append((name, value))
        elif params.get(name) not in (None, ""):
            filters[spec.column(name)] = _filter(spec, name, params[name])
            echo.append((name, params[name]))
    for name in _comma_list(params.get("nulls")):
        if name not in spec.filters:
            raise exceptions.NotAllowedValue(
                field="field in nulls", allowed=", ".join(sorted(spec.filters)))
        filters[spec.column(name)] = ("null", None)
    if params.get("nulls"):
        echo.append(("nulls", params["nulls"]))
    return filters, echo


def _filter(spec, name, raw):
    op, value = "eq", raw
    prefix, sep, rest = str(raw).partition(":")
    if sep and prefix in OPERATORS:
        op, value = prefix, rest
    if op in ("in", "nin"):
        value = [_coerce(spec, name, v) for v in _comma_list(value)]
    else:
        value = _coerce(spec, name, value)
    return op, value


def _coerce(spec, name, value):
    column = spec.model.__mapper__.column_attrs[spec.column(name)].columns[0]
    python_type = _python_type(column)
    if python_type is datetime.datetime:
        return _parse_datetime(name, value)
    if python_type is bool:
        return parse_bool(name, value)
    if name == "state" and spec is resources.TASK:
        value = wire.ENGINE_TASK_STATES.get(value, value)
    if name == "state" and value not in states.ALL:
        raise exceptions.NotAllowedValue(field="state",
                                         allowed=", ".join(states.ALL))
    return value


def _python_type(column):
    try:
        return column.type.python_type
    except NotImplementedError:
        return str


def _parse_datetime(name, value):
    for fmt in _DATETIME_FORMATS:
        try:
            return datetime.datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise exceptions.InvalidValue(field="date and time for '%s'" % name,
                                  expected="YYYY-MM-DD HH:MM:SS")


def _comma_list(value):
    if value in (None, ""):
        return []
    return [v.strip() for v in str(value).split(",") if v.strip()]
