"""Helpers the API's data modules share: load by id, set columns.

Private to ``wfengine.db``. Every function takes the session; none commits.
"""
import functools

import sqlalchemy as sa
from sqlalchemy import orm

from wfengine import exceptions
from wfengine.db import api as db_api
from wfengine.db import models
from wfengine.db import prepared
from wfengine.db import scope


def undefer(model, fields):
    """Loader options that load the deferred columns among ``fields``."""
    options = []
    for name in fields or ():
        attr = model.__mapper__.column_attrs.get(name)
        if attr is not None and attr.deferred:
            options.append(orm.undefer(getattr(model, name)))
    return options


def find_by_id(session, model, obj_id, fields=None):
    """The ``model`` row with id ``obj_id``, or None.

    :param fields: columns the caller will read; deferred ones among them
        are loaded with the row.
    """
    stmt = (sa.select(model).where(model.id == str(obj_id))
            .options(*undefer(model, fields)))
    visible = scope.visible_condition(model)
    if visible is not None:  # another project's row is not found
        stmt = stmt.where(visible)
    return session.execute(stmt).scalar_one_or_none()


def get_by_id(session, model, obj_id, label, fields=None):
    """The ``model`` row with id ``obj_id`` (see :func:`find_by_id`).

    :raises NotFound: ``"<label> not found [id=<obj_id>]"``.
    """
    row = find_by_id(session, model, obj_id, fields)
    if row is None:
        raise exceptions.NotFound(kind=label, id=obj_id)
    return row


def columns_for(model, fields):
    """The columns a read-only row needs to show ``fields``: those, and
    every column that is not deferred (all of them if ``fields`` is None)."""
    wanted = None if fields is None else set(fields)
    return [attr.class_attribute for attr in model.__mapper__.column_attrs
            if wanted is None or not attr.deferred or attr.key in wanted]


@functools.lru_cache(maxsize=256)
def _select_by_id(model, fields, scoped=False):
    stmt = sa.select(*columns_for(model, fields)).where(
        model.id == sa.bindparam("id"))
    if scoped:
        stmt = stmt.where(scope.visible_condition(model))
    return stmt


def read_by_id(session, model, obj_id, label, fields=None):
    """Like :func:`get_by_id`, as a read-only row: no ORM object, and a
    Core statement built once per shape and run on the session's
    connection (a GET of one row in a quarter of the time).

    :param session: an ORM session, or a Core connection
        (``session.row_reader``).

    :raises NotFound: ``"<label> not found [id=<obj_id>]"``.
    """
    params = {"id": str(obj_id)}
    scoped = scope.visible_condition(model) is not None
    if scoped:  # another project's row is not found
        params[scope.PARAM] = scope.current().project_id
    stmt = _select_by_id(model, None if fields is None else tuple(fields),
                         scoped)
    conn = session.connection() if isinstance(session, orm.Session) \
        else session
    row = prepared.execute(conn, stmt, params).first()
    if row is None:
        raise exceptions.NotFound(kind=label, id=obj_id)
    return row


def set_columns(session, row, values):
    """Set the columns ``values`` of ``row``, flush; ``updated_at`` is
    stamped only if a value changed (as on Mistral, an update that sends
    the same text leaves the row, and its ``updated_at``, as they were).

    :returns: the row.
    :raises DBDuplicateEntry: the change collides with a unique key.
    """
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    if changed:
        row.updated_at = models.utcnow()
        db_api.flush(session)
    return row
