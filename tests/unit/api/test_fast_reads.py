"""``api.fast_reads``: the plain GET of one execution, task or action
execution, answered in front of Pecan, is the answer Pecan gives: same
status, headers and body, for rows of every shape, for a missing row and
for a read the policy refuses; every other request still reaches Pecan.

A query string sends a GET through Pecan (the controllers ignore its
parameters), which is how each case below gets Pecan's own answer."""
import urllib.parse

import pytest
from pecan import core as pecan_core

from tests.unit.api import test_direct_get as rows
from wfengine.api import policy
from wfengine import conf



@pytest.fixture
def pecan_calls(monkeypatch):
    """How many requests reached the Pecan application."""
    calls = []
    real = pecan_core.PecanBase.__call__

    def counted(self, environ, start_response):
        calls.append(environ["PATH_INFO"])
        return real(self, environ, start_response)
    monkeypatch.setattr(pecan_core.PecanBase, "__call__", counted)
    return calls


def _headers(resp):
    """Every header but the server's timing (different on each request)."""
    return sorted((k, v) for k, v in resp.headerlist
                  if k != "Server-Timing")


def _same(fast, slow):
    assert fast.status == slow.status
    assert fast.body == slow.body
    assert _headers(fast) == _headers(slow)


@pytest.mark.parametrize("url", rows.URLS + [
    "/v2/action-executions/action-full"])
def test_a_fast_read_is_pecan_s_answer(app, pecan_calls, url):
    rows._add_executions()
    rows._add_tasks_and_actions()
    fast = app.get(url)
    assert pecan_calls == []
    _same(fast, app.get(url + "?through=pecan"))
    assert pecan_calls == [url]


@pytest.mark.parametrize("collection", [
    "executions", "tasks", "action_executions"])
@pytest.mark.parametrize("row_id", ["no-such-id", "n\u00e9-\u2603"])
def test_a_missing_row_is_pecan_s_404(app, pecan_calls, collection,
                                      row_id):
    url = "/v2/%s/%s" % (collection, urllib.parse.quote(row_id))
    fast = app.get(url, status=404)
    assert pecan_calls == []
    _same(fast, app.get(url + "?through=pecan", status=404))
    assert row_id in fast.json["faultstring"]


def test_a_read_the_policy_refuses_is_pecan_s_403(app, pecan_calls,
                                                  tmp_path):
    rows._add_executions()
    rules = tmp_path / "policy.yaml"
    rules.write_text('"executions:get": "!"\n')
    conf.CONF.set_override("policy_file", str(rules), group="oslo_policy")
    policy.reset()
    try:
        url = "/v2/executions/ex-full"
        fast = app.get(url, status=403)
        assert pecan_calls == []
        _same(fast, app.get(url + "?through=pecan", status=403))
        assert "executions:get" in fast.json["faultstring"]
        app.get("/v2/tasks/task-full", status=404)  # its own rule
    finally:
        conf.CONF.clear_override("policy_file", group="oslo_policy")
        policy.reset()


@pytest.mark.parametrize("method, url, headers", [
    ("HEAD", "/v2/executions/ex-full", {}),
    ("GET", "/v2/executions/ex-full/", {}),
    ("GET", "/v2/executions/ex-full/tasks", {}),
    ("GET", "/v2/executions/", {}),
    ("GET", "/v2/executions", {}),
    ("GET", "/v2/workflows/wf", {}),
    ("GET", "/v2/executions/ex-full", {"If-None-Match": '"x"'}),
])
def test_other_requests_reach_pecan(app, pecan_calls, method, url,
                                    headers):
    rows._add_executions()
    app.request(url, method=method, headers=headers, expect_errors=True)
    assert pecan_calls == [url]


def test_a_conditional_read_still_gets_its_304(app):
    rows._add_executions()
    tag = app.get("/v2/executions/ex-full").headers["ETag"]
    resp = app.get("/v2/executions/ex-full",
                   headers={"If-None-Match": tag}, status=304)
    assert resp.body == b""
