"""The console calls the API as the browser would: same credentials."""
import json

import pytest

from wfengine.console import apiclient


class Recorder:
    """A WSGI app that answers ``status`` and remembers the environ."""

    def __init__(self, status="200 OK", body=None, etag=None):
        self.status, self.body, self.etag = status, body, etag
        self.environ = None

    def __call__(self, environ, start_response):
        self.environ = environ
        headers = [("Content-Type", "application/json")]
        if self.etag:
            headers.append(("ETag", '"%s"' % self.etag))
        start_response(self.status, headers)
        return [json.dumps(self.body).encode()] if self.body is not None \
            else []


BROWSER = {"HTTP_AUTHORIZATION": "Bearer abc", "HTTP_X_AUTH_TOKEN": "tok",
           "HTTP_COOKIE": "s=1", "HTTP_IF_NONE_MATCH": '"console-tag"',
           "HTTP_HX_REQUEST": "true", "REMOTE_ADDR": "10.0.0.7",
           "wsgi.url_scheme": "https", "PATH_INFO": "/console/x"}


def test_the_browser_s_credentials_go_with_every_call():
    app = Recorder(body={"executions": []}, etag="t1")
    answer = apiclient.Api(app, BROWSER).get("/executions", {"limit": 5})
    seen = app.environ
    assert seen["HTTP_AUTHORIZATION"] == "Bearer abc"
    assert seen["HTTP_X_AUTH_TOKEN"] == "tok"
    assert "HTTP_COOKIE" not in seen  # the console's cookies stay here
    assert seen["REMOTE_ADDR"] == "10.0.0.7"
    assert seen["PATH_INFO"] == "/v2/executions"
    assert seen["QUERY_STRING"] == "limit=5"
    assert "HTTP_IF_NONE_MATCH" not in seen  # the console's own tag
    assert "HTTP_HX_REQUEST" not in seen
    assert answer.data == {"executions": []} and answer.etag == "t1"


def test_conditional_reads_and_refusals():
    app = Recorder(status="304 Not Modified", etag="t1")
    answer = apiclient.Api(app, {}).get("/executions/x", etag="t1")
    assert app.environ["HTTP_IF_NONE_MATCH"] == '"t1"'
    assert answer.unchanged and answer.data is None
    refusing = Recorder(status="400 Bad Request", body={
        "faultstring": "nothing to resume", "debuginfo": None})
    with pytest.raises(apiclient.ApiError) as err:
        apiclient.Api(refusing, {}).put("/executions/x", {"state": "RUNNING"})
    assert err.value.status == 400
    assert err.value.message == "nothing to resume"
    assert refusing.environ["CONTENT_TYPE"] == "application/json"
