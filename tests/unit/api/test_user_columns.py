"""Who made a row: every definition and execution the API creates records
the caller's user (the JWT's user claim here; none in noauth mode), and
the API shows it nowhere (Mistral's wire shape has no user)."""
import pytest
import sqlalchemy as sa
import webtest

from tests.unit.api import base
from tests.unit.api import idp
from tests.unit.api.test_tenancy import WB
from wfengine.api import app as api_app
from wfengine.api.controllers.v2 import workflows
from wfengine import conf
from wfengine.db import models
from wfengine.db import session

# Every kind of row the API writes for a caller.
MODELS = (models.WorkflowDefinition, models.Workbook, models.Environment,
          models.Listener, models.CronTrigger, models.WorkflowExecution)


@pytest.fixture
def make_api(db, engine_client, monkeypatch):
    monkeypatch.setattr(workflows, "_parse_workflows",
                        base.fake_parse_workflows)
    return lambda: webtest.TestApp(
        api_app.setup_app(engine_client=engine_client))


def _create_one_of_each(app, headers):
    text = dict(headers, **{"Content-Type": "text/plain"})
    app.post("/v2/workflows", base.WF_TEXT, headers=text, status=201)
    app.post("/v2/workbooks", WB, headers=text, status=201)
    app.post_json("/v2/environments", {"name": "env1", "variables": {}},
                  headers=headers, status=201)
    app.post_json("/v2/listeners", {"url": "http://93.184.216.34/hook"},
                  headers=headers, status=201)
    app.post_json("/v2/cron_triggers", {
        "name": "ct1", "workflow_name": "wf1", "pattern": "*/5 * * * *"},
        headers=headers, status=201)
    return app.post_json("/v2/executions", {
        "workflow_name": "wf1", "input": {"name": "x"}},
        headers=headers, status=201).json


def _users(sess):
    return {model.__tablename__: {r.user_id for r in sess.execute(
        sa.select(model)).scalars()}
        for model in MODELS}


def test_jwt_mode_records_the_tokens_user_on_every_row(make_api,
                                                       engine_client):
    with idp.serving(conf.CONF) as issuer:
        app = make_api()
        headers = {"Authorization": "Bearer %s" % issuer.token(
            project="proj-a", sub="alice@example.org")}
        execution = _create_one_of_each(app, headers)
        got = app.get("/v2/executions/%s" % execution["id"],
                      headers=headers).json
    rows = session.reader(_users)
    assert engine_client.users == ["alice@example.org"]
    # The fake engine writes no user; the real one's test is in tests/db.
    rows.pop("workflow_executions")
    assert rows == {name: {"alice@example.org"} for name in rows}
    for body in (execution, got):
        assert not {"user_id", "user", "trust_id"} & set(body)


def test_noauth_records_no_user(make_api, engine_client):
    _create_one_of_each(make_api(), {})
    assert engine_client.users == [None]
    rows = session.reader(_users)
    rows.pop("workflow_executions")
    assert rows == {name: {None} for name in rows}
