"""Migrations walk up and down, and the models match them."""
import pytest
import sqlalchemy as sa
from alembic import autogenerate
from alembic import migration as alembic_migration

from wfengine.db import migration
from wfengine.db import models


def _tables(url):
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(db_url):
    migration.upgrade(db_url, "heads")
    assert _tables(db_url) == set(models.Base.metadata.tables)
    migration.downgrade(db_url, "base")
    assert _tables(db_url) == set()
    migration.upgrade(db_url, "heads")
    assert _tables(db_url) == set(models.Base.metadata.tables)


def test_models_match_migrations(db_url):
    migration.upgrade(db_url, "heads")
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = alembic_migration.MigrationContext.configure(
                conn, opts={"compare_type": True})
            diff = autogenerate.compare_metadata(ctx, models.Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def _compression(url):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return dict(conn.exec_driver_sql(
                "SELECT attname, attcompression FROM pg_attribute WHERE "
                "attrelid = 'task_executions'::regclass AND attname IN "
                "('published', 'in_context', 'name')").all())
    finally:
        engine.dispose()


def _has_lz4(url):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return "lz4" in (conn.exec_driver_sql(
                "SELECT enumvals FROM pg_settings "
                "WHERE name = 'default_toast_compression'").scalar() or [])
    finally:
        engine.dispose()


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
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO environments (id, name, variables, scope, "
                "project_id, created_at) VALUES ('e1', 'old', '{}', "
                "'private', 'p1', '2026-01-01 00:00:00')")
        migration.upgrade(db_url, "heads")
        with engine.connect() as conn:
            assert conn.exec_driver_sql(
                "SELECT id, project_id, user_id FROM environments").all() \
                == [("e1", "p1", None)]
        migration.downgrade(db_url, "0010")
        with engine.connect() as conn:
            assert conn.exec_driver_sql(
                "SELECT id, project_id FROM environments").all() == [
                ("e1", "p1")]
    finally:
        engine.dispose()
