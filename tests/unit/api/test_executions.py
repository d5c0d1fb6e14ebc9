"""``/v2/executions``: start through the engine, read, list and page."""
import datetime
import json
import re
import urllib.parse

import pytest

from tests.unit.api import base
from wfengine.conf import CONF
from wfengine.db import models

DATETIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
EXECUTION_FIELDS = {
    "id", "workflow_id", "workflow_name", "workflow_namespace",
    "description", "tags", "params", "task_execution_id",
    "root_execution_id", "state", "state_info",
    "input", "output", "created_at", "updated_at", "project_id"}


@pytest.fixture
def wf(app):
    return base.create_workflow(app)[0]


def test_create_returns_201_and_mistral_shape(app, wf, engine_client):
    ex = base.start(app, input='{"name": "bob"}', params='{"env": {"a": 1}}',
                    description="first")
    assert set(ex) == EXECUTION_FIELDS
    assert ex["workflow_name"] == "wf1"
    assert ex["workflow_id"] == wf["id"]
    assert ex["state"] == "RUNNING"
    assert ex["description"] == "first"
    assert json.loads(ex["input"]) == {"name": "bob"}
    assert json.loads(ex["params"])["env"] == {"a": 1}
    assert ex["output"] == "{}"
    assert ex["task_execution_id"] is None
    assert DATETIME.match(ex["created_at"])
    assert engine_client.calls == [
        ("wf1", "", {"name": "bob"}, "first", {"env": {"a": 1}})]


def test_create_accepts_objects_and_workflow_id(app, wf, engine_client):
    base.start(app, workflow_name=None, workflow_id=wf["id"],
               input={"name": "x"}, params={"k": 1})
    assert engine_client.calls[0][0] == wf["id"]
    assert engine_client.calls[0][2:] == ({"name": "x"}, "", {"k": 1})


def test_create_names_each_start_so_it_can_be_sent_again(app, wf,
                                                        engine_client):
    first = base.start(app, input={"name": "x"})
    second = base.start(app, input={"name": "y"})
    (id1, resend1), (id2, resend2) = engine_client.start_options
    assert (first["id"], second["id"]) == (id1, id2) and id1 != id2
    assert resend1 == resend2 == CONF.api.start_resend_after


def test_create_with_an_id_gives_the_execution_that_id(app, wf,
                                                       engine_client):
    ex = base.start(app, id="nightly-2026-12-03", input={"name": "x"})
    assert ex["id"] == "nightly-2026-12-03"
    assert app.get("/v2/executions/nightly-2026-12-03").json["id"] == ex["id"]


def test_a_list_shows_json_fields_as_a_single_read_does(app, wf):
    # Lists pass the stored JSON text through; reads decode and encode.
    ex = base.start(app, input={"name": "Zoë ☃", "n": [1.5, None, {}]},
                    params={"task_name": "ü"}, description="é")
    listed = app.get("/v2/executions", {"fields": "input,params,output"}
                     ).json["executions"]
    one = app.get("/v2/executions/%s" % ex["id"]).json
    assert [{k: e[k] for k in ("id", "input", "params", "output")}
            for e in listed] == [{k: one[k] for k in (
                "id", "input", "params", "output")}]
    assert json.loads(listed[0]["input"]) == {"name": "Zoë ☃",
                                              "n": [1.5, None, {}]}


def test_a_list_masks_env_values_a_single_read_shows(app, wf):
    # Lists never carry secrets: env values are masked, keys stay.
    ex = base.start(app, input={"name": "x"},
                    params={"env": {"k": "ü", "token": "canary-1"}})
    listed = app.get("/v2/executions", {"fields": "params"}
                     ).json["executions"]
    assert json.loads(listed[0]["params"])["env"] == {"k": "***",
                                                      "token": "***"}
    assert "canary-1" not in json.dumps(listed)
    one = app.get("/v2/executions/%s" % ex["id"]).json
    assert json.loads(one["params"])["env"] == {"k": "ü",
                                                "token": "canary-1"}


@pytest.mark.parametrize("bad_id", ["", "a/b", "x" * 37, 7, "white space"])
def test_create_with_an_unusable_id_is_400(app, wf, engine_client, bad_id):
    resp = app.post_json("/v2/executions", {"workflow_name": "wf1",
                                            "input": {"name": "x"},
                                            "id": bad_id}, status=400)
    assert "'id'" in resp.json["faultstring"]
    assert engine_client.calls == []


@pytest.mark.parametrize("body, words", [
    ({"workflow_name": "wf1", "input": "{bad json"}, ["'input'", "not valid JSON"]),
    ({"workflow_name": "wf1", "input": "[1, 2]"}, ["'input'", "object"]),
    ({"workflow_name": "wf1", "params": 5}, ["'params'"]),
    ({"workflow_name": "wf1", "colour": "red"}, ["colour", "allowed"]),
    ({"workflow_name": 7}, ["'workflow_name'", "string"]),
    ({"input": {}}, ["workflow_id", "workflow_name"]),
])
def test_create_bad_body_is_400_naming_field(app, wf, body, words):
    resp = app.post_json("/v2/executions", body, status=400)
    for word in words:
        assert word in resp.json["faultstring"]
    assert "{bad" not in resp.json["faultstring"]  # never the value sent
    assert resp.json["debuginfo"] is None


def test_create_body_not_json_is_400(app):
    resp = app.post("/v2/executions", "{nope",
                    headers={"Content-Type": "application/json"}, status=400)
    assert "not valid JSON" in resp.json["faultstring"]


def test_engine_errors_keep_their_code(app, wf):
    resp = app.post_json("/v2/executions", {"workflow_name": "zzz"},
                         status=404)
    assert "zzz" in resp.json["faultstring"]
    resp = app.post_json("/v2/executions", {"workflow_name": "wf1"},
                         status=400)
    assert "name" in resp.json["faultstring"]


def test_get(app, wf):
    """The start's answer, plus ``published_global`` (as Mistral, only a
    single execution's GET shows it, as JSON text)."""
    ex = base.start(app)
    assert app.get("/v2/executions/%s" % ex["id"]).json == dict(
        ex, published_global="{}")


@pytest.mark.parametrize("ex_id", [
    "4f2f3c43-0b8e-4b8a-bb5e-1b6f3c1e2a11", "not-a-uuid", "%27%3B--"])
def test_get_unknown_is_404(app, ex_id):
    resp = app.get("/v2/executions/%s" % ex_id, status=404)
    assert "not found" in resp.json["faultstring"]


def _insert_executions(count, **values):
    start = datetime.datetime(2024, 1, 1)
    rows = [models.WorkflowExecution(
        id="00000000-0000-0000-0000-%012d" % i, name=values.get("name", "w"),
        state=values.get("state", "SUCCESS"), input={"i": i},
        output={"o": i}, params={},
        created_at=start + datetime.timedelta(seconds=i // 2),
        root_execution_id=values.get("root_execution_id"))
        for i in range(count)]
    base.add_rows(*rows)
    return [r.id for r in rows]


def test_list_default_omits_output(app):
    _insert_executions(2)
    body = app.get("/v2/executions").json
    assert "next" not in body
    ex = body["executions"][0]
    assert set(ex) == EXECUTION_FIELDS - {"output"}
    assert ex["input"] == '{"i": 0}'
    assert ex["created_at"] == "2024-01-01 00:00:00"


def test_list_include_output(app):
    _insert_executions(1)
    ex = app.get("/v2/executions?include_output=true").json["executions"][0]
    assert ex["output"] == '{"o": 0}'


def test_list_fields_always_include_id(app):
    _insert_executions(3)
    body = app.get("/v2/executions?fields=state,output").json
    assert [set(e) for e in body["executions"]] == [
        {"id", "state", "output"}] * 3


def _follow(app, url):
    seen, pages = [], 0
    while url:
        body = app.get(url).json
        seen += [e["id"] for e in body["executions"]]
        url = body.get("next")
        if url:
            parts = urllib.parse.urlsplit(url)
            assert parts.netloc == "localhost"
            url = "%s?%s" % (parts.path, parts.query)
        pages += 1
    return seen, pages


@pytest.mark.parametrize("sort_dirs", ["asc", "desc"])
def test_pagination_follows_next_to_the_end(app, sort_dirs):
    ids = _insert_executions(7)
    seen, pages = _follow(
        app, "/v2/executions?limit=3&sort_keys=created_at&sort_dirs=%s"
        % sort_dirs)
    assert pages == 3
    # Two executions per second; ties are broken by id, ascending.
    expected = ids if sort_dirs == "asc" else sorted(
        ids, key=lambda i: (-(int(i[-12:]) // 2), i))
    assert seen == expected


def test_next_repeats_filters_and_fields(app):
    _insert_executions(4, name="w")
    body = app.get("/v2/executions?limit=2&workflow_name=w"
                   "&fields=state&sort_dirs=desc").json
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(body["next"]).query)
    assert query["workflow_name"] == ["w"]
    assert query["fields"] == ["id,state"]
    assert query["sort_dirs"] == ["desc"]
    assert query["limit"] == ["2"]
    assert query["marker"] == [body["executions"][-1]["id"]]


def test_full_last_page_has_next_then_empty_page(app):
    _insert_executions(2)
    body = app.get("/v2/executions?limit=2").json
    assert "next" in body
    nxt = urllib.parse.urlsplit(body["next"])
    body = app.get("%s?%s" % (nxt.path, nxt.query)).json
    assert body == {"executions": []}


def test_filters(app):
    _insert_executions(3, name="a", state="ERROR")
    ids = _insert_executions(0)
    base.add_rows(models.WorkflowExecution(
        id="x1", name="b", state="RUNNING", root_execution_id="r"))
    get = app.get
    assert len(get("/v2/executions?workflow_name=a").json["executions"]) == 3
    assert [e["id"] for e in get("/v2/executions?state=RUNNING")
            .json["executions"]] == ["x1"]
    assert len(get("/v2/executions?state=in:RUNNING,ERROR")
               .json["executions"]) == 4
    assert len(get("/v2/executions?workflow_name=neq:a")
               .json["executions"]) == 1
    assert len(get("/v2/executions?nulls=root_execution_id")
               .json["executions"]) == 3
    assert len(get("/v2/executions?root_execution_id=r")
               .json["executions"]) == 1
    assert ids == []


@pytest.mark.parametrize("query, words, sent", [
    ("state=BOGUS", ["Invalid state", "RUNNING"], "BOGUS"),
    ("limit=0", ["limit", "positive"], None),
    ("limit=ten", ["Invalid limit", "positive integer"], "ten"),
    ("sort_keys=input", ["sort key", "allowed", "workflow_name"], "input"),
    ("sort_dirs=up", ["sort direction", "asc"], "up"),
    ("sort_keys=state&sort_dirs=asc,desc", ["sort_dirs"], None),
    ("fields=colour", ["Invalid field(s)", "allowed", "state"], "colour"),
    ("colour=red", ["colour", "allowed"], "red"),
    ("marker=nope", ["Invalid marker", "id of a row"], "nope"),
    ("created_at=yesterday", ["created_at", "YYYY-MM-DD"], "yesterday"),
    ("include_output=perhaps", ["include_output", "true or false"],
     "perhaps"),
])
def test_list_bad_query_is_400(app, query, words, sent):
    # The message names the parameter and what it allows, never the
    # value sent (a value may be a secret pasted in the wrong place).
    resp = app.get("/v2/executions?" + query, status=400)
    for word in words:
        assert word in resp.json["faultstring"]
    if sent is not None:
        assert sent not in resp.json["faultstring"]


def test_a_marker_that_names_no_execution_is_404(app):
    # Mistral's answer and start of message; an id, not a secret.
    missing = "00000000-0000-4000-8000-000000000000"
    resp = app.get("/v2/executions?marker=" + missing, status=404)
    assert resp.json["faultstring"] == (
        "Workflow execution not found [id=%s]" % missing)
    assert resp.json["faultcode"] == "Client"


def test_sort_by_several_keys(app):
    ids = _insert_executions(4)
    body = app.get("/v2/executions?sort_keys=created_at,id"
                   "&sort_dirs=desc,desc").json
    assert [e["id"] for e in body["executions"]] == list(reversed(ids))


def test_no_answer_shows_source_execution_id(app, wf, engine_client):
    """Mistral 23.0.0 takes ``source_execution_id`` in a start's body only:
    no answer about an execution shows it (start, GET, PUT, lists)."""
    engine_client.update_execution = lambda wf_ex_id, **change: None
    ex = base.start(app)
    url = "/v2/executions/%s" % ex["id"]
    shown = [ex, app.get(url).json,
             app.put_json(url, {"description": "d"}).json]
    for query in ("", "?include_output=true"):
        shown += app.get("/v2/executions" + query).json["executions"]
        shown += app.get(url + "/executions" + query).json["executions"]
    assert all("source_execution_id" not in e for e in shown)
    app.get("/v2/executions?fields=source_execution_id", status=400)
