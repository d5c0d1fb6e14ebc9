"""Lists for the API: one filter/sort/marker implementation for every model.

Filters are ``{column: value}`` or ``{column: (op, value)}`` with op one of
FILTER_OPS; ``fields`` names the model columns a caller will read, so that
deferred ones it needs are read in the same query and the others are not.
Rows come back as read-only rows, not ORM objects: a dashboard page of 100
rows costs a fraction of the time. (``wfengine.api.listing`` turns query
strings into these.)
"""
import sqlalchemy as sa

from wfengine import exceptions
from wfengine.db import _common

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
    """
    keys = list(sort_keys or ["created_at"])
    dirs = list(sort_dirs or [])
    dirs += ["asc"] * (len(keys) - len(dirs))
    if "id" not in keys:
        keys.append("id")
        dirs.append("asc")
    columns = _common.columns_for(model, fields)
    if json_as_text:
        columns = [sa.cast(c, sa.Text).label(c.key)
                   if isinstance(c.type, sa.JSON) else c for c in columns]
    stmt = _apply_filters(sa.select(*columns), model, filters)
    if marker:
        values = _marker_values(session, model, marker, keys)
        stmt = stmt.where(_after_marker(model, keys, dirs, values))
    stmt = stmt.order_by(*[_order(_column(model, k), d)
                           for k, d in zip(keys, dirs)])
    if limit is not None:
        stmt = stmt.limit(limit)
    # On the connection: the ORM's result machinery, which a Core select
    # does not need, cost a sixth of a page of 100 executions.
    return session.connection().execute(stmt).all()


def _column(model, name):
    attr = model.__mapper__.column_attrs.get(name)
    if attr is None:
        raise exceptions.InputError(
            "Unknown column %r of %s" % (name, model.__tablename__))
    return getattr(model, name)


def _filter_clause(column, op, value):
    simple = {"eq": column.__eq__, "neq": column.__ne__, "gt": column.__gt__,
              "gte": column.__ge__, "lt": column.__lt__, "lte": column.__le__}
    if op in simple:
        return simple[op](value)
    if op == "in":
        return column.in_(list(value))
    if op == "nin":
        return column.not_in(list(value))
    if op == "has":
        return column.contains(value, autoescape=True)
    if op == "null":
        return column.is_(None)
    if op == "notnull":
        return column.is_not(None)
    raise exceptions.InputError(
        "Unknown filter operator %r (allowed: %s)"
        % (op, ", ".join(FILTER_OPS)))


def _apply_filters(stmt, model, filters):
    for name, cond in (filters or {}).items():
        op, value = cond if isinstance(cond, tuple) else ("eq", cond)
        stmt = stmt.where(_filter_clause(_column(model, name), op, value))
    return stmt


def _after_marker(model, keys, dirs, marker_values):
    """Keyset condition: rows strictly after the marker in this order.

    NULL sorts lowest (the ORDER BY says NULLS FIRST/LAST to match on
    every database).
    """
    alternatives = []
    for i, (key, direction) in enumerate(zip(keys, dirs)):
        column = _column(model, key)
        equal = [_equal(_column(model, k), marker_values[k])
                 for k in keys[:i]]
        beyond = _beyond(column, direction, marker_values[key])
        if beyond is not None:
            alternatives.append(sa.and_(*equal, beyond))
    return sa.or_(*alternatives) if alternatives else sa.false()


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
    row = session.execute(
        sa.select(*columns).where(model.id == marker)).first()
    if row is None:
        raise exceptions.InputError(
            "Invalid marker %r: no %s with this id"
            % (marker, model.__tablename__))
    return dict(zip(keys, row))
