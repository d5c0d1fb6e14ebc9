"""The real ``mistral`` CLI's authentication forms against wfengine, held
to Mistral's outputs.

A real Keystone (``keystone.py``) with the two users and projects of
``cli_auth.USERS``; the embedded wfengine in ``auth_strategy = keystone``
behind it. ``cli_auth.SCRIPT`` runs the CLI with the Keystone options, the
same as ``OS_*`` variables, a token, a wrong password, no credentials, a
bad token, another project's user, and Keystone's admin sharing a
workflow; each reduced output (ids, times,
column widths out, Keystone project ids named by their project) and each
failed command's error line must equal the one recorded on Mistral
23.0.0 with Keystone authentication (``cli_compare/mistral_auth.golden.json``,
``tools/cli_compare.py --auth --record``), except the commands listed in
``cli_compare/known_auth_differences.yaml`` with their reason, which must
still differ (take one off when it matches).
"""
import os
import sys

import pytest

from tests.functional import authn
from tests.functional import cli_auth
from tests.functional import cli_compare
from tests.functional import harness
from tests.functional import keystone

pytestmark = pytest.mark.timeout(900)

MISTRAL = os.path.join(os.path.dirname(sys.executable), "mistral")
PAGE = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "doc",
                    "source", "compatibility.rst")


@pytest.fixture(scope="module")
def ks(tmp_path_factory):
    server = keystone.Keystone(tmp_path_factory.mktemp("keystone"))
    server.start()
    try:
        cli_auth.ensure_members(server.url)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def outputs(ks, tmp_path_factory):
    if not os.path.exists(MISTRAL):
        pytest.fail("python-mistralclient's mistral script is missing: %s"
                    % MISTRAL)
    dep = authn.Deployment(tmp_path_factory.mktemp("wfengine-ks"), config={
        "api": {"auth_strategy": "keystone"},
        "keystone_authtoken": ks.authtoken_config()})
    with harness.running(dep, ["all"]):
        runner = cli_auth.Runner(MISTRAL, dep.url, ks.url,
                                 str(tmp_path_factory.mktemp("cli-auth")))
        return runner.run()


def test_cli_auth_forms_match_mistral(outputs):
    expected = cli_auth.load_golden()
    known = cli_auth.load_known()
    cli_compare.check_recording(cli_auth.differences(expected, outputs), outputs,
                                known, cli_auth.KNOWN)


def test_each_auth_form_is_recorded_and_worked_on_mistral():
    expected = cli_auth.load_golden()
    forms = {label.split(":")[0] for label in expected}
    assert forms == {"options", "environ", "token", "wrong", "none",
                     "badtoken", "bob", "admin"}
    # The forms with good credentials succeeded on Mistral and showed
    # alice's project; the refusals failed there.
    for label, output in expected.items():
        how = label.split(":")[0]
        if how in ("wrong", "none", "badtoken"):
            assert output["rc"] != 0 and output["error"], label
        elif how in ("environ", "token", "admin"):
            assert output["rc"] == 0, label
    shown = expected["token: workflow-list --filter name=cliauth_wf [json]"]
    assert "<project cliauth-proj-a>" in shown["stdout"]
    # Mistral's default policy: sharing is an admin's.
    refused = expected["options: workflow-create pub.yaml --public [json]"]
    assert "Operation forbidden" in refused["error"]
    shared = expected["bob: workflow-get cliauth_pub [json]"]
    assert shared["rc"] == 0 and "<project admin>" in shared["stdout"]


def test_known_auth_differences_name_recorded_commands():
    expected = cli_auth.load_golden()
    for label, reason in cli_auth.load_known().items():
        assert label in expected, label
        assert reason, label


def test_the_compatibility_page_quotes_the_current_counts():
    expected, known = cli_auth.load_golden(), cli_auth.load_known()
    with open(PAGE) as f:
        page = " ".join(f.read().split())
    section = page.split("The authentication forms, side by side", 1)[1]
    assert "Counts: %d command outputs; **%d the same, %d differ**" % (
        len(expected), len(expected) - len(known), len(known)) in section
