"""std.http against a local server: result shape, errors, guard, redirects."""
import base64

import pytest

from wfengine import exceptions
from wfengine import netguard
from wfengine.actions import base
from wfengine.actions import http

CONTEXT = base.ActionContext(action_ex_id="a1", task_ex_id="t1",
                             task_name="task", wf_ex_id="w1", wf_name="wf")
RESULT_KEYS = {"content", "status", "headers", "encoding", "url", "history",
               "reason", "cookies", "elapsed"}
pytestmark = pytest.mark.timeout(30)


def run(**inputs):
    inputs.setdefault("timeout", 5)
    return http.HTTPAction(**inputs).run(CONTEXT)


def test_default_config_refuses_loopback_before_connecting(http_server):
    with pytest.raises(netguard.URLRefused, match="127.0.0.0/8"):
        run(url=http_server.base + "/echo")
    assert http_server.seen == []


def test_json_response_shape(http_server, loopback_allowed):
    result = run(url=http_server.base + "/echo?x=1", params={"y": "2"})
    assert set(result) == RESULT_KEYS
    assert result["status"] == 200
    assert result["content"]["method"] == "GET"
    assert result["content"]["query"] == {"x": "1", "y": "2"}
    assert result["headers"]["Content-Type"] == "application/json"
    assert result["encoding"] == "utf-8"
    assert result["url"] == http_server.base + "/echo?x=1&y=2"
    assert result["history"] == []
    assert result["reason"] == "OK"
    base.ensure_json(result, "std.http")


def test_text_response(http_server, loopback_allowed):
    result = run(url=http_server.base + "/text")
    assert result["content"] == "hello, wörld"
    assert result["cookies"] == {"k": "v"}


def test_allowed_hosts_with_loopback_allowed(http_server, http_conf):
    http_conf(denied_cidrs=[], allowed_hosts=["127.0.0.1"])
    assert run(url=http_server.base + "/echo")["status"] == 200
    http_conf(allowed_hosts=["api.example"])
    with pytest.raises(netguard.URLRefused, match="allowed_hosts"):
        run(url=http_server.base + "/echo")


def test_404_fails_with_status_and_content(http_server, loopback_allowed):
    outcome = run(url=http_server.base + "/missing")
    assert isinstance(outcome, base.Result)
    assert outcome.error["status"] == 404
    assert outcome.error["content"] == {"error": "no such page"}
    assert outcome.data is None


@pytest.mark.parametrize("code, fails", [(201, False), (306, False),
                                         (307, True), (500, True)])
def test_success_is_200_to_306_like_mistral(code, fails, http_server,
                                            loopback_allowed):
    outcome = run(url=http_server.base + "/status?code=%d" % code)
    assert isinstance(outcome, base.Result) is fails


def test_post_json_headers_auth(http_server, loopback_allowed):
    result = run(url=http_server.base + "/echo", method="post",
                 json={"a": 1}, headers={"X-Num": 5}, auth="user:pa:ss")
    seen = result["content"]
    assert seen["method"] == "POST"
    assert seen["body"] == '{"a": 1}'
    assert seen["headers"]["X-Num"] == "5"
    expected = base64.b64encode(b"user:pa:ss").decode("ascii")
    assert seen["headers"]["Authorization"] == "Basic " + expected


def test_dict_body_is_sent_as_json_text(http_server, loopback_allowed):
    result = run(url=http_server.base + "/echo", method="PUT",
                 body={"b": [1, 2]})
    assert result["content"]["body"] == '{"b": [1, 2]}'


def test_redirect_not_followed_by_default(http_server, loopback_allowed):
    result = run(url=http_server.base + "/redirect?to=/echo")
    assert result["status"] == 302
    assert len(http_server.seen) == 1


def test_redirect_followed_when_allowed(http_server, loopback_allowed):
    result = run(url=http_server.base + "/redirect?to=/echo",
                 method="POST", json={"a": 1}, allow_redirects=True)
    assert result["status"] == 200
    assert result["content"]["method"] == "GET"
    assert result["content"]["body"] == ""
    assert result["url"] == http_server.base + "/echo"
    assert [h["status"] for h in result["history"]] == [302]


def test_307_keeps_method_and_body(http_server, loopback_allowed):
    result = run(url=http_server.base + "/redirect?status=307&to=/echo",
                 method="POST", json={"a": 1}, allow_redirects=True)
    assert result["content"]["method"] == "POST"
    assert result["content"]["body"] == '{"a": 1}'


@pytest.mark.parametrize("target, match", [
    ("http://10.0.0.1/", "10.0.0.0/8"),
    ("http://[::ffff:169.254.169.254]/", "169.254.0.0/16"),
    ("http://0x0a000001/", "10.0.0.0/8"),
    ("http://meta.example/", "169.254.0.0/16"),
    ("file:///etc/passwd", "scheme 'file'"),
])
def test_redirect_to_denied_host_is_refused(target, match, http_server,
                                            loopback_allowed, fake_dns):
    fake_dns({"meta.example": ["169.254.169.254"]})
    with pytest.raises(netguard.URLRefused, match=match):
        run(url=http_server.base + "/redirect?to=" + target,
            allow_redirects=True)
    assert len(http_server.seen) == 1


def test_redirect_outside_allowed_hosts_is_refused(http_server, http_conf):
    http_conf(denied_cidrs=[], allowed_hosts=["127.0.0.1"])
    with pytest.raises(netguard.URLRefused, match="allowed_hosts"):
        run(url=http_server.base + "/redirect?to=http://127.0.0.2/",
            allow_redirects=True)


def test_too_many_redirects(http_server, loopback_allowed, http_conf):
    http_conf(max_redirects=2)
    loop = "/redirect?to=/redirect%3Fto%3D/redirect%253Fto%253D/echo"
    with pytest.raises(exceptions.ActionError, match="after 2 redirects"):
        run(url=http_server.base + loop, allow_redirects=True)


def test_connects_to_the_checked_address(http_server, http_conf, fake_dns):
    # The name does not exist in DNS: the request can only reach the
    # server if it goes to the address the guard checked.
    http_conf(denied_cidrs=[])
    fake_dns({"pinned.example": ["127.0.0.1"]})
    port = http_server.server_address[1]
    result = run(url="http://pinned.example:%d/echo" % port)
    assert result["content"]["headers"]["Host"] == "pinned.example:%d" % port


def test_cross_origin_redirect_drops_credentials(http_server, http_conf,
                                                 fake_dns):
    http_conf(denied_cidrs=[])
    fake_dns({"other.example": ["127.0.0.1"]})
    port = http_server.server_address[1]
    result = run(url=http_server.base + "/redirect?to=http://other.example:"
                 "%d/echo" % port, auth="u:p", cookies={"c": "1"},
                 headers={"Authorization": "Bearer x", "X-Keep": "1"},
                 allow_redirects=True)
    headers = result["content"]["headers"]
    assert "Authorization" not in headers
    assert "Cookie" not in headers
    assert headers["X-Keep"] == "1"
    first = http_server.seen[0]["headers"]
    assert first["Cookie"] == "c=1"


def test_response_size_is_bounded(http_server, loopback_allowed, http_conf):
    http_conf(max_response_size_bytes=5)
    with pytest.raises(exceptions.ActionError,
                       match="max_response_size_bytes allows 5"):
        run(url=http_server.base + "/text")


def test_connection_error_names_host_not_query(loopback_allowed,
                                               unused_port):
    with pytest.raises(exceptions.ActionError) as e:
        run(url="http://127.0.0.1:%d/x?token=s3cr3t" % unused_port)
    assert "'127.0.0.1'" in str(e.value)
    assert "s3cr3t" not in str(e.value)


def test_proxy_is_checked_too(http_conf, fake_dns):
    fake_dns({"api.example": ["93.184.216.34"]})
    with pytest.raises(netguard.URLRefused, match="127.0.0.0/8"):
        run(url="http://api.example/", proxies={"http": "http://127.1:3128"})


@pytest.mark.parametrize("inputs, match", [
    ({"body": "x", "json": {}}, "'body' or 'json'"),
    ({"headers": "x"}, "'headers'"),
    ({"timeout": -1}, "'timeout'"),
    ({"timeout": [1, 2, 3]}, "'timeout'"),
    ({"url": "ftp://x/"}, "scheme 'ftp'"),
    ({"method": ""}, "'method'"),
])
def test_bad_inputs_fail_before_running(inputs, match):
    inputs.setdefault("url", "http://api.example/")
    with pytest.raises(exceptions.WFEngineException, match=match):
        http.HTTPAction(**inputs)


def test_bad_auth_does_not_show_the_value():
    with pytest.raises(exceptions.ActionError) as e:
        http.HTTPAction(url="http://api.example/", auth="nocolonsecret")
    assert "nocolonsecret" not in str(e.value)


def test_mistral_http_sends_ids_and_returns_nothing(http_server,
                                                    loopback_allowed):
    context = base.ActionContext(
        action_ex_id="a1", task_ex_id="t1", task_name="task",
        wf_ex_id="w1", wf_name="wf",
        callback_url="http://wfengine/v2/action_executions/a1")
    action = http.MistralHTTPAction(url=http_server.base + "/echo",
                                    headers={"X-Own": "1"}, timeout=5)
    assert http.MistralHTTPAction.is_sync() is False
    assert action.run(context) is None
    headers = http_server.seen[0]["headers"]
    assert headers["Mistral-Workflow-Name"] == "wf"
    assert headers["Mistral-Workflow-Execution-Id"] == "w1"
    assert headers["Mistral-Task-Id"] == "t1"
    assert headers["Mistral-Action-Execution-Id"] == "a1"
    assert headers["Mistral-Callback-URL"] == \
        "http://wfengine/v2/action_executions/a1"
    assert headers["X-Own"] == "1"


def test_mistral_http_without_callback_url(http_server, loopback_allowed):
    action = http.MistralHTTPAction(url=http_server.base + "/echo",
                                    timeout=5)
    assert action.run(CONTEXT) is None
    assert "Mistral-Callback-URL" not in http_server.seen[0]["headers"]


def test_mistral_http_fails_on_error_status(http_server, loopback_allowed):
    action = http.MistralHTTPAction(url=http_server.base + "/status?code=500",
                                    timeout=5)
    outcome = action.run(CONTEXT)
    assert outcome.error["status"] == 500
