"""Signing in to the console with the API in ``jwt`` mode (a JWKS served
on loopback, tokens signed with real RSA keys)."""
import urllib.parse

import pytest
import webtest

from tests.unit.api import base
from tests.unit.api import idp
from wfengine.api import app as api_app
from wfengine.api.controllers.v2 import workflows
from wfengine.console import cookies
from wfengine import conf
from wfengine.db import models
from wfengine.db import session

HX = {"HX-Request": "true"}
HOST = "http://localhost:80"
WF = "---\nversion: '2.0'\n%s:\n  tasks:\n    t1:\n      action: std.noop\n"


@pytest.fixture
def issuer():
    with idp.serving(conf.CONF) as server:
        yield server


@pytest.fixture
def app(tmp_path, monkeypatch, issuer):
    engine = session.configure("sqlite:///%s" % (tmp_path / "s.db"))
    models.Base.metadata.create_all(engine)
    monkeypatch.setattr(workflows, "_parse_workflows",
                        base.fake_parse_workflows)
    test_app = webtest.TestApp(api_app.setup_app(
        engine_client=base.FakeEngine()))
    for project in ("proj-a", "proj-b"):
        test_app.post("/v2/workflows", WF % ("wf_of_" + project.replace(
            "-", "_")), content_type="text/plain", headers={
                "X-Auth-Token": issuer.token(project=project)})
    yield test_app
    session.dispose()


def _sign_in(app, token, next_path=None, status=303, headers=None):
    form = {"token": token}
    if next_path:
        form["next"] = next_path
    return app.post("/console/login", form, status=status,
                    headers=headers or {"Origin": HOST})


def _cookie(response):
    return [h for n, h in response.headerlist
            if n == "Set-Cookie" and h.startswith(cookies.COOKIE + "=")][-1]


def test_pages_without_a_token_go_to_the_sign_in_page(app):
    page = app.get("/console/executions?state=ERROR", status=303)
    target = urllib.parse.urlsplit(page.location)
    assert target.path == "/console/login"
    assert urllib.parse.parse_qs(target.query)["next"] == [
        "/executions?state=ERROR"]
    login = app.get(page.location)
    assert "Paste one" in login.text
    assert 'value="/executions?state=ERROR"' in login.text
    # htmx's partial requests are told where to go instead.
    rows = app.get("/console/executions/rows", headers=HX, status=401)
    assert rows.headers["HX-Redirect"].startswith("/console/login")
    # The stylesheet of the sign-in page needs no token.
    app.get("/console/static/console.css", status=200)


def test_a_wrong_token_is_refused_with_the_api_s_message(app, issuer):
    forged = issuer.token(key=idp.Key(kid=issuer.keys[0].kid))
    page = _sign_in(app, forged, status=401)
    assert "The API refused this token (401)" in page.text
    assert "Authentication failed" in page.text and "ignature" in page.text
    assert "Set-Cookie" not in page.headers
    expired = _sign_in(app, issuer.token(lifetime=-120), status=401)
    assert "expired" in expired.text.lower()
    assert "Paste a token" in _sign_in(app, "  ", status=401).text
    assert "characters no token has" in _sign_in(
        app, "a;b<script>", status=401).text


def test_a_good_token_signs_in_and_shows_its_project_only(app, issuer):
    signed = _sign_in(app, issuer.token(project="proj-a"),
                      next_path="/workflows")
    assert signed.location.endswith("/console/workflows")
    cookie = _cookie(signed)
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    assert "Path=/console" in cookie and "secure" not in cookie.lower()
    page = app.get("/console/workflows")
    assert "wf_of_proj_a" in page.text and "wf_of_proj_b" not in page.text
    assert "Sign out" in page.text
    app.get("/console/executions", status=200)
    # A token header of the request's own wins over the cookie.
    other = app.get("/console/workflows", headers={
        "X-Auth-Token": issuer.token(project="proj-b")})
    assert "wf_of_proj_b" in other.text and "wf_of_proj_a" not in other.text


def test_the_cookie_is_secure_over_https(app, issuer):
    signed = _sign_in(app, issuer.token(), headers={
        "X-Forwarded-Proto": "https", "Origin": "https://localhost:80"})
    assert "secure" in _cookie(signed).lower()


def test_the_cookie_does_not_authenticate_the_api(app, issuer):
    token = issuer.token(project="proj-a")
    _sign_in(app, token)
    app.get("/console/workflows", status=200)
    refused = app.get("/v2/workflows", status=401, headers={
        "Cookie": "%s=%s" % (cookies.COOKIE, token)})
    assert "Authentication failed" in refused.json["faultstring"]
    assert app.get("/v2/workflows", headers={
        "X-Auth-Token": token}).json["workflows"]


def test_sign_out_forgets_the_token(app, issuer):
    _sign_in(app, issuer.token())
    app.get("/console/workflows", status=200)
    out = app.post("/console/logout", headers={"Origin": HOST}, status=303)
    assert "Max-Age=0" in _cookie(out)
    assert "Signed out" in app.get(out.location).text
    app.get("/console/workflows", status=303)


def test_an_expired_cookie_goes_back_to_the_sign_in_page(app, issuer):
    app.set_cookie(cookies.COOKIE, issuer.token(lifetime=-120))
    page = app.get("/console/workflows", status=303)
    assert "Max-Age=0" in _cookie(page)
    assert "no longer accepts the token" in app.get(page.location).text
    # Fragments are told where to go; the sign-in page takes no text from
    # the URL (a link from elsewhere can not put words on it).
    app.set_cookie(cookies.COOKIE, issuer.token(lifetime=-120))
    rows = app.get("/console/executions/rows", headers=HX, status=401)
    assert "reason=refused" in rows.headers["HX-Redirect"]
    assert "Pay" not in app.get("/console/login?message=Pay+here").text


def test_cross_origin_posts_are_refused(app, issuer):
    _sign_in(app, issuer.token())
    for evil in ({"Origin": "http://evil.example"},
                 {"Origin": "null"},
                 {"Referer": "http://evil.example/page"},
                 {"Origin": "https://localhost:80"}):
        refused = app.post("/console/executions/x/state",
                           {"state": "PAUSED"}, headers=dict(HX, **evil),
                           status=403)
        assert "same origin" in refused.text
    # Nor can another site sign the browser in (or out).
    _sign_in(app, issuer.token(project="proj-b"), status=403,
             headers={"Origin": "http://evil.example"})
    app.post("/console/logout", headers={
        "Referer": "http://evil.example/"}, status=403)
    # From the console's own page the same action reaches the API.
    own = app.post("/console/executions/x/state", {"state": "BOOM"},
                   headers=dict(HX, Referer=HOST + "/console/executions"),
                   status=400)
    assert "Unknown action" in own.text


def test_noauth_mode_has_no_sign_in(tmp_path, monkeypatch):
    engine = session.configure("sqlite:///%s" % (tmp_path / "n.db"))
    models.Base.metadata.create_all(engine)
    plain = webtest.TestApp(api_app.setup_app(
        engine_client=base.FakeEngine()))
    try:
        page = plain.get("/console/executions")
        assert "Sign out" not in page.text
        assert plain.get("/console/login", status=303).location.endswith(
            "/console/executions")
    finally:
        session.dispose()
