"""Calls from the console to the REST API, in process.

A console page is built from the answers of the API's own WSGI
application, called with the browser's request headers (its credentials
included) exactly as a client would call it over HTTP, so that whatever
the API checks (input, authentication, projects) it checks for the
console too. Conditional requests (``If-None-Match``) pass through: a
page part that the API says has not changed is not rendered again.
"""
import dataclasses
import json
import urllib.parse

from webob import request as webob_request

# Request headers that describe the console's own request, not the caller.
_NOT_FORWARDED = frozenset({
    "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_ACCEPT",
    "HTTP_ACCEPT_ENCODING", "HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH",
    "HTTP_HX_REQUEST", "HTTP_HX_TARGET", "HTTP_HX_TRIGGER",
    "HTTP_HX_TRIGGER_NAME", "HTTP_HX_CURRENT_URL", "HTTP_HX_BOOSTED",
    "HTTP_ORIGIN", "HTTP_REFERER",
    # The console's own cookies (its sign-in token among them) stay here.
    "HTTP_COOKIE"})
# What a WSGI server or an authentication middleware may have set about
# the caller (besides its headers).
_CALLER_KEYS = ("REMOTE_ADDR", "REMOTE_USER", "SERVER_NAME", "SERVER_PORT",
                "wsgi.url_scheme")


class ApiError(Exception):
    """The API refused a call: its HTTP status and its ``faultstring``."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclasses.dataclass
class Answer:
    """A successful answer: ``data`` is None for a 304 or a 204."""

    status: int
    data: object
    etag: str | None

    @property
    def unchanged(self):
        """True when the API answered 304 Not Modified."""
        return self.status == 304


class Api:
    """The REST API as seen by one browser request."""

    def __init__(self, app, environ):
        self._app = app
        self._caller = {key: value for key, value in environ.items()
                        if (key.startswith("HTTP_")
                            and key not in _NOT_FORWARDED)
                        or key in _CALLER_KEYS}

    def get(self, path, params=None, etag=None):
        """``GET /v2<path>``; an :class:`Answer` (304 when ``etag`` still
        matches). :raises ApiError: any 4xx or 5xx answer."""
        headers = {"If-None-Match": '"%s"' % etag} if etag else {}
        return self._call("GET", path, params, headers=headers)

    def put(self, path, body, params=None):
        """``PUT /v2<path>`` with a JSON body; the answer's data."""
        return self._call("PUT", path, params, body=body).data

    def post(self, path, body=None, params=None, text=None):
        """``POST /v2<path>`` with a JSON body (or ``text`` as
        text/plain); the answer's data."""
        return self._call("POST", path, params, body=body, text=text).data

    def _call(self, method, path, params, body=None, text=None,
              headers=None):
        url = "/v2" + path
        if params:
            url += "?" + urllib.parse.urlencode(
                [(k, v) for k, v in params.items() if v not in (None, "")],
                safe=",:")
        request = webob_request.Request.blank(url, method=method)
        request.environ.update(self._caller)
        request.headers.update(headers or {})
        request.accept = "application/json"
        if text is not None:
            request.content_type = "text/plain"
            request.body = text.encode("utf-8")
        elif body is not None:
            request.content_type = "application/json"
            request.body = json.dumps(body).encode("utf-8")
        response = request.get_response(self._app)
        return _answer(response)


def _answer(response):
    status = response.status_int
    etag = response.etag
    if status == 304:
        return Answer(status, None, etag)
    data = None
    if response.body:
        try:
            data = json.loads(response.body)
        except ValueError:
            data = response.text
    if status >= 400:
        message = data.get("faultstring") if isinstance(data, dict) else None
        raise ApiError(status, message or "%s %s" % (
            status, response.status.split(" ", 1)[-1]))
    return Answer(status, data, etag)
