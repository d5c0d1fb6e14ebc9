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

from wfengine import exceptions

LOG = logging.getLogger(__name__)

# Asymmetric algorithms only: a shared-secret (HS*) key set would let
# anyone holding the public JWKS sign tokens; "none" signs nothing.
ALLOWED_ALGORITHMS = frozenset({
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
    "ES256", "ES384", "ES512", "EdDSA"})


# A token that does not authenticate anyone (answered with 401): the
# messages name the claim or part at fault, never what the token holds.
TokenError = exceptions.Unauthorized

# What a token PyJWT refuses is told, by PyJWT's error (PyJWT's own text
# may repeat what the token holds, a "crit" header say), most specific
# first.
_REFUSALS = (
    (jwt.ExpiredSignatureError, "has expired (claim exp)"),
    (jwt.ImmatureSignatureError, "is not yet valid (claim nbf or iat)"),
    (jwt.InvalidAudienceError,
     "is for another audience (claim aud; allowed: [jwt] audience)"),
    (jwt.InvalidIssuerError,
     "comes from another issuer (claim iss; allowed: [jwt] issuer)"),
    (jwt.InvalidIssuedAtError, "has a claim iat that is not a time"),
    (jwt.InvalidSignatureError,
     "has a signature that does not verify with the issuer's key"),
    (jwt.DecodeError, "is not a well-formed JWT"),
)


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
            raise exceptions.TokenRefused(
                problem="is signed by an unknown key (header kid)")
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
            raise exceptions.TokenRefused(problem="is not a JWT") from e
        if header.get("alg") not in self._algorithms:
            raise exceptions.TokenFieldRefused(
                field="The token's header alg",
                allowed=", ".join(self._algorithms))
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
            raise exceptions.TokenRefused(problem=refusal(e)) from e


def refusal(error):
    """What is wrong with a token PyJWT refused with ``error``, in words
    of our own: the claim or part at fault."""
    if isinstance(error, jwt.MissingRequiredClaimError):
        return "lacks the claim %s" % error.claim
    for kind, problem in _REFUSALS:
        if isinstance(error, kind):
            return problem
    return "is not valid"

