"""``[monitoring] metrics_require_auth``: /metrics behind the API's
authentication (jwt mode, tokens from a JWKS on loopback) and the
``metrics:get`` rule; the probes open whatever the option says."""
import pytest
import webtest

from tests.unit.api import base
from tests.unit.api import idp
from wfengine.api import app as api_app
from wfengine.api import policy
from wfengine import conf


@pytest.fixture
def issuer(db):
    with idp.serving(conf.CONF) as server:
        yield server


@pytest.fixture
def make_app(issuer):
    def make(require):
        conf.CONF.set_override("metrics_require_auth", require,
                               group="monitoring")
        return webtest.TestApp(api_app.setup_app(
            engine_client=base.FakeEngine()))
    yield make
    conf.CONF.clear_override("metrics_require_auth", group="monitoring")


def _bearer(issuer, roles):
    return {"Authorization": "Bearer %s" % issuer.token(
        project="proj-ops", roles=roles)}


def _probes_answer(app):
    assert app.get("/healthz").json["status"] == "alive"
    ready = app.get("/readyz", expect_errors=True)
    assert ready.status_int in (200, 503) and "status" in ready.json


def test_by_default_metrics_answer_without_credentials(make_app):
    app = make_app(False)
    resp = app.get("/metrics")
    assert resp.content_type == "text/plain"
    assert b"wfengine_" in resp.body
    _probes_answer(app)


def test_required_metrics_want_a_token_and_the_rule(make_app, issuer):
    app = make_app(True)
    for headers in ({}, {"Authorization": "Bearer not-a-jwt"}):
        refused = app.get("/metrics", headers=headers, status=401)
        assert set(refused.json) == {"faultcode", "faultstring",
                                     "debuginfo"}
    member = app.get("/metrics", headers=_bearer(issuer, ["member"]),
                     status=403)
    assert "metrics:get" in member.json["faultstring"]
    admin = app.get("/metrics", headers=_bearer(issuer, ["admin"]))
    assert admin.content_type == "text/plain"
    assert b"wfengine_" in admin.body
    # The probes stay open, and the API still wants its own token.
    _probes_answer(app)
    app.get("/v2/workflows", status=401)


def test_an_override_file_lets_a_scraper_role_read_metrics(
        make_app, issuer, tmp_path):
    rules = tmp_path / "policy.yaml"
    rules.write_text('"metrics:get": "rule:context_is_admin or '
                     'role:metrics_reader"\n')
    conf.CONF.set_override("policy_file", str(rules), group="oslo_policy")
    try:
        policy.reset()
        app = make_app(True)
        app.get("/metrics", headers=_bearer(issuer, ["metrics_reader"]),
                status=200)
        app.get("/metrics", headers=_bearer(issuer, ["member"]), status=403)
    finally:
        conf.CONF.clear_override("policy_file", group="oslo_policy")
        policy.reset()
