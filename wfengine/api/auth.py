"""Authentication: the WSGI middleware in front of the API (``[api]
auth_strategy``).

Each mode turns a request into a :class:`context.RequestContext` in the
environ, or answers 401 in Mistral's error shape:

* ``noauth``: every caller is the admin of the default project. Refused on
  an address other than loopback unless ``[api] allow_noauth_on_network``.
* ``keystone``: keystonemiddleware's ``auth_token`` validates
  ``X-Auth-Token`` and sets the identity headers, as in Mistral.
* ``jwt``: an OpenID Connect bearer token (``Authorization: Bearer`` or
  ``X-Auth-Token``), checked against the issuer's JWKS (``api.jwks``).

The versions document (``GET /``) and the health probes answer everyone.
"""
import ipaddress
import logging

from wfengine.api import context
from wfengine.api import errors
from wfengine import exceptions

LOG = logging.getLogger(__name__)

# Paths that answer without authentication.
PUBLIC_PATHS = frozenset({"", "/", "/healthz", "/readyz"})


class ConfigError(exceptions.WFEngineException):
    """An authentication setting that cannot work; the server stops."""

    http_code = 500


def check_bind_address(conf):
    """Refuse ``noauth`` on a non-loopback address unless allowed.

    :raises ConfigError: naming the option that allows it.
    """
    if conf.api.auth_strategy != "noauth" or \
            conf.api.allow_noauth_on_network:
        return
    if not _is_loopback(conf.api.host):
        raise ConfigError(
            "Refusing to serve the API without authentication on %s: "
            "[api] auth_strategy = noauth lets anyone who reaches the port "
            "read every environment and run any action. Set [api] "
            "auth_strategy to keystone or jwt, bind [api] host to a "
            "loopback address, or set [api] allow_noauth_on_network = "
            "true to accept the risk." % conf.api.host)


def _is_loopback(host):
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def unauthorized(environ, start_response, message):
    """A 401 in Mistral's shape."""
    errors.log_error(401, message, None)
    response = errors.fault_response(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="wfengine"'
    return response(environ, start_response)


class _Middleware:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "") in PUBLIC_PATHS:
            return self.app(environ, start_response)
        try:
            ctx = self.authenticate(environ)
        except exceptions.Unauthorized as e:
            if is_callback(environ):
                # The callback URL's token is the credential: the
                # controller checks it (and refuses a completion without).
                return self.app(environ, start_response)
            return unauthorized(environ, start_response,
                                "Authentication failed: %s" % e)
        environ[context.ENVIRON_KEY] = ctx
        return self.app(environ, start_response)

    def authenticate(self, environ):
        raise NotImplementedError


def is_callback(environ):
    """True for a completion through a callback URL: ``PUT
    /v2/action_executions/<id>?token=...``."""
    parts = [p for p in environ.get("PATH_INFO", "").split("/") if p]
    return (environ.get("REQUEST_METHOD") == "PUT" and len(parts) == 3
            and parts[0] == "v2"
            and parts[1] in ("action_executions", "action-executions")
            and "token=" in environ.get("QUERY_STRING", ""))


class NoAuth(_Middleware):
    """Every request acts as the admin of the default project."""

    def authenticate(self, environ):
        return context.noauth_context()


def request_token(environ):
    """The token of a request: ``Authorization: Bearer`` or
    ``X-Auth-Token`` (what python-mistralclient sends)."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    if header:
        kind, _, value = header.partition(" ")
        if kind.lower() != "bearer" or not value.strip():
            raise exceptions.TokenFieldRefused(
                field="The Authorization header", allowed="Bearer <token>")
        return value.strip()
    token = environ.get("HTTP_X_AUTH_TOKEN", "").strip()
    if not token:
        raise exceptions.NoToken(
            expected="Authorization: Bearer <token> or X-Auth-Token")
    return token


class JwtAuth(_Middleware):
    """OpenID Connect bearer tokens; project and roles from claims."""

    def __init__(self, app, verifier, options, admin_check):
        super().__init__(app)
        self._verifier = verifier
        self._opts = options
        self._admin_check = admin_check

    def authenticate(self, environ):
        token = request_token(environ)
        claims = self._verifier.claims(token)
        opts = self._opts
        project = claim(claims, opts.project_claim) or opts.default_project
        if not project or not isinstance(project, str):
            raise exceptions.TokenRefused(
                problem="has no project (claim %s)" % opts.project_claim)
        user = claim(claims, opts.user_claim)
        roles = roles_of(claim(claims, opts.roles_claim))
        return self._admin_check(context.RequestContext(
            project, None if user is None else str(user), roles,
            auth_token=token))


class KeystoneContext(_Middleware):
    """Behind keystonemiddleware (``delay_auth_decision``): the identity
    headers it set become the context; an unconfirmed identity is a 401
    in Mistral's shape."""

    def __init__(self, app, admin_check):
        super().__init__(app)
        self._admin_check = admin_check

    def authenticate(self, environ):
        if environ.get("HTTP_X_IDENTITY_STATUS") != "Confirmed":
            raise exceptions.TokenRefused(
                problem="is missing, invalid or expired (Keystone)")
        project = environ.get("HTTP_X_PROJECT_ID")
        if not project:
            raise exceptions.TokenRefused(
                problem="is not scoped to a project (Keystone)")
        roles = tuple(r.strip() for r in
                      environ.get("HTTP_X_ROLES", "").split(",") if r.strip())
        return self._admin_check(context.RequestContext(
            project, environ.get("HTTP_X_USER_ID"), roles,
            auth_token=environ.get("HTTP_X_AUTH_TOKEN"),
            project_name=environ.get("HTTP_X_PROJECT_NAME"),
            user_name=environ.get("HTTP_X_USER_NAME")))


def wrap(app, conf, admin_check=lambda ctx: ctx):
    """``app`` behind the authentication of ``[api] auth_strategy``.

    :param admin_check: ``ctx -> ctx`` with ``is_admin`` decided (by the
        policy's ``context_is_admin`` rule).
    """
    strategy = conf.api.auth_strategy
    if strategy == "noauth":
        return NoAuth(app)
    if strategy == "jwt":
        return JwtAuth(app, build_verifier(conf.jwt), conf.jwt, admin_check)
    if strategy == "keystone":
        return _keystone(KeystoneContext(app, admin_check), conf)
    raise ConfigError("Unknown [api] auth_strategy %r" % strategy)


def claim(claims, path):
    """The value at a dotted ``path`` of ``claims`` (None if missing)."""
    value = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def roles_of(value):
    """Roles from a claim: a list, or a comma- or space-separated string."""
    if isinstance(value, str):
        return tuple(r for r in value.replace(",", " ").split() if r)
    if isinstance(value, (list, tuple)):
        return tuple(str(r) for r in value)
    return ()


def build_verifier(opts):
    """The JWT verifier of the ``[jwt]`` options."""
    # PyJWT and the cryptography it loads take about 9 MiB of every
    # process that imports them: only in jwt mode.
    from wfengine.api import jwks
    if not opts.jwks_url:
        raise ConfigError("[api] auth_strategy = jwt needs [jwt] jwks_url")
    try:
        keys = jwks.KeySet(opts.jwks_url, opts.jwks_cache_time,
                           opts.jwks_min_refetch_interval, opts.jwks_timeout)
        return jwks.Verifier(keys, opts.issuer, opts.audience,
                             opts.algorithms, opts.leeway)
    except ValueError as e:
        raise ConfigError(str(e)) from e


def _keystone(app, conf):
    from keystonemiddleware import auth_token  # only in keystone mode
    return _PublicBypass(
        auth_token.AuthProtocol(app, {"delay_auth_decision": True,
                                      "oslo_config_project": "wfengine",
                                      "oslo_config_config": conf}),
        app)


class _PublicBypass:
    """Public paths skip keystonemiddleware (no token to validate)."""

    def __init__(self, protected, plain):
        self._protected, self._plain = protected, plain

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "") in PUBLIC_PATHS:
            return self._plain(environ, start_response)
        return self._protected(environ, start_response)
