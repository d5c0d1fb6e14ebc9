"""Signing in to the console in a real browser (headless Chromium), the
server in ``jwt`` mode against a JWKS on loopback: a page without a
token leads to the sign-in page, a forged token is refused with the API's
message, a good one shows its project's workflows only, no script can
read the cookie, and signing out forgets it."""
import pytest
import requests

from tests.functional import authn
from tests.functional import harness
from tests.functional.console_browser import (  # noqa: F401 (fixtures)
    browser, page)
from tests.unit.api import idp

pytestmark = pytest.mark.timeout(300)
WF = "version: '2.0'\n%s:\n  tasks:\n    t:\n      action: std.noop\n"


@pytest.fixture(scope="module")
def issuer():
    server = idp.Issuer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def dep(issuer, tmp_path_factory):
    d = authn.Deployment(tmp_path_factory.mktemp("signin"),
                         config=idp.deployment_config(issuer))
    with harness.running(d, ["all"]):
        for project in ("proj-a", "proj-b"):
            resp = requests.post(
                d.url + "/workflows", data=(WF % ("only_" + project.replace(
                    "-", "_"))).encode(), timeout=30, headers={
                    "Content-Type": "text/plain",
                    "Authorization": "Bearer " + issuer.token(
                        project=project)})
            assert resp.status_code == 201, resp.text
        yield d


def _console(dep, path):
    return "http://%s:%d/console%s" % (harness.LOOPBACK, dep.port, path)


def test_sign_in_with_a_token_and_out_again(page, dep, issuer):
    page.goto(_console(dep, "/workflows"))
    assert "/console/login" in page.url
    forged = issuer.token(key=idp.Key(kid=issuer.keys[0].kid))
    page.fill("#token", forged)
    page.click("button[type=submit]")
    assert "Authentication failed" in page.inner_text("#login-error")

    page.fill("#token", issuer.token(project="proj-a"))
    page.click("button[type=submit]")
    page.wait_for_url("**/console/workflows")
    text = page.inner_text("main")
    assert "only_proj_a" in text and "only_proj_b" not in text
    kept = [c for c in page.context.cookies()
            if c["name"] == "wfengine_console_token"]
    assert kept and kept[0]["httpOnly"] and kept[0]["sameSite"] == "Strict"
    assert kept[0]["path"] == "/console"
    assert "wfengine_console_token" not in page.evaluate("document.cookie")
    # The API itself does not take the browser's cookie.
    assert page.request.get(dep.url + "/workflows").status == 401

    page.click("text=Sign out")
    page.wait_for_url("**/console/login*")
    assert "Signed out" in page.inner_text("main")
    page.goto(_console(dep, "/executions"))
    assert "/console/login" in page.url
