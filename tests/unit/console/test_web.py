"""The console in front of the API (webtest, SQLite, fake engine)."""
import pytest
import webtest

from tests.unit.api import base
from wfengine.api import app as api_app
from wfengine.api.controllers.v2 import workflows
from wfengine.db import models
from wfengine.db import session

HX = {"HX-Request": "true"}


@pytest.fixture
def app(tmp_path, monkeypatch):
    engine = session.configure("sqlite:///%s" % (tmp_path / "c.db"))
    models.Base.metadata.create_all(engine)
    monkeypatch.setattr(workflows, "_parse_workflows",
                        base.fake_parse_workflows)
    yield webtest.TestApp(api_app.setup_app(
        engine_client=base.FakeEngine(), max_request_body_size=4096))
    session.dispose()


def test_console_and_api_share_the_process(app):
    assert app.get("/console").location.endswith("/console/executions")
    page = app.get("/console/executions")
    assert "Executions" in page.text and page.content_type == "text/html"
    assert app.get("/v2").json["uri"].endswith("/v2")


def test_rows_answer_304_while_nothing_changes(app):
    rows = app.get("/console/executions/rows", headers=HX)
    tag = rows.headers["ETag"]
    again = app.get("/console/executions/rows",
                    headers=dict(HX, **{"If-None-Match": tag}))
    assert again.status_int == 304 and not again.body


def test_static_assets_are_served_with_their_licence(app):
    htmx = app.get("/console/static/htmx-2.0.11.min.js")
    assert "immutable" in htmx.headers["Cache-Control"]
    assert "Zero-Clause BSD" in app.get(
        "/console/static/htmx-LICENSE.txt").text
    css = app.get("/console/static/console.css")
    assert css.headers["Cache-Control"] == "no-cache"
    again = app.get("/console/static/console.css",
                    headers={"If-None-Match": css.headers["ETag"]},
                    status=304)
    assert not again.body
    app.get("/console/static/../app.py", status=404)
    app.get("/console/static/nothing.css", status=404)


def test_actions_need_the_console_s_own_requests(app):
    app.post("/console/executions/x/state", {"state": "PAUSED"},
             status=403)
    app.post("/console/executions/x/state", {"state": "PAUSED"},
             headers=dict(HX, Origin="http://evil.example"), status=403)


def test_api_refusals_are_shown_with_their_message(app):
    page = app.post("/console/executions/nope/state", {"state": "BOOM"},
                    headers=HX, status=400)
    assert "Unknown action" in page.text
    missing = app.get("/console/executions/nope", status=404)
    assert "not found" in missing.text.lower()


def test_unknown_pages_and_big_forms(app):
    app.get("/console/nothing/here", status=404)
    app.post("/console/workflows/validate", {"definition": "x" * 5000},
             headers=HX, status=413)


def test_links_keep_a_proxy_s_path_prefix(app):
    page = app.get("/console/executions",
                   extra_environ={"SCRIPT_NAME": "/workflows"})
    assert 'href="/workflows/console/static/console.css"' in page.text
