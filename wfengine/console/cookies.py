"""The console's sign-in cookie and the origin check of its forms.

See :mod:`wfengine.console.signin` for the sign-in itself.
"""
import re
import urllib.parse

from webob import exc as webob_exc

PREFIX = "/console"
COOKIE = "wfengine_console_token"
# Browsers keep cookies up to about 4 KiB, name and attributes included.
MAX_TOKEN = 3800
TOKEN_CHARS = re.compile(r"^[A-Za-z0-9._~+/=-]+$")
# Why the browser is on the sign-in page: a code in the URL, never text
# (a link from elsewhere can not put words of its own on our page).
REASONS = {
    "refused": "The API no longer accepts the token this browser kept "
               "(expired or revoked): sign in again.",
    "signed-out": "Signed out.",
}


def has_credentials(environ):
    """True when the request carries a token header of its own."""
    return bool(environ.get("HTTP_AUTHORIZATION", "").strip()
                or environ.get("HTTP_X_AUTH_TOKEN", "").strip())


def use_cookie(request):
    """Turn the sign-in cookie into the request's ``X-Auth-Token`` (a
    token header the request carries itself wins); True when the
    request then has a token."""
    if has_credentials(request.environ):
        return True
    token = request.cookies.get(COOKIE, "")
    if not token:
        return False
    request.environ["HTTP_X_AUTH_TOKEN"] = token
    return True


def to_login(request, prefix, path, reason=None):
    """The answer to a console request without a usable token: a
    redirect to the sign-in page (htmx follows ``HX-Redirect``)."""
    params = {}
    if request.method in ("GET", "HEAD") and path != "/login":
        params["next"] = path + (
            "?" + request.query_string if request.query_string else "")
    if reason:
        params["reason"] = reason
    url = request.script_name + prefix + "/login"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    if request.headers.get("HX-Request") == "true":
        response = webob_exc.HTTPUnauthorized()
        response.headers["HX-Redirect"] = url
    else:
        response = webob_exc.HTTPSeeOther(location=url)
    if request.cookies.get(COOKIE):
        forget(request, response)
    return response


def is_https(request):
    """True when the browser reached us over HTTPS (directly or through
    a proxy that says so in ``X-Forwarded-Proto``)."""
    proto = request.headers.get("X-Forwarded-Proto", "")
    proto = proto.split(",")[0].strip().lower()
    return (proto or request.environ.get("wsgi.url_scheme")) == "https"


def _cookie_args(request):
    return {"path": request.script_name + PREFIX, "httponly": True,
            "samesite": "strict", "secure": is_https(request)}


def remember(request, response, token):
    """Set the sign-in cookie (for the browser's session)."""
    response.set_cookie(COOKIE, token, **_cookie_args(request))


def forget(request, response):
    """Clear the sign-in cookie."""
    response.set_cookie(COOKIE, "", max_age=0, **_cookie_args(request))


def own_origin(request):
    """``scheme://host[:port]`` of the console as the browser sees it."""
    scheme = "https" if is_https(request) else "http"
    return "%s://%s" % (scheme, request.host)


def same_origin(request):
    """False when the browser says the request comes from another
    origin (``Origin``, or else ``Referer``); True when it says ours or
    says nothing."""
    own = own_origin(request)
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == own
    referer = request.headers.get("Referer")
    if referer:
        parts = urllib.parse.urlsplit(referer)
        return "%s://%s" % (parts.scheme, parts.netloc) == own
    return True
