"""Migrations walk up and down, and the models match them."""
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
