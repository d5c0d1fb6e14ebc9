"""A stand-in OpenID Connect issuer for tests: a JWKS served over HTTP on
loopback, and tokens signed with real RSA keys."""
import contextlib
import http.server
import json
import threading
import time
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from wfengine.api import policy

ISSUER = "https://idp.test/realms/wf"
AUDIENCE = "wfengine"


class Key:
    """An RSA signing key with its kid."""

    def __init__(self, kid=None):
        self.kid = kid or uuid.uuid4().hex[:12]
        self.private = rsa.generate_private_key(public_exponent=65537,
                                                key_size=2048)

    def jwk(self):
        data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(
            self.private.public_key()))
        return dict(data, kid=self.kid, use="sig", alg="RS256")


class Issuer:
    """Serves ``/certs`` (the JWKS of ``keys``) on 127.0.0.1."""

    def __init__(self):
        self.keys = [Key()]
        self.requests = 0
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                issuer.requests += 1
                body = json.dumps({"keys": [k.jwk() for k in issuer.keys]})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                       Handler)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        daemon=True)
        self._thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d/certs" % self._server.server_address[1]

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def token(self, project="proj-a", roles=("member",), key=None,
              lifetime=300, **claims):
        """A signed token; ``claims`` override or add (None removes)."""
        key = key or self.keys[0]
        now = int(time.time())
        body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-" + project,
                "iat": now, "nbf": now, "exp": now + lifetime,
                "project_id": project, "roles": list(roles)}
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, key.private, algorithm="RS256",
                          headers={"kid": key.kid})


def unsigned_token(project="proj-a"):
    """A token with ``alg: none`` (no signature)."""
    now = int(time.time())
    return jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "x",
                       "iat": now, "exp": now + 300, "project_id": project,
                       "roles": ["admin"]}, None, algorithm="none")


def configure(conf, issuer):
    """Point ``[api]``/``[jwt]`` of ``conf`` at ``issuer``."""
    conf.set_override("auth_strategy", "jwt", group="api")
    conf.set_override("jwks_url", issuer.url, group="jwt")
    conf.set_override("issuer", ISSUER, group="jwt")
    conf.set_override("audience", [AUDIENCE], group="jwt")
    conf.set_override("jwks_min_refetch_interval", 30, group="jwt")


def deployment_config(issuer, **groups):
    """Config sections of a test deployment in jwt mode trusting
    ``issuer``, plus ``groups``."""
    return dict(groups, api={"auth_strategy": "jwt"},
                jwt={"jwks_url": issuer.url, "issuer": ISSUER,
                     "audience": AUDIENCE})


def clear(conf):
    for name in ("auth_strategy",):
        conf.clear_override(name, group="api")
    for name in ("jwks_url", "issuer", "audience",
                 "jwks_min_refetch_interval"):
        conf.clear_override(name, group="jwt")


@contextlib.contextmanager
def serving(conf):
    """An :class:`Issuer` on loopback with ``conf`` in jwt mode pointed
    at it and the policy enforcer started afresh; all undone after."""
    issuer = Issuer()
    configure(conf, issuer)
    policy.reset()
    try:
        yield issuer
    finally:
        clear(conf)
        policy.reset()
        issuer.stop()
