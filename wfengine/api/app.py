"""The WSGI application of the REST API (Pecan).

``setup_app()`` builds it: the root controller, a hook that gives
controllers the engine client as ``pecan.request.engine`` (created on
first use unless one is passed in, as tests do), the hook that shapes
errors, the hook that checks the access rules and scopes the request to
its project; in front of it a body-size limit, the checks of
:mod:`wfengine.api.guards` (UTF-8 path and query, JSON depth) and the
authentication of ``[api] auth_strategy`` (``api.auth``). Right in
front of Pecan, ``api.fast_reads`` answers the plain GET of one
execution, task or action execution, the reads clients poll.
"""
import dataclasses
import functools
import io
import threading

import pecan
from pecan import hooks
from pecan import util as pecan_util

from wfengine.api import auth
from wfengine.api import context
from wfengine.api.controllers import root
from wfengine.api import engine_gate
from wfengine.api import errors
from wfengine.api import etag
from wfengine.api import fast_reads
from wfengine.api import fieldsize
from wfengine.api import guards
from wfengine.api import metrics_auth
from wfengine.api import policy
from wfengine.api import timing
from wfengine import conf
from wfengine.console import pages as console
from wfengine.ops import endpoints
from wfengine.rpc import clients


class _LazyEngine:
    """The engine client, created when a controller first uses it."""

    def __init__(self, client=None):
        self._client = client
        self._lock = threading.Lock()

    def get(self):
        """The engine client (created on the first call)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = engine_gate.EngineGate(
                        clients.EngineClient(),
                        engine_gate.limit_for(conf.CONF),
                        conf.CONF.api.engine_call_wait)
        return self._client

    def __getattr__(self, name):
        return getattr(self.get(), name)


class EngineHook(hooks.PecanHook):
    """Exposes the engine client to controllers as ``pecan.request.engine``.

    Requests that never call the engine never create the client.
    """

    def __init__(self, engine_client=None):
        self._engine = _LazyEngine(engine_client)

    def before(self, state):
        state.request.engine = self._engine


class BodySizeLimit:
    """WSGI middleware: refuse bodies larger than ``limit`` bytes (413).

    A declared Content-Length is checked before reading; a chunked body
    is read up to the limit and replaced by what was read. One kind of
    request is let through without its body instead: the completion of
    an asynchronous action, which fails its action as over the size limit
    of stored fields (``api.fieldsize.mark_oversized``), as Mistral fails a
    result too large to store, rather than leave it running.
    """

    def __init__(self, app, limit):
        self.app = app
        self.limit = limit

    def __call__(self, environ, start_response):
        length = environ.get("CONTENT_LENGTH")
        if length:
            try:
                too_big = int(length) > self.limit
            except ValueError:
                return self._refuse(environ, start_response, 400,
                                    "Invalid Content-Length %r" % length)
            if too_big:
                return self._too_big(environ, start_response, int(length))
        elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            body = environ["wsgi.input"].read(self.limit + 1)
            if len(body) > self.limit:
                return self._too_big(environ, start_response, len(body))
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)

    def _too_big(self, environ, start_response, size):
        if fieldsize.is_completion(environ):
            fieldsize.mark_oversized(environ, size, self.limit)
            return self.app(environ, start_response)
        return self._refuse(
            environ, start_response, 413,
            "Request body is larger than the allowed %d bytes "
            "([api] max_request_body_size)" % self.limit)

    def _refuse(self, environ, start_response, code, message):
        errors.log_error(code, message, None)
        return errors.fault_response(code, message)(environ, start_response)


def _remember_argspecs():
    """Pecan reads each controller's argument spec on every request, and
    its reader makes a new namedtuple class each time (5% of a request's
    time); a controller's arguments do not change, so read them once."""
    if getattr(pecan_util, "_wfengine_cached", False):
        return
    read = pecan_util._getargspec

    @functools.lru_cache(maxsize=4096)
    def cached(func):
        return read(func)

    def getargspec(func):
        try:
            return cached(func)
        except TypeError:  # not hashable
            return read(func)

    pecan_util._getargspec = getargspec
    pecan_util._wfengine_cached = True


def setup_app(engine_client=None, max_request_body_size=None):
    """The API's WSGI application.

    :param engine_client: the engine client to use (tests pass a fake);
        by default an ``rpc.clients.EngineClient`` made on first use.
    :param max_request_body_size: bytes; default ``[api]
        max_request_body_size``.
    """
    _remember_argspecs()
    app = pecan.make_app(
        root.RootController(),
        hooks=[EngineHook(engine_client), errors.ErrorHook(),
               context.ContextHook(), etag.ETagHook()],
        force_canonical=False,
        guess_content_type_from_ext=False,
        logging=False,
        debug=False,
    )
    limit = max_request_body_size or conf.CONF.api.max_request_body_size
    auth.check_bind_address(conf.CONF)
    api = auth.wrap(metrics_auth.ProtectedMetrics(
        BodySizeLimit(guards.RequestGuard(fast_reads.FastReads(app)),
                      limit), conf.CONF),
        conf.CONF, _decide_admin)
    # The console calls the whole API, authentication included, with the
    # browser's credentials; probes (and /metrics unless [monitoring]
    # metrics_require_auth), outermost, answer without authentication.
    token_mode = conf.CONF.api.auth_strategy != "noauth"
    app = endpoints.ApiMiddleware(console.mount(api, limit, token_mode),
                                  conf.CONF)
    return timing.ServerTiming(app) if conf.CONF.api.server_timing else app


def _decide_admin(ctx):
    return dataclasses.replace(ctx, is_admin=policy.is_admin(ctx))
