"""List queries keep one statement per shape and bind the values: pages,
filters and markers must give the same rows as ever, whatever values and
NULLs come through the same statement (SQLite and PostgreSQL)."""
import datetime

import pytest

from wfengine.db import listing
from wfengine.db import migration
from wfengine.db import models
from wfengine.db import session as db_session

T0 = datetime.datetime(2026, 1, 1)
# id, state, state_info (nullable: sorts NULL lowest), seconds after T0
ROWS = [("a", "SUCCESS", None, 1), ("b", "ERROR", "boom 50%", 2),
        ("c", "ERROR", None, 3), ("d", "RUNNING", "x_y", 4),
        ("e", "SUCCESS", "ok", 5), ("f", "ERROR", "boom", 6)]


@pytest.fixture
def db(db_url):
    migration.upgrade(db_url, "heads")
    db_session.configure(db_url)
    db_session.unit_of_work(_add)
    yield
    db_session.dispose()


def _add(session):
    for row_id, state, info, seconds in ROWS:
        session.add(models.WorkflowExecution(
            id=row_id, name="wf", state=state, state_info=info, spec={},
            created_at=T0 + datetime.timedelta(seconds=seconds)))


def _ids(**kwargs):
    return db_session.reader(lambda s: [r.id for r in listing.list_rows(
        s, models.WorkflowExecution, **kwargs)])


def _pages(size, **kwargs):
    seen, marker = [], None
    while True:
        page = _ids(limit=size, marker=marker, **kwargs)
        seen += page
        if len(page) < size:
            return seen
        marker = page[-1]


def test_one_shape_with_other_values_gives_their_rows(db):
    assert _ids(filters={"state": "ERROR"}) == ["b", "c", "f"]
    assert _ids(filters={"state": "SUCCESS"}) == ["a", "e"]
    assert _ids(filters={"state": ("in", ["RUNNING", "SUCCESS"])},
                limit=2) == ["a", "d"]
    assert _ids(filters={"state": ("nin", ["ERROR"])}, limit=3) == [
        "a", "d", "e"]
    later = T0 + datetime.timedelta(seconds=4)
    assert _ids(filters={"created_at": ("gte", later)}) == ["d", "e", "f"]
    assert _ids(filters={"created_at": ("lt", later)}) == ["a", "b", "c"]


def test_null_and_not_null_filters(db):
    assert _ids(filters={"state_info": None}) == ["a", "c"]
    assert _ids(filters={"state_info": ("neq", None)}) == [
        "b", "d", "e", "f"]
    assert _ids(filters={"state_info": ("null", True)}) == ["a", "c"]
    assert _ids(filters={"state_info": "boom"}) == ["f"]


def test_has_matches_text_with_like_characters_literally(db):
    assert _ids(filters={"state_info": ("has", "50%")}) == ["b"]
    assert _ids(filters={"state_info": ("has", "_")}) == ["d"]
    assert _ids(filters={"state_info": ("has", "boom")}) == ["b", "f"]


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("size", [1, 2, 4])
def test_pages_over_a_sort_key_with_nulls_show_each_row_once(
        db, direction, size):
    everything = _ids(sort_keys=["state_info"], sort_dirs=[direction])
    assert sorted(everything) == sorted(r[0] for r in ROWS)
    assert _pages(size, sort_keys=["state_info"],
                  sort_dirs=[direction]) == everything


def test_pages_in_creation_order_newest_first(db):
    assert _pages(4, sort_keys=["created_at"], sort_dirs=["desc"]) == [
        "f", "e", "d", "c", "b", "a"]
