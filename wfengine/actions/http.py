"""std.http and std.mistral_http: HTTP requests with Mistral's inputs and
result, behind the address guard of ``wfengine.netguard``.

Every hop (the request and, when ``allow_redirects`` is true, each
redirect, followed here rather than by requests) is checked against
``[action_std_http]`` and sent to the address that was checked. Inputs
are never logged: they carry credentials.
"""
import dataclasses
import json
import logging
import urllib.parse

import requests
from urllib3 import exceptions as urllib3_exceptions

from wfengine import conf
from wfengine import exceptions
from wfengine import netguard
from wfengine.actions import base
from wfengine.actions import http_adapter

LOG = logging.getLogger(__name__)

REDIRECT_STATUSES = (301, 302, 303, 307, 308)
# Mistral counts 200-306 as success: 307 and 308 fail unless followed.
SUCCESS_STATUSES = range(200, 307)
_BODY_HEADERS = ("content-type", "content-length", "transfer-encoding")
_ORIGIN_HEADERS = ("authorization", "cookie")
_CHUNK = 64 * 1024


@dataclasses.dataclass(frozen=True)
class _Settings:
    """``[action_std_http]`` as read when the action runs."""

    denied: tuple
    allowed_hosts: tuple
    timeout: float
    max_size: int
    max_redirects: int

    @classmethod
    def load(cls):
        group = conf.CONF.action_std_http
        return cls(netguard.parse_networks(
                       group.denied_cidrs,
                       "[action_std_http] denied_cidrs"),
                   tuple(group.allowed_hosts or ()), group.default_timeout,
                   group.max_response_size_bytes, group.max_redirects)


@dataclasses.dataclass(frozen=True)
class _Hop:
    """One request of the chain a redirect may continue."""

    method: str
    url: str
    params: object = None
    data: object = None
    json: object = None
    headers: dict = None
    auth: object = None
    cookies: dict = None


class HTTPAction(base.Action):
    """Sends an HTTP request; the result is the response (Mistral's shape).

    The result is a dict: ``content`` (the body parsed as JSON if it is
    JSON, else text), ``status``, ``headers``, ``encoding``, ``url``,
    ``history`` (the redirects followed), ``reason``, ``cookies`` and
    ``elapsed`` (seconds). A status outside 200-306 fails the action with
    that dict as the error.
    """

    def __init__(self, url, method="GET", params=None, body=None, json=None,
                 headers=None, cookies=None, auth=None, timeout=None,
                 allow_redirects=None, proxies=None, verify=None):
        if body is not None and json is not None:
            raise exceptions.InvalidActionArgument(
                field="body", action="std.http", kind="both",
                expected="left out when 'json' is given ('body' or 'json', "
                "not both)")
        if not isinstance(method, str) or not method.strip():
            raise exceptions.InvalidActionArgument(
                field="method", action="std.http",
                expected="an HTTP method such as GET or POST",
                kind=type(method).__name__)
        netguard.split_url(url)
        self.url = url
        self.method = method.strip().upper()
        self.params = params
        self.body = _to_json_text(body) if isinstance(body, dict) else body
        self.json = json
        self.headers = _headers(headers)
        self.cookies = _check_dict("cookies", cookies)
        self.auth = _auth(auth)
        self.timeout = _timeout(timeout)
        self.allow_redirects = bool(allow_redirects)
        self.proxies = _check_dict("proxies", proxies)
        self.verify = verify

    def run(self, context):
        return self._send(context, self.headers)

    def _send(self, context, headers):
        settings = _Settings.load()
        first = _Hop(self.method, self.url, self.params, self.body,
                     self.json, headers, self.auth, self.cookies)
        with http_adapter.new_session() as session:
            result = self._follow(session, first, settings)
        LOG.debug("std.http for action execution %s: status %s",
                  getattr(context, "action_ex_id", None), result["status"])
        if result["status"] not in SUCCESS_STATUSES:
            return base.Result(error=result)
        return result

    def _follow(self, session, hop, settings):
        history = []
        for _ in range(settings.max_redirects + 1):
            response = self._request(session, hop, settings)
            following = _next_hop(hop, response) if self.allow_redirects \
                else None
            if following is None:
                return _result(response, history, settings)
            history.append(_hop_summary(response))
            response.close()
            hop = following
        raise exceptions.ActionError(
            "std.http stopped after %d redirects ([action_std_http] "
            "max_redirects); the last pointed to host %r"
            % (settings.max_redirects, netguard.split_url(hop.url)[1]))

    def _request(self, session, hop, settings):
        _, host, _ = netguard.split_url(hop.url)
        address = netguard.check_url(hop.url, settings.denied,
                                     settings.allowed_hosts)
        for proxy in (self.proxies or {}).values():
            netguard.check_url(proxy, settings.denied, settings.allowed_hosts)
        http_adapter.mount(session, host, address)
        try:
            return session.request(
                hop.method, hop.url, params=hop.params, data=hop.data,
                json=hop.json, headers=hop.headers, cookies=hop.cookies,
                auth=hop.auth, timeout=self.timeout or settings.timeout,
                allow_redirects=False, proxies=self.proxies, stream=True,
                **({} if self.verify is None else {"verify": self.verify}))
        except requests.RequestException as e:
            raise exceptions.ActionError(
                "std.http request to host %r (%s) failed: %s"
                % (host, address, _reason(e))) from e


class MistralHTTPAction(HTTPAction):
    """std.http, asynchronous: the called service completes the action.

    The request carries the ids of the execution and the URL to send the
    result to (``Mistral-Callback-URL``); the action stays running until
    that result arrives through the API. A failed request fails it now.
    """

    @classmethod
    def is_sync(cls):
        return False

    def run(self, context):
        headers = dict(self.headers or {})
        headers.update({name: str(value) for name, value in (
            ("Mistral-Workflow-Name", context.wf_name),
            ("Mistral-Workflow-Execution-Id", context.wf_ex_id),
            ("Mistral-Task-Id", context.task_ex_id),
            ("Mistral-Action-Execution-Id", context.action_ex_id),
            ("Mistral-Callback-URL", getattr(context, "callback_url", None)),
        ) if value is not None})
        outcome = self._send(context, headers)
        return outcome if isinstance(outcome, base.Result) else None


def _next_hop(hop, response):
    """The request a redirect asks for, or None if it is not one."""
    location = response.headers.get("Location")
    status = response.status_code
    if status not in REDIRECT_STATUSES or not location:
        return None
    url = urllib.parse.urljoin(response.url, location)
    method = hop.method
    if (status in (302, 303) and method != "HEAD") or \
            (status == 301 and method == "POST"):
        method = "GET"
    headers = dict(hop.headers or {})
    changes = {"method": method, "url": url, "params": None}
    if status not in (307, 308):
        changes.update(data=None, json=None)
        headers = _without(headers, _BODY_HEADERS)
    if not _same_origin(hop.url, url):
        changes.update(auth=None, cookies=None)
        headers = _without(headers, _ORIGIN_HEADERS)
    return dataclasses.replace(hop, headers=headers, **changes)


def _same_origin(old, new):
    old_scheme, old_host, old_port = netguard.split_url(old)
    new_scheme, new_host, new_port = netguard.split_url(new)
    if (old_scheme, old_host, old_port) == (new_scheme, new_host, new_port):
        return True
    # An upgrade from http to https on the default ports keeps credentials.
    return (old_host == new_host and (old_scheme, old_port) == ("http", 80)
            and (new_scheme, new_port) == ("https", 443))


def _without(headers, names):
    return {k: v for k, v in headers.items() if k.lower() not in names}


def _hop_summary(response):
    return {"url": response.url, "status": response.status_code,
            "reason": response.reason}


def _result(response, history, settings):
    try:
        data = _read_body(response, settings.max_size)
    finally:
        response.close()
    return {
        "content": _content(data, response.encoding),
        "status": response.status_code,
        "headers": dict(response.headers.items()),
        "encoding": response.encoding,
        "url": response.url,
        "history": history,
        "reason": response.reason,
        "cookies": dict(response.cookies.items()),
        "elapsed": response.elapsed.total_seconds(),
    }


def _read_body(response, limit):
    """The body, at most ``limit`` bytes after decompression."""
    host = urllib.parse.urlsplit(response.url).hostname
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(host, limit, "declares %s bytes" % declared)
    chunks, total = [], 0
    try:
        for chunk in response.iter_content(_CHUNK):
            total += len(chunk)
            if total > limit:
                raise _too_large(host, limit, "is longer")
            chunks.append(chunk)
    except requests.RequestException as e:
        raise exceptions.ActionError(
            "std.http could not read the response of host %r: %s"
            % (host, _reason(e))) from e
    return b"".join(chunks)


def _too_large(host, limit, how):
    return exceptions.ActionError(
        "std.http response of host %r %s; [action_std_http] "
        "max_response_size_bytes allows %d" % (host, how, limit))


def _content(data, encoding):
    """The body as JSON if it parses, else as text."""
    text = _decode(data, encoding)
    try:
        # Without a declared charset, json detects UTF-8/16/32 itself.
        return json.loads(text if encoding else data,
                          parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return text


def _decode(data, encoding):
    try:
        return data.decode(encoding or "utf-8", errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def _reject_constant(name):
    raise ValueError("%s is not JSON" % name)


def _reason(error):
    """Why a request failed, without its URL (the query may be secret)."""
    inner = error.args[0] if error.args else None
    if isinstance(inner, urllib3_exceptions.MaxRetryError):
        inner = inner.reason
    if isinstance(inner, urllib3_exceptions.HTTPError):
        return "%s (%s)" % (type(error).__name__, inner)
    return type(error).__name__


def _to_json_text(value):
    return json.dumps(value)


def _headers(headers):
    headers = _check_dict("headers", headers)
    if headers is None:
        return None
    # Mistral accepts numbers as header values.
    return {str(k): str(v) if isinstance(v, (int, float)) else v
            for k, v in headers.items()}


def _check_dict(name, value):
    if value is not None and not isinstance(value, dict):
        raise exceptions.InvalidActionArgument(
            field=name, action="std.http", expected="an object (dict)",
            kind=type(value).__name__)
    return value


def _auth(auth):
    """``"user:password"`` or ``[user, password]`` as a (user, password)."""
    if auth is None or auth == "":
        return None
    if isinstance(auth, str) and ":" in auth:
        user, password = auth.split(":", 1)
        return user, password
    if isinstance(auth, (list, tuple)) and len(auth) == 2:
        return str(auth[0]), str(auth[1])
    # The value is a credential: name its type only.
    raise exceptions.InvalidActionArgument(
        field="auth", action="std.http",
        expected="\"user:password\" or [user, password]",
        kind="a %s of another form" % type(auth).__name__)


def _timeout(timeout):
    """None, seconds, or [connect seconds, read seconds]."""
    if timeout is None:
        return None
    values = timeout if isinstance(timeout, (list, tuple)) else [timeout]
    if len(values) not in (1, 2) or not all(_positive(v) for v in values):
        raise exceptions.InvalidActionArgument(
            field="timeout", action="std.http",
            expected="a positive number of seconds or [connect, read] "
                     "seconds", kind=type(timeout).__name__)
    return float(values[0]) if len(values) == 1 \
        else (float(values[0]), float(values[1]))


def _positive(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and value > 0
