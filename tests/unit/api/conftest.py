"""Fixtures of the API tests: a temporary SQLite database and the app with
a fake engine client and a stand-in parser."""
import pytest
import webtest

from tests.unit.api import base
from wfengine.api import app as api_app
from wfengine.api.controllers.v2 import workflows
from wfengine.db import models
from wfengine.db import session


@pytest.fixture
def db(tmp_path):
    engine = session.configure("sqlite:///%s" % (tmp_path / "api.db"))
    models.Base.metadata.create_all(engine)
    yield engine
    session.dispose()


@pytest.fixture
def engine_client():
    return base.FakeEngine()


@pytest.fixture
def app(db, engine_client, monkeypatch):
    monkeypatch.setattr(workflows, "_parse_workflows",
                        base.fake_parse_workflows)
    return webtest.TestApp(api_app.setup_app(engine_client=engine_client))
