"""Whose rows a caller sees: the project scope of the API's reads and writes.

The API sets the caller's :class:`Scope` for the length of a request
(:func:`use`); the data functions the API calls read it from here and add
its condition to their statements. Outside a request (engine, executor,
notifier, cron) no scope is set and nothing is filtered: those act for
the project written on the rows they work on.

Rules (Mistral's):

* a row belongs to the project in its ``project_id``;
* ``visible``: the caller's own rows, plus workflows, workbooks and
  actions marked ``scope: public``, plus built-in (system) actions;
* ``owned``: the caller's own rows: only these can be changed;
* an admin reaches any row by id; lists of an admin show the admin's own
  project unless ``all_projects`` is set.
"""
import contextlib
import contextvars
import dataclasses

import sqlalchemy as sa

PUBLIC = "public"
# The name of the parameter holding the caller's project in statements:
# statements built once are run again with another project's value.
PARAM = "scope_project"

# Kinds of rows a ``scope: public`` shares (Mistral's sharing rules);
# environments and cron triggers keep their scope column but are never
# shared: an environment holds secrets.
SHARED_TABLES = frozenset({"workflow_definitions", "workbooks",
                           "action_definitions"})

_current = contextvars.ContextVar("wfengine_db_scope", default=None)


@dataclasses.dataclass(frozen=True)
class Scope:
    """The project a request acts in."""

    project_id: str
    is_admin: bool = False
    all_projects: bool = False
    # Who acts: recorded on the rows the request creates (None: unknown,
    # as in noauth mode).
    user_id: str | None = None


def current():
    """The scope of the running request, or None (no filtering)."""
    return _current.get()


@contextlib.contextmanager
def use(scope):
    """Run the body with ``scope`` as the current scope."""
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def of_project(project_id):
    """A context in which reads see what project ``project_id`` sees (its
    own rows and shared ones); every project's rows when it is None. For
    the engine, which acts for the project written on an execution."""
    return use(None if project_id is None else Scope(project_id))


def enter(sc):
    """Make ``sc`` the current scope; returns the token :func:`leave`
    takes (for code that cannot use :func:`use`, such as hooks)."""
    return _current.set(sc)


def leave(token):
    """Undo :func:`enter`."""
    try:
        _current.reset(token)
    except ValueError:  # entered in another context: clear instead
        _current.set(None)


@contextlib.contextmanager
def widened():
    """Run the body with the current scope listing every project (for
    the parts of an object the caller was found to reach)."""
    sc = current()
    if sc is None or sc.all_projects:
        yield sc
        return
    with use(dataclasses.replace(sc, is_admin=True, all_projects=True)) as w:
        yield w


def _has(model, name):
    return name in model.__mapper__.column_attrs


def scoped(model):
    """True if rows of ``model`` belong to projects."""
    return _has(model, "project_id")


def visible_condition(model, for_list=False):
    """The SQL condition of rows of ``model`` the current caller may read,
    or None when nothing is to be filtered.

    :param for_list: a list (admins see every project only with
        ``all_projects``); else a read by id (admins see every row).
    """
    sc = current()
    if sc is None or not scoped(model):
        return None
    if sc.is_admin and (sc.all_projects or not for_list):
        return None
    alternatives = [model.project_id == sa.bindparam(PARAM, sc.project_id)]
    if _has(model, "scope") and model.__tablename__ in SHARED_TABLES:
        alternatives.append(model.scope == PUBLIC)
    if _has(model, "is_system"):
        alternatives.append(model.is_system.is_(True))
    return sa.or_(*alternatives) if len(alternatives) > 1 \
        else alternatives[0]


def owned_condition(model):
    """The SQL condition of rows the current caller may change, or None."""
    sc = current()
    if sc is None or not scoped(model) or sc.is_admin:
        return None
    return model.project_id == sc.project_id


def may_read(row):
    """True if the current caller may read ``row`` (any object with
    ``project_id`` and, where its kind has them, ``scope``/``is_system``)."""
    sc = current()
    if sc is None or sc.is_admin:
        return True
    project = getattr(row, "project_id", None)
    if project is None or project == sc.project_id:
        return True
    shared = getattr(row, "__tablename__", None) in SHARED_TABLES and \
        getattr(row, "scope", None) == PUBLIC
    return shared or bool(getattr(row, "is_system", False))


def may_change(row):
    """True if the current caller may change ``row``."""
    sc = current()
    if sc is None or sc.is_admin:
        return True
    project = getattr(row, "project_id", None)
    return project is None or project == sc.project_id


def creator_project():
    """The project new rows get: the caller's, or None outside a request
    (the column's default then)."""
    sc = current()
    return None if sc is None else sc.project_id


def creator_user():
    """The user new rows get: the caller's, or None (unknown)."""
    sc = current()
    return None if sc is None else sc.user_id


def creator_columns(model):
    """``{"project_id": ..., "user_id": ...}`` of a new row of ``model``
    created by the current caller; empty outside a request."""
    sc = current()
    if sc is None or not scoped(model):
        return {}
    return {"project_id": sc.project_id, "user_id": sc.user_id}
