"""Lists for the API: one filter/sort/marker implementation for every model.

Filters are ``{column: value}`` or ``{column: (op, value)}`` with op one of
FILTER_OPS; ``fields`` names the model columns a caller will read, so that
deferred ones it needs are read in the same query and the others are not.
Rows come back as read-only rows, not ORM objects: a dashboard page of 100
rows costs a fraction of the time. (``wfengine.api.listing`` turns query
strings into these.)
"""
import re
import uuid

import sqlalchemy as sa

from wfengine import exceptions
from wfengine.db import _common
from wfengine.db import scope

FILTER_OPS = ("eq", "neq", "in", "nin", "gt", "gte", "lt", "lte", "has",
              "null", "notnull")


def list_rows(session, model, filters=None, limit=None, marker=None,
              sort_keys=None, sort_dirs=None, fields=None,
              json_as_text=False):
    """One page of ``model`` rows: filtered, sorted, after ``marker``.

    :param filters: ``{column: value or (op, value)}``.
    :param limit: the page size, or None for all rows.
    :param marker: id of the last row of the previous page.
    :param sort_keys: columns to sort by (default ``created_at``); ``id`` is
        appended as the tie-breaker that makes the marker exact.
    :param sort_dirs: ``asc``/``desc`` per key (missing ones are ``asc``).
    :param fields: model columns the caller will read: the row has them
        and every column that is not deferred (None: every column).
    :param json_as_text: JSON columns come as their JSON text, as stored,
        for a caller that shows them as text (Mistral's resources do).
    :raises InputError: unknown column or operator, or a marker that names
        no row.

    Within an API request only the rows the caller may see are listed
    (``db.scope``): its project's, and shared ones.
    """
    keys = list(sort_keys or ["created_at"])
    dirs = list(sort_dirs or [])
    dirs += ["asc"] * (len(keys) - len(dirs))
    if "id" not in keys:
        keys.append("id")
        dirs.append("asc")
    conds = [(name,) + (cond if isinstance(cond, tuple) else ("eq", cond))
             for name, cond in (filters or {}).items()]
    marker_values = (_marker_values(session, model, marker, keys)
                     if marker else None)
    query = _Query(model, fields, json_as_text, conds, keys, dirs,
                   marker_values, limit)
    # On the connection: the ORM's result machinery, which a Core select
    # does not need, cost a sixth of a page of 100 executions.
    return session.connection().execute(query.statement(),
                                        query.params).all()


# Statements by shape (columns, filter columns and operators, order,
# which marker values are NULL): building one took longer than SQLite
# took to answer a page of 50, and a statement used again has its cache
# key worked out already. Values are parameters.
_MAX_STATEMENTS = 256
_statements = {}
# Operators whose value is a parameter.
_BOUND = {"eq", "neq", "gt", "gte", "lt", "lte", "in", "nin"}


class _Query:
    """One list query: its statement (built once per shape, unless a
    ``has`` filter makes it one of a kind) and its parameters."""

    def __init__(self, model, fields, json_as_text, conds, keys, dirs,
                 marker_values, limit):
        self.model, self.fields = model, fields
        self.json_as_text, self.conds = json_as_text, conds
        self.keys, self.dirs = keys, dirs
        self.marker_values, self.limit = marker_values, limit
        self.visible = scope.visible_condition(model, for_list=True)
        self.params = self._params()
        if self.visible is not None:
            self.params[scope.PARAM] = scope.current().project_id

    def statement(self):
        if any(op == "has" for _, op, _ in self.conds):
            return self._build()  # its text is in the statement
        shape = (self.model, None if self.fields is None
                 else tuple(sorted(self.fields)), self.json_as_text,
                 tuple((name, op, value is None)
                       for name, op, value in self.conds),
                 tuple(self.keys), tuple(self.dirs),
                 None if self.marker_values is None else tuple(
                     v is None for v in self.marker_values.values()),
                 self.limit is not None, self.visible is not None)
        stmt = _statements.get(shape)
        if stmt is None:
            stmt = self._build()
            if len(_statements) < _MAX_STATEMENTS:  # shapes are the client's
                _statements[shape] = stmt
        return stmt

    def _params(self):
        """The values of the statement's parameters: ``f<i>`` of the
        i-th filter, ``m_<key>`` of the marker's sort keys, ``limit``.
        ``= NULL`` and a marker's NULLs are part of the shape."""
        params = {}
        for i, (_, op, value) in enumerate(self.conds):
            if op in _BOUND and not (value is None and op in ("eq", "neq")):
                params["f%d" % i] = list(value) if op in ("in", "nin") \
                    else value
        for key, value in (self.marker_values or {}).items():
            if value is not None:
                params["m_" + key] = value
        if self.limit is not None:
            params["limit"] = self.limit
        return params

    def _build(self):
        model = self.model
        columns = _common.columns_for(model, self.fields)
        if self.json_as_text:
            columns = [sa.cast(c, sa.Text).label(c.key)
                       if isinstance(c.type, sa.JSON) else c for c in columns]
        stmt = sa.select(*columns)
        for i, (name, op, value) in enumerate(self.conds):
            stmt = stmt.where(self._filter(i, _column(model, name), op,
                                           value))
        if self.visible is not None:
            stmt = stmt.where(self.visible)
        if self.marker_values is not None:
            stmt = stmt.where(self._after_marker())
        stmt = stmt.order_by(*[_order(_column(model, k), d)
                               for k, d in zip(self.keys, self.dirs)])
        if self.limit is not None:
            stmt = stmt.limit(sa.bindparam("limit"))
        return stmt

    def _filter(self, i, column, op, value):
        name = "f%d" % i
        if op in ("eq", "neq") and value is None:
            return column.is_(None) if op == "eq" else column.is_not(None)
        simple = {"eq": column.__eq__, "neq": column.__ne__,
                  "gt": column.__gt__, "gte": column.__ge__,
                  "lt": column.__lt__, "lte": column.__le__}
        if op in simple:
            return simple[op](sa.bindparam(name))
        if op == "in":
            return column.in_(sa.bindparam(name, expanding=True))
        if op == "nin":
            return column.not_in(sa.bindparam(name, expanding=True))
        if op == "has":
            return column.contains(value, autoescape=True)
        if op == "null":
            return column.is_(None)
        if op == "notnull":
            return column.is_not(None)
        raise exceptions.NotAllowedValue(field="filter operator",
                                         allowed=", ".join(FILTER_OPS))

    def _after_marker(self):
        """Keyset condition: rows strictly after the marker in this order.

        NULL sorts lowest (the ORDER BY says NULLS FIRST/LAST to match on
        every database).
        """
        model, values = self.model, self.marker_values
        bound = {k: None if v is None else sa.bindparam("m_" + k)
                 for k, v in values.items()}
        alternatives = []
        for i, (key, direction) in enumerate(zip(self.keys, self.dirs)):
            column = _column(model, key)
            equal = [_equal(_column(model, k), bound[k])
                     for k in self.keys[:i]]
            beyond = _beyond(column, direction, bound[key])
            if beyond is not None:
                alternatives.append(sa.and_(*equal, beyond))
        return sa.or_(*alternatives) if alternatives else sa.false()


def _column(model, name):
    attr = model.__mapper__.column_attrs.get(name)
    if attr is None:
        raise exceptions.NotAllowedValue(
            field="column of %s" % model.__tablename__,
            allowed=", ".join(sorted(model.__mapper__.column_attrs.keys())))
    return getattr(model, name)


def _equal(column, value):
    return column.is_(None) if value is None else column == value


def _beyond(column, direction, value):
    if direction == "asc":
        return column.is_not(None) if value is None else column > value
    if value is None:
        return None
    return sa.or_(column < value, column.is_(None))


def _order(column, direction):
    # NULLS FIRST/LAST only where a column can be NULL: on a NOT NULL
    # column (created_at, id) it would keep PostgreSQL from reading the
    # index in order (a sort of the whole table for the newest 100).
    if direction == "asc":
        return column.asc().nulls_first() if _nullable(column) \
            else column.asc()
    return column.desc().nulls_last() if _nullable(column) \
        else column.desc()


def _nullable(column):
    return column.property.columns[0].nullable


def _marker_values(session, model, marker, keys):
    columns = [_column(model, k) for k in keys]
    stmt = sa.select(*columns).where(model.id == marker)
    visible = scope.visible_condition(model, for_list=True)
    if visible is not None:  # another project's id is no marker
        stmt = stmt.where(visible)
    row = session.execute(stmt).first()
    if row is None and _is_uuid(marker):
        # An id that names nothing (or another project's row): Mistral's
        # 404, in its words ("<model> not found [id=...]").
        raise exceptions.NotFound(kind=_label(model), id=marker)
    if row is None:
        raise exceptions.InvalidValue(
            field="marker", expected="the id of a row of %s you can see"
            % model.__tablename__)
    return dict(zip(keys, row))


def _is_uuid(value):
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _label(model):
    """``WorkflowExecution`` -> ``Workflow execution``."""
    words = re.findall(r"[A-Z][a-z]*", model.__name__)
    return " ".join([words[0]] + [w.lower() for w in words[1:]])
