"""The console's WSGI application: routes, templates, static files.

``pages.mount`` puts the console in front of the API application: paths
under ``/console`` are the console's, everything else goes to the API
untouched. Each route is a function ``handler(page, **path_args)`` that
returns a webob Response; ``page`` carries the request, the
:class:`apiclient.Api` for it and the template renderer.
"""
import functools
import hashlib
import importlib.resources
import json
import mimetypes
import re

import jinja2
from webob import exc as webob_exc
from webob import request as webob_request
from webob import response as webob_response

from wfengine.console import apiclient
from wfengine.console import cookies
from wfengine.console import formatting
from wfengine.console import masking

PREFIX = cookies.PREFIX
# The client event an action's answer fires: the page refreshes its live part.
DONE_EVENT = "console-done"
HTMX = "htmx-2.0.11.min.js"
_ROUTES = []
_ID = r"(?P<%s>[A-Za-z0-9_.:-]{1,80})"


def route(method, pattern, public=False):
    """Register ``handler`` for ``method`` and a path ``pattern`` below
    ``/console`` (``{name}`` placeholders match one id segment); a
    ``public`` route answers without a token (the sign-in pages)."""
    regex = re.compile("^%s$" % re.sub(
        r"\{(\w+)\}", lambda m: _ID % m.group(1), pattern))

    def register(handler):
        _ROUTES.append((method, regex, handler, public))
        # Literal paths (``/executions/rows``) before placeholders.
        _ROUTES.sort(key=lambda r: r[1].pattern.count("(?P<"))
        return handler
    return register


@functools.lru_cache(maxsize=1)
def templates():
    """The Jinja2 environment of the console's templates (autoescaped)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("wfengine.console", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined)
    formatting.install(env)
    env.globals.update(prefix=PREFIX, htmx=HTMX, masked_url=masking.url)
    return env


class Page:
    """What a handler needs about the request it answers."""

    def __init__(self, request, api_app, token_mode=False):
        self.request = request
        self.api_app = api_app
        self.token_mode = token_mode
        self.api = apiclient.Api(api_app, request.environ)

    @property
    def prefix(self):
        """The console's path as the browser sees it."""
        return self.request.script_name + PREFIX

    @property
    def is_fragment(self):
        """True for htmx's partial requests."""
        return self.request.headers.get("HX-Request") == "true"

    def render(self, name, status=200, etag=None, **values):
        """A text/html response from template ``name``."""
        # Behind a proxy that mounts the API under a path, links keep it.
        values.setdefault("prefix", self.prefix)
        values.setdefault("nav", True)
        values.setdefault("sign_out", self.token_mode)
        body = templates().get_template(name).render(**values)
        response = webob_response.Response(
            body=body.encode("utf-8"), status=status,
            content_type="text/html", charset="utf-8")
        response.cache_control = "no-cache"
        if etag:
            response.etag = etag
        return response

    def not_modified(self, etag):
        """304 for a conditional request whose page part did not change."""
        response = webob_response.Response(status=304)
        response.etag = etag
        response.cache_control = "no-cache"
        return response

    def flash(self, message, ok, status=None, trigger=None):
        """The small result note an action answers with; ``trigger`` names
        the client event that makes the page refresh its live part."""
        target = self.request.headers.get("HX-Target") or "flash"
        if not re.match(r"^[a-z][a-z-]{0,30}$", target):
            target = "flash"
        response = self.render("_flash.html", status=status or (
            200 if ok else 400), message=message, ok=ok, target=target)
        if trigger:
            response.headers["HX-Trigger-After-Swap"] = trigger
        return response

    def form_json(self, name, what, default=None):
        """The JSON object typed in form field ``name`` (empty: default).

        :raises apiclient.ApiError: (400) it is not a JSON object.
        """
        text = self.request.POST.get(name, "").strip()
        if not text:
            return default
        try:
            value = json.loads(text)
        except ValueError as e:
            raise apiclient.ApiError(
                400, "%s is not valid JSON: %s" % (what, e)) from e
        if not isinstance(value, dict):
            raise apiclient.ApiError(
                400, "%s must be a JSON object ({...}), got %s"
                % (what, type(value).__name__))
        return value

    def if_none_match(self):
        """The entity tag the browser holds for this URL, if any."""
        tags = getattr(self.request.if_none_match, "etags", None) or ()
        return tags[0] if tags else None


class Console:
    """WSGI app: the console under ``/console``, the API for the rest."""

    def __init__(self, api_app, max_body, token_mode=False):
        self.api_app = api_app
        self.max_body = max_body
        self.token_mode = token_mode

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            return self.api_app(environ, start_response)
        request = webob_request.Request(environ)
        if (request.content_length or 0) > self.max_body:
            response = webob_exc.HTTPRequestEntityTooLarge(
                "The form is larger than the allowed %d bytes ([api] "
                "max_request_body_size)" % self.max_body)
        else:
            response = self._dispatch(request, path[len(PREFIX):] or "/")
        return response(environ, start_response)

    def _dispatch(self, request, path):
        if path.startswith("/static/"):
            return _static(request, path[len("/static/"):])
        allowed = []
        for method, regex, handler, public in _ROUTES:
            match = regex.match(path)
            if not match:
                continue
            if request.method == method or (
                    method == "GET" and request.method == "HEAD"):
                return self._run(handler, request, match.groupdict(),
                                 public, path)
            allowed.append(method)
        if allowed:
            return webob_exc.HTTPMethodNotAllowed()
        return _not_found(request, "No console page at %s%s"
                          % (PREFIX, path))

    def _run(self, handler, request, args, public, path):
        if request.method == "POST" and not (
                cookies.same_origin(request) and (
                    public or request.headers.get("HX-Request") == "true")):
            return webob_exc.HTTPForbidden(
                "Console actions are only accepted from the console's own "
                "pages (htmx request from the same origin)")
        if self.token_mode and not public and \
                not cookies.use_cookie(request):
            return cookies.to_login(request, PREFIX, path)
        page = Page(request, self.api_app, self.token_mode)
        try:
            return handler(page, **args)
        except apiclient.ApiError as e:
            if e.status == 401 and self.token_mode:
                return cookies.to_login(request, PREFIX, path, "refused")
            if request.method == "POST" or page.is_fragment:
                return page.flash(e.message, ok=False, status=e.status)
            return page.render("error.html", status=e.status,
                               message=e.message, code=e.status)


def _not_found(request, message):
    page = Page(request, None)
    return page.render("error.html", status=404, message=message, code=404)


_STATIC = importlib.resources.files("wfengine.console") / "static"


def _static(request, name):
    if not re.match(r"^[A-Za-z0-9_.-]+$", name) or name.startswith("."):
        return webob_exc.HTTPNotFound()
    found = _static_file(name)
    if found is None:
        return webob_exc.HTTPNotFound()
    body, kind, tag = found
    response = webob_response.Response(body=body, content_type=kind)
    if kind.startswith("text/") or kind.endswith("javascript"):
        response.charset = "utf-8"
    # The versioned htmx never changes; our own files may from one
    # release to the next, so browsers revalidate them (a 304 mostly).
    response.cache_control = ("public, max-age=31536000, immutable"
                              if name == HTMX else "no-cache")
    response.etag = tag
    return _conditional(request, response)


@functools.lru_cache(maxsize=32)
def _static_file(name):
    """``(bytes, content type, entity tag)`` of a static file, or None."""
    resource = _STATIC / name
    if not resource.is_file():
        return None
    body = resource.read_bytes()
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return body, kind, hashlib.sha256(body).hexdigest()[:32]


def _conditional(request, response):
    if response.etag in (request.if_none_match or ()):
        not_modified = webob_response.Response(status=304)
        not_modified.etag = response.etag
        return not_modified
    return response
