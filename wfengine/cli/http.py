"""The one HTTP helper of the CLI: requests in, decoded JSON out.

Every failure (an error answer, an unreachable server, a body that is
not JSON) becomes a :class:`CliError` whose text is one line, which the
application prints without a traceback and turns into exit code 1.
"""
import json
import re

import requests

from wfengine import exceptions

DEFAULT_URL = "http://127.0.0.1:8989/v2"
MAX_MESSAGE = 500
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")


# A problem to show the user as one line; exit code 1. A value the user
# gave is named with what it must be (``exceptions.InvalidOption``), never
# repeated: it may be a secret, and it ends up in terminals and logs.
CliError = exceptions.CommandLineError


def one_line(text, limit=MAX_MESSAGE):
    """``text`` with its lines joined by ``"; "`` and cut at ``limit``."""
    parts = [line.strip() for line in str(text).splitlines()]
    joined = "; ".join(part for part in parts if part)
    if len(joined) > limit:
        joined = joined[:limit - 3] + "..."
    return joined


def error_message(resp):
    """The one-line message of an error answer.

    Mistral's error shape is ``{"faultstring": ..., "debuginfo": ...}``;
    anything else is shown by its status and the start of its text.
    """
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("faultstring"):
        detail = body["faultstring"]
    else:
        detail = resp.text.strip() or resp.reason or "no details"
    if resp.status_code == 401:
        detail += (" (not authenticated: give a token with --token or "
                   "WFENGINE_TOKEN, or Keystone credentials with "
                   "--os-auth-url, --os-username, --os-password and "
                   "--os-project-name)")
    return "ERROR (HTTP %d): %s" % (resp.status_code, one_line(detail))


def api_root(url):
    """``url`` ending in ``/v2`` (added when a bare server URL is given)."""
    url = (url or DEFAULT_URL).rstrip("/")
    return url if url.endswith("/v2") else url + "/v2"


class Client:
    """Requests to one wfengine API, e.g. ``http://host:8989/v2``."""

    def __init__(self, base_url=DEFAULT_URL, timeout=60.0, token=None):
        """:param token: a token (``X-Auth-Token``), or a callable giving
            one on first use (Keystone credentials)."""
        self.base_url = api_root(base_url)
        self.timeout = timeout
        self.session = requests.Session()
        self._token = token

    def _auth_headers(self):
        if callable(self._token):
            self._token = self._token()
        return {"X-Auth-Token": self._token} if self._token else {}

    def request(self, method, path, body=None, text=None, params=None):
        """Send one request; return the decoded JSON body (None if empty).

        :param path: below the base URL, e.g. ``/executions/<id>``.
        :param body: a JSON-serializable body.
        :param text: a plain text body (workflow language), instead.
        :raises CliError: an error answer or no answer at all.
        """
        url = self.base_url + path
        headers = self._auth_headers()
        kwargs = {"params": _clean(params), "timeout": self.timeout,
                  "headers": headers}
        if text is not None:
            kwargs["data"] = text.encode("utf-8")
            headers["Content-Type"] = "text/plain"
        elif body is not None:
            kwargs["data"] = json.dumps(body)
            headers["Content-Type"] = "application/json"
        try:
            resp = self.session.request(method, url, **kwargs)
        except requests.RequestException as e:
            raise CliError("ERROR: cannot reach wfengine at %s: %s"
                           % (self.base_url, self._reason(e))) from None
        if resp.status_code >= 400:
            raise CliError(error_message(resp))
        return _decode(resp)

    def _reason(self, error):
        """Why a request got no answer, in a few words."""
        if isinstance(error, requests.Timeout):
            return "no answer within %gs" % self.timeout
        found = _ERRNO.search(str(error))
        return found.group(1) if found else one_line(error, 200)

    def get_url(self, url):
        """``GET`` an absolute URL the server gave (a ``next`` link); it
        must lie below the API root, so no request leaves for elsewhere."""
        if not url.startswith(self.base_url + "/"):
            raise CliError("ERROR: the server's next link %s is not below "
                           "%s" % (url, self.base_url))
        return self.request("GET", url[len(self.base_url):])

    def get(self, path, params=None):
        """``GET``; the decoded body."""
        return self.request("GET", path, params=params)

    def post(self, path, body=None, text=None, params=None):
        """``POST``; the decoded body."""
        return self.request("POST", path, body, text, params)

    def put(self, path, body=None, text=None, params=None):
        """``PUT``; the decoded body."""
        return self.request("PUT", path, body, text, params)

    def delete(self, path, params=None):
        """``DELETE``; None."""
        return self.request("DELETE", path, params=params)


def _clean(params):
    return {k: v for k, v in (params or {}).items() if v is not None}


def _decode(resp):
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        raise CliError("ERROR (HTTP %d): the answer is not JSON: %s"
                       % (resp.status_code, one_line(resp.text, 200))) \
            from None


def keystone_token(auth_url, username, password, project_name,
                   user_domain="Default", project_domain="Default"):
    """A callable giving a Keystone token for these credentials (asked
    for on the first request).

    :raises CliError: Keystone refused or could not be reached.
    """
    def fetch():
        from keystoneauth1 import exceptions as ks_exc
        from keystoneauth1.identity import v3
        from keystoneauth1 import session as ks_session
        auth = v3.Password(auth_url=auth_url, username=username,
                           password=password, project_name=project_name,
                           user_domain_name=user_domain,
                           project_domain_name=project_domain)
        try:
            return ks_session.Session(auth=auth).get_token()
        except ks_exc.ClientException as e:
            raise CliError("ERROR: Keystone at %s refused the credentials "
                           "of %s: %s" % (auth_url, username,
                                          one_line(e, 200))) from None
    return fetch
