"""ETags and ``If-None-Match`` on every GET."""
from tests.unit.api import base


def test_get_has_etag_and_304_when_unchanged(app):
    base.create_workflow(app)
    first = app.get("/v2/workflows")
    tag = first.headers["ETag"]
    assert tag.startswith('"') and tag.endswith('"')
    again = app.get("/v2/workflows", headers={"If-None-Match": tag},
                    status=304)
    assert again.body == b""
    assert again.headers["ETag"] == tag
    app.get("/v2/workflows", headers={"If-None-Match": "*"}, status=304)


def test_change_gives_new_tag(app):
    base.create_workflow(app)
    tag = app.get("/v2/workflows/wf1").headers["ETag"]
    app.put("/v2/workflows?scope=public", base.WF_TEXT)
    resp = app.get("/v2/workflows/wf1", headers={"If-None-Match": tag})
    assert resp.status_int == 200
    assert resp.headers["ETag"] != tag


def test_errors_and_writes_carry_no_etag(app):
    resp = app.get("/v2/workflows/nope", status=404)
    assert "ETag" not in resp.headers
    resp = app.post("/v2/workflows", base.WF_TEXT, status=201)
    assert "ETag" not in resp.headers


def test_every_collection_has_one(app):
    for path in ("/", "/v2", "/v2/executions", "/v2/tasks", "/v2/actions",
                 "/v2/environments", "/v2/workbooks", "/v2/cron_triggers",
                 "/v2/action_executions"):
        assert app.get(path).headers["ETag"], path
