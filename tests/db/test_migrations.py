"""Migrations walk up and down, the models match them, and the rows a
migration moves end where it says."""
import contextlib
import datetime

import pytest
import sqlalchemy as sa
from alembic import autogenerate
from alembic import migration as alembic_migration
from alembic import script as alembic_script

from wfengine import exceptions
from wfengine.db import definitions
from wfengine.db import listing
from wfengine.db import migration
from wfengine.db import models
from wfengine.db import queries
from wfengine.db import scope
from wfengine.db import session as db_session


@contextlib.contextmanager
def _engine(url):
    """An engine of ``url``'s own, disposed of at the end."""
    engine = sa.create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextlib.contextmanager
def _connection(url, write=False):
    """A connection to ``url`` (a transaction committed at the end if
    ``write``), its engine disposed of at the end."""
    with _engine(url) as engine, \
            (engine.begin() if write else engine.connect()) as conn:
        yield conn


def _tables(url):
    with _engine(url) as engine:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade(db_url):
    migration.upgrade(db_url, "heads")
    assert _tables(db_url) == set(models.Base.metadata.tables)
    migration.downgrade(db_url, "base")
    assert _tables(db_url) == set()
    migration.upgrade(db_url, "heads")
    assert _tables(db_url) == set(models.Base.metadata.tables)


def test_head_is_the_head_of_the_migrations():
    # A new migration moves migration.HEAD on: what a server compares the
    # database with, without reading the migrations through Alembic.
    scripts = alembic_script.ScriptDirectory(migration.script_location())
    assert set(scripts.get_heads()) == {migration.HEAD}


def test_upgrade_apart_brings_the_database_to_head_once(db_url,
                                                        monkeypatch):
    migration.upgrade_apart(db_url)
    with _connection(db_url) as conn:
        assert migration.database_heads(conn) == {migration.HEAD}
    assert _tables(db_url) == set(models.Base.metadata.tables)

    def no_child(*args, **kwargs):
        raise AssertionError("a database at head needs no child process")

    monkeypatch.setattr(migration.subprocess, "run", no_child)
    migration.upgrade_apart(db_url)


def test_upgrade_apart_takes_an_older_database_to_head(db_url):
    migration.upgrade(db_url, "0010")
    migration.upgrade_apart(db_url)
    with _connection(db_url) as conn:
        assert migration.database_heads(conn) == {migration.HEAD}


def test_a_failed_upgrade_apart_says_why(tmp_path):
    # A database the child can read but not migrate: a schema at a
    # revision that no migration knows.
    url = "sqlite:///%s" % (tmp_path / "odd.sqlite")
    with _connection(url, write=True) as conn:
        conn.execute(sa.text(
            "CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        conn.execute(sa.text(
            "INSERT INTO alembic_version VALUES ('9999')"))
    with pytest.raises(RuntimeError, match=r"upgrade failed.*9999"):
        migration.upgrade_apart(url)


def test_models_match_migrations(db_url):
    migration.upgrade(db_url, "heads")
    with _connection(db_url) as conn:
        ctx = alembic_migration.MigrationContext.configure(
            conn, opts={"compare_type": True})
        diff = autogenerate.compare_metadata(ctx, models.Base.metadata)
    assert diff == []


def _compression(url):
    with _connection(url) as conn:
        return dict(conn.exec_driver_sql(
            "SELECT attname, attcompression FROM pg_attribute WHERE "
            "attrelid = 'task_executions'::regclass AND attname IN "
            "('published', 'in_context', 'name')").all())


def _has_lz4(url):
    with _connection(url) as conn:
        return "lz4" in (conn.exec_driver_sql(
            "SELECT enumvals FROM pg_settings "
            "WHERE name = 'default_toast_compression'").scalar() or [])


def test_large_json_columns_use_lz4_on_postgresql(postgresql_url):
    if not _has_lz4(postgresql_url):
        pytest.skip("this PostgreSQL server was built without lz4")
    migration.upgrade(postgresql_url, "heads")
    assert _compression(postgresql_url) == {
        "published": "l", "in_context": "l", "name": ""}
    migration.downgrade(postgresql_url, "0007")
    assert _compression(postgresql_url)["published"] == "p"


def test_user_columns_keep_existing_rows(db_url):
    migration.upgrade(db_url, "0010")
    with _connection(db_url, write=True) as conn:
        conn.exec_driver_sql(
            "INSERT INTO environments (id, name, variables, scope, "
            "project_id, created_at) VALUES ('e1', 'old', '{}', "
            "'private', 'p1', '2026-01-01 00:00:00')")
    migration.upgrade(db_url, "heads")
    with _connection(db_url) as conn:
        assert conn.exec_driver_sql(
            "SELECT id, project_id, user_id FROM environments").all() \
            == [("e1", "p1", None)]
    migration.downgrade(db_url, "0010")
    with _connection(db_url) as conn:
        assert conn.exec_driver_sql(
            "SELECT id, project_id FROM environments").all() == [
            ("e1", "p1")]


# The tables migration 0009 puts in a project, as of its revision.
_PROJECT_TABLES = ("workflow_definitions", "workflow_executions",
                   "task_executions", "action_executions", "environments",
                   "action_definitions", "workbooks", "cron_triggers",
                   "listeners")


def _filler(column):
    """A value for a NOT NULL column of a reflected table."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.DateTime):
        return datetime.datetime(2026, 1, 1)
    if isinstance(kind, sa.Integer):
        return 0
    if isinstance(kind, sa.JSON):
        return {}
    return "x"


def _old_row(table, prefix, project):
    """A row of ``table`` (reflected) with every required column set;
    its id and those of the rows it references are ``prefix-<table>``."""
    row = {c.name: _filler(c) for c in table.columns
           if not c.nullable and c.server_default is None}
    for column in table.columns:
        for fk in column.foreign_keys:
            row[column.name] = "%s-%s" % (prefix, fk.column.table.name)
    row.update(id="%s-%s" % (prefix, table.name), project_id=project)
    if "name" in table.columns:
        row["name"] = "old"
    if "namespace" in table.columns:
        row["namespace"] = ""  # the default one
    return row


def _write_old_rows(url):
    """Rows as a deployment before 0009 left them: without a project
    (the columns are NOT NULL: an empty text), and another project's."""
    with _connection(url, write=True) as conn:
        meta = sa.MetaData()
        meta.reflect(conn, only=_PROJECT_TABLES)
        for name in _PROJECT_TABLES:  # parents before children
            for prefix, project in (("old", ""), ("other", "p-other")):
                conn.execute(meta.tables[name].insert(),
                             _old_row(meta.tables[name], prefix, project))


def _projects_of(url):
    with _connection(url) as conn:
        return {(name, row_id): project
                for name in _PROJECT_TABLES
                for row_id, project in conn.exec_driver_sql(
                    "SELECT id, project_id FROM %s" % name)}


def _models_by_table():
    return {m.class_.__tablename__: m.class_
            for m in models.Base.registry.mappers}


def _readable(sess, project):
    """The old rows ``project`` reads through the data layer: in lists and
    by id or name, as the API reads them within a request."""
    found = set()
    with scope.use(scope.Scope(project)):
        for name, model in _models_by_table().items():
            if name in _PROJECT_TABLES:
                ids = ["%s-%s" % (prefix, name)
                       for prefix in ("old", "other")]
                found |= {(name, r.id) for r in listing.list_rows(
                    sess, model, filters={"id": ("in", ids)})}
        for label, read in (
                ("workflow_executions", queries.get_workflow_execution),
                ("task_executions", queries.get_task_execution),
                ("action_executions", queries.get_action_execution)):
            try:
                found.add((label + " by id", read(sess, "old-" + label).id))
            except exceptions.NotFound:
                pass
        for label, read in (
                ("workflow_definitions", definitions.get_workflow_definition),
                ("workbooks", definitions.get_workbook),
                ("action_definitions", definitions.get_action_definition),
                ("environments", definitions.get_environment),
                ("cron_triggers", definitions.get_cron_trigger)):
            try:
                found.add((label + " by name", read(sess, "old").id))
            except exceptions.NotFound:
                pass
    return found


def test_rows_without_a_project_end_in_the_default_project(db_url):
    migration.upgrade(db_url, "0008")
    _write_old_rows(db_url)
    migration.upgrade(db_url, "heads")
    projects = _projects_of(db_url)
    assert projects == {
        **{(name, "old-" + name): models.DEFAULT_PROJECT
           for name in _PROJECT_TABLES},
        **{(name, "other-" + name): "p-other" for name in _PROJECT_TABLES}}
    db_session.configure(db_url)
    try:
        mine = db_session.reader(_readable, models.DEFAULT_PROJECT)
        others = db_session.reader(_readable, "p-other")
    finally:
        db_session.dispose()
    by_id = {"workflow_executions", "task_executions", "action_executions"}
    by_name = {"workflow_definitions", "workbooks", "action_definitions",
               "environments", "cron_triggers"}
    assert mine == {(name, "old-" + name) for name in _PROJECT_TABLES} | {
        (name + " by id", "old-" + name) for name in by_id} | {
        (name + " by name", "old-" + name) for name in by_name}
    # The other project keeps its own rows and reads none of the old ones.
    assert {row_id for _, row_id in others} == {
        "other-" + name for name in _PROJECT_TABLES}
