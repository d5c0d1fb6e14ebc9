"""API lists show JSON columns as the text the database keeps; a single
read decodes and encodes them. Both must print the same, on SQLite and on
PostgreSQL (whose ``json`` type keeps the text as it was written)."""
import pytest

from wfengine.api import resources
from wfengine.db import listing
from wfengine.db import migration
from wfengine.db import models
from wfengine.db import queries
from wfengine.db import session as db_session

INPUTS = [{"name": "Zoë ☃", "n": [1.5, None, {}], "big": 10 ** 20},
          {}, {"quote": "\"\\\n"}]


@pytest.fixture
def db(db_url):
    migration.upgrade(db_url, "heads")
    db_session.configure(db_url)
    yield
    db_session.dispose()


def _add(session):
    for i, wf_input in enumerate(INPUTS):
        session.add(models.WorkflowExecution(
            id="ex-%d" % i, name="wf", workflow_id="wf-id", spec={},
            state="RUNNING", input=wf_input,
            params=None if i == 1 else {"env": {"k": "ü"}}, context={},
            output={"x": None}))


def _listed(session):
    rows = listing.list_rows(session, models.WorkflowExecution,
                             json_as_text=True)
    return resources.EXECUTION.to_dicts(rows, json_as_text=True)


def _read(session, wf_ex_id):
    return resources.execution_dict(queries.get_workflow_execution(
        session, wf_ex_id, fields=resources.EXECUTION.columns(
            resources.EXECUTION.names())))


def test_a_list_prints_json_columns_as_a_read_does(db):
    db_session.unit_of_work(_add)
    listed = db_session.reader(_listed)
    assert len(listed) == len(INPUTS)
    for shown in listed:
        assert shown == db_session.reader(_read, shown["id"])
    assert {e["id"]: e["params"] for e in listed}["ex-1"] is None
