"""A session left idle inside its transaction (its process gone without
the connection being closed) is ended by PostgreSQL after
``[database] idle_in_transaction_timeout``, and its locks with it."""
import time

import pytest
import sqlalchemy as sa

from wfengine.db import session as db_session


def test_an_idle_transaction_s_locks_are_released_by_the_server(
        postgresql_url):
    engine = db_session._create_engine(postgresql_url, 2, 0,
                                       idle_timeout=0.5)
    other = db_session._create_engine(postgresql_url, 1, 0)
    try:
        with engine.connect() as setup:
            setup.exec_driver_sql("CREATE TABLE held (id int PRIMARY KEY)")
            setup.exec_driver_sql("INSERT INTO held VALUES (1)")
            setup.commit()
        gone = engine.connect()
        gone.exec_driver_sql("SELECT id FROM held WHERE id = 1 FOR UPDATE")
        time.sleep(1.5)  # the holder says nothing more, as if vanished
        with other.connect() as conn:
            locked = conn.exec_driver_sql(
                "SELECT id FROM held WHERE id = 1 FOR UPDATE NOWAIT").all()
        assert locked == [(1,)]
        with pytest.raises(sa.exc.DBAPIError) as err:
            gone.exec_driver_sql("SELECT 1")
        assert db_session.is_connection_error(err.value)
        gone.invalidate()
    finally:
        engine.dispose()
        other.dispose()


def test_no_timeout_leaves_the_session_alone(postgresql_url):
    engine = db_session._create_engine(postgresql_url, 1, 0)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
            time.sleep(0.6)
            assert conn.exec_driver_sql("SELECT 2").scalar() == 2
    finally:
        engine.dispose()
