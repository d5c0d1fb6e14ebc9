"""OpenID Connect bearer tokens: a key set fetched from the issuer, cached,
and tokens checked against it with PyJWT.

Keys rotate: a token whose ``kid`` the cached set lacks makes the set be
fetched again, at most once per ``[jwt] jwks_min_refetch_interval``, so a
rotated key is found at once while forged kids cannot make the server
hammer the issuer.
"""
import logging
import threading
import time

import jwt
import requests

LOG = logging.getLogger(__name__)

# Asymmetric algorithms only: a shared-secret (HS*) key set would let
# anyone holding the public JWKS sign tokens; "none" signs nothing.
ALLOWED_ALGORITHMS = frozenset({
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
    "ES256", "ES384", "ES512", "EdDSA"})


class TokenError(Exception):
    """A token that does not authenticate anyone (answered with 401)."""


class KeySet:
    """The issuer's keys by kid, fetched on demand and cached."""

    def __init__(self, url, cache_time=3600, min_refetch=30, timeout=5.0,
                 clock=time.monotonic):
        self._url = url
        self._cache_time = cache_time
        self._min_refetch = min_refetch
        self._timeout = timeout
        self._clock = clock
        self._keys = {}
        self._fetched_at = None
        self._lock = threading.Lock()
        self.fetches = 0

    def key(self, kid):
        """The key ``kid`` (a ``jwt.PyJWK``).

        :raises TokenError: no such key, even after a fetch allowed now.
        """
        with self._lock:
            now = self._clock()
            stale = (self._fetched_at is None
                     or now - self._fetched_at >= self._cache_time)
            unknown = kid not in self._keys and (
                self._fetched_at is None
                or now - self._fetched_at >= self._min_refetch)
            if stale or unknown:
                self._fetch(now)
            found = self._keys.get(kid)
        if found is None:
            raise TokenError("The token is signed by an unknown key")
        return found

    def _fetch(self, now):
        self._fetched_at = now  # a failed fetch is not retried at once
        self.fetches += 1
        try:
            response = requests.get(self._url, timeout=self._timeout)
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as e:
            LOG.warning("Could not fetch the JWKS from %s: %s",
                        self._url.split("?")[0], e)
            return
        keys = {}
        for entry in data.get("keys", []) if isinstance(data, dict) else []:
            if entry.get("use", "sig") != "sig" or "kid" not in entry:
                continue
            try:
                keys[entry["kid"]] = jwt.PyJWK(entry)
            except jwt.PyJWTError as e:
                LOG.warning("Skipped JWKS key %s: %s", entry.get("kid"), e)
        self._keys = keys
        LOG.info("Fetched %d signing keys from the JWKS", len(keys))


def check_algorithms(algorithms):
    """The configured algorithms, refused unless all are asymmetric."""
    bad = [a for a in algorithms if a not in ALLOWED_ALGORITHMS]
    if bad or not algorithms:
        raise ValueError(
            "[jwt] algorithms may only name asymmetric algorithms (%s); "
            "refused: %s" % (", ".join(sorted(ALLOWED_ALGORITHMS)),
                             ", ".join(bad) or "(empty list)"))
    return list(algorithms)


class Verifier:
    """Checks one token: signature, alg, iss, aud, exp, nbf."""

    def __init__(self, keys, issuer, audience, algorithms, leeway=30):
        self._keys = keys
        self._issuer = issuer
        self._audience = list(audience) or None
        self._algorithms = check_algorithms(algorithms)
        self._leeway = leeway

    def claims(self, token):
        """The verified claims of ``token``.

        :raises TokenError: saying what is wrong (never the token).
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as e:
            raise TokenError("The token is not a JWT: %s" % e) from e
        alg = header.get("alg")
        if alg not in self._algorithms:
            raise TokenError("The token's algorithm %r is not accepted"
                             % (alg,))
        key = self._keys.key(header.get("kid"))
        required = ["exp", "iat"] + (["iss"] if self._issuer else []) + (
            ["aud"] if self._audience else [])
        try:
            return jwt.decode(
                token, key=key.key, algorithms=self._algorithms,
                audience=self._audience, issuer=self._issuer,
                leeway=self._leeway,
                options={"require": required,
                         "verify_aud": self._audience is not None})
        except jwt.PyJWTError as e:
            raise TokenError("The token is not valid: %s" % e) from e


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
