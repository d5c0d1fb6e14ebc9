"""Alembic environment: connection from the caller, metadata from models."""
import sqlalchemy as sa
from alembic import context

from wfengine.db import models

config = context.config
target_metadata = models.Base.metadata


def run_migrations_online():
    url = config.attributes.get("connection_url") or \
        config.get_main_option("sqlalchemy.url")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection,
                          target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite",
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


def run_migrations_offline():
    context.configure(url=config.attributes.get("connection_url"),
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
