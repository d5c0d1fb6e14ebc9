"""Fixtures for database tests: a throw-away SQLite file or PG database."""
import os
import uuid

import pytest
import sqlalchemy as sa

# psycopg2, the driver the documentation and the sample configuration
# name; ``pg_driver_url`` runs a test through psycopg (3) too.
PG_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def _pg_reachable():
    engine = sa.create_engine(PG_ADMIN_URL)
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def require_postgresql():
    """Skip without PostgreSQL, but fail under CI=true (services must run)."""
    if _pg_reachable():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432")
    pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")


@pytest.fixture
def sqlite_url(tmp_path):
    return "sqlite:///%s" % (tmp_path / "test.sqlite")


@pytest.fixture
def postgresql_url():
    require_postgresql()
    name = "wfe_db_%s" % uuid.uuid4().hex[:10]
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE %s" % name)
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql("DROP DATABASE IF EXISTS %s WITH (FORCE)"
                                 % name)
        admin.dispose()


@pytest.fixture(params=["psycopg", "psycopg2"])
def pg_driver_url(request, postgresql_url):
    """A fresh PostgreSQL database, reached through each supported driver."""
    return postgresql_url.replace("+psycopg2:", "+%s:" % request.param, 1)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request):
    return request.getfixturevalue(request.param + "_url")
