"""Signing in to the console when the API wants a token.

In the ``keystone`` and ``jwt`` modes of ``[api] auth_strategy`` a
browser that opens ``/console`` has no ``X-Auth-Token`` to send. The
operator pastes a token on ``/console/login``; the console checks it
with one call to the API and keeps it in a cookie (HttpOnly,
SameSite=Strict, path ``/console``, Secure over HTTPS). On each console
request the cookie becomes the ``X-Auth-Token`` of the console's own
calls into the API, and of nothing else: the cookie is never forwarded
(``apiclient`` drops ``Cookie``), and the API reads only headers, so the
cookie alone never authenticates a plain ``/v2`` request.
"""
import urllib.parse

from webob import exc as webob_exc

from wfengine.console import apiclient
from wfengine.console import cookies
from wfengine.console import web


def _next_path(value):
    """A path inside the console to go to after signing in."""
    if value and value.startswith("/") and not value.startswith("//") \
            and "\\" not in value and value.isprintable():
        return value
    return "/executions"


def _check(page, token):
    """None when the API accepts ``token``, else why it does not."""
    if not token:
        return "Paste a token to sign in."
    if len(token) > cookies.MAX_TOKEN:
        return ("This token is %d characters long; the console can keep "
                "tokens of up to %d characters in its cookie. Use the API "
                "or the CLI with it instead."
                % (len(token), cookies.MAX_TOKEN))
    if not cookies.TOKEN_CHARS.match(token):
        return "This is not a token: it has characters no token has."
    caller = {"HTTP_X_AUTH_TOKEN": token}
    for key in ("REMOTE_ADDR", "SERVER_NAME", "SERVER_PORT",
                "wsgi.url_scheme"):
        if key in page.request.environ:
            caller[key] = page.request.environ[key]
    try:
        apiclient.Api(page.api_app, caller).get("/workflows",
                                                {"limit": 1})
    except apiclient.ApiError as e:
        return "The API refused this token (%d): %s" % (e.status, e.message)
    return None


@web.route("GET", "/login", public=True)
def login_page(page):
    """The sign-in form (in noauth mode: straight to the executions)."""
    if not page.token_mode:
        return webob_exc.HTTPSeeOther(location=page.prefix + "/executions")
    get = page.request.GET
    return page.render("login.html", status=200, nav=False,
                       next=_next_path(get.get("next")),
                       message=cookies.REASONS.get(get.get("reason"), ""),
                       error=None)


@web.route("POST", "/login", public=True)
def login(page):
    """Check the pasted token with the API; keep it when it works."""
    if not page.token_mode:
        return webob_exc.HTTPSeeOther(location=page.prefix + "/executions")
    token = "".join(page.request.POST.get("token", "").split())
    target = _next_path(page.request.POST.get("next"))
    error = _check(page, token)
    if error:
        return page.render("login.html", status=401, nav=False,
                           next=target, message="", error=error)
    response = webob_exc.HTTPSeeOther(location=page.prefix + target)
    cookies.remember(page.request, response, token)
    return response


@web.route("POST", "/logout", public=True)
def logout(page):
    """Sign out: forget the cookie, back to the sign-in page."""
    response = webob_exc.HTTPSeeOther(
        location=page.prefix + "/login?" + urllib.parse.urlencode(
            {"reason": "signed-out"}))
    cookies.forget(page.request, response)
    return response
