"""OpenID Connect bearer tokens against a JWKS served on loopback."""
import base64
import json
import time

import jwt
import pytest

from tests.unit.api import idp
from wfengine.api import auth
from wfengine.api import jwks


@pytest.fixture
def issuer():
    server = idp.Issuer()
    yield server
    server.stop()


def _verifier(issuer, min_refetch=30, algorithms=("RS256",)):
    keys = jwks.KeySet(issuer.url, cache_time=3600, min_refetch=min_refetch)
    return jwks.Verifier(keys, idp.ISSUER, [idp.AUDIENCE], algorithms,
                         leeway=0)


def test_a_valid_token_gives_its_claims(issuer):
    claims = _verifier(issuer).claims(issuer.token(project="p1"))
    assert claims["project_id"] == "p1"
    assert claims["iss"] == idp.ISSUER


@pytest.mark.parametrize("claims, words", [
    ({"exp": int(time.time()) - 60}, "expired"),
    ({"aud": "another-service"}, "audience"),
    ({"iss": "https://evil.test/"}, "issuer"),
    ({"nbf": int(time.time()) + 3600}, "not yet valid"),
    ({"exp": None}, "exp"),
])
def test_a_token_with_bad_claims_is_refused(issuer, claims, words):
    with pytest.raises(jwks.TokenError) as e:
        _verifier(issuer).claims(issuer.token(**claims))
    assert words in str(e.value).lower()


def test_a_token_signed_by_another_key_with_a_known_kid_is_refused(issuer):
    forger = idp.Key(kid=issuer.keys[0].kid)
    with pytest.raises(jwks.TokenError) as e:
        _verifier(issuer).claims(issuer.token(key=forger))
    assert "signature" in str(e.value).lower()


def test_alg_none_is_refused(issuer):
    with pytest.raises(jwks.TokenError) as e:
        _verifier(issuer).claims(idp.unsigned_token())
    # The header is named with what is allowed; its value is not repeated.
    assert str(e.value).startswith("The token's header alg is not accepted")
    assert "none" not in str(e.value)


def test_a_hs256_token_made_with_the_public_key_is_refused(issuer):
    token = jwt.encode({"iss": idp.ISSUER, "aud": idp.AUDIENCE},
                       "public-key-text-as-secret", algorithm="HS256",
                       headers={"kid": issuer.keys[0].kid})
    with pytest.raises(jwks.TokenError) as e:
        _verifier(issuer).claims(token)
    assert "header alg" in str(e.value) and "RS256" in str(e.value)
    assert "HS256" not in str(e.value)


SECRET = "s3cr3t-Value"


def _segment(value):
    return base64.urlsafe_b64encode(
        json.dumps(value).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("header, words", [
    # PyJWT's own message would repeat the unknown extension.
    ({"alg": "RS256", "crit": [SECRET]}, "is not a JWT"),
    ({"alg": SECRET}, "header alg is not accepted (allowed: RS256)"),
])
def test_what_a_refused_token_holds_is_never_repeated(issuer, header,
                                                     words):
    token = ".".join([_segment(dict(header, kid=issuer.keys[0].kid)),
                      _segment({"iss": idp.ISSUER}), "c2ln"])
    with pytest.raises(jwks.TokenError) as e:
        _verifier(issuer).claims(token)
    assert words in str(e.value)
    assert SECRET not in str(e.value)


def test_a_token_that_is_not_a_jwt_is_refused_without_its_text():
    verifier = jwks.Verifier(jwks.KeySet("http://127.0.0.1:9/certs"),
                             idp.ISSUER, [idp.AUDIENCE], ["RS256"])
    with pytest.raises(jwks.TokenError) as e:
        verifier.claims(SECRET)
    assert str(e.value) == "The token is not a JWT"


def test_symmetric_or_none_algorithms_cannot_be_configured():
    for algorithms in (["none"], ["HS256"], [], ["RS256", "none"]):
        with pytest.raises(ValueError) as e:
            jwks.check_algorithms(algorithms)
        assert "[jwt] algorithms" in str(e.value)


def test_a_rotated_key_is_fetched_once(issuer):
    verifier = _verifier(issuer, min_refetch=0)
    verifier.claims(issuer.token())
    assert issuer.requests == 1
    new = idp.Key()
    issuer.keys = [new, issuer.keys[0]]
    assert verifier.claims(issuer.token(key=new, project="p2"))[
        "project_id"] == "p2"
    assert issuer.requests == 2
    verifier.claims(issuer.token(key=new))
    assert issuer.requests == 2  # known now: no fetch


def test_unknown_kids_refetch_at_most_once_per_interval(issuer):
    verifier = _verifier(issuer, min_refetch=3600)
    verifier.claims(issuer.token())
    strangers = [idp.Key() for _ in range(5)]
    for key in strangers:
        with pytest.raises(jwks.TokenError) as e:
            verifier.claims(issuer.token(key=key))
        assert "unknown key" in str(e.value)
    assert issuer.requests == 1  # the flood did not reach the issuer


def test_an_unreachable_jwks_refuses_tokens_without_crashing():
    keys = jwks.KeySet("http://127.0.0.1:9/certs", timeout=0.5)
    verifier = jwks.Verifier(keys, idp.ISSUER, [idp.AUDIENCE], ["RS256"])
    key = idp.Key()
    token = jwt.encode({"iss": idp.ISSUER, "aud": idp.AUDIENCE,
                        "iat": int(time.time()),
                        "exp": int(time.time()) + 60}, key.private,
                       algorithm="RS256", headers={"kid": key.kid})
    with pytest.raises(jwks.TokenError) as e:
        verifier.claims(token)
    assert "unknown key" in str(e.value)


@pytest.mark.parametrize("value, roles", [
    (["admin", "member"], ("admin", "member")),
    ("admin, member", ("admin", "member")),
    (None, ()),
    (42, ()),
])
def test_roles_come_from_a_list_or_a_string(value, roles):
    assert auth.roles_of(value) == roles


def test_a_dotted_claim_reads_nested_objects():
    claims = {"realm_access": {"roles": ["a"]}, "p": "x"}
    assert auth.claim(claims, "realm_access.roles") == ["a"]
    assert auth.claim(claims, "p.q") is None
