"""The real ``mistral`` CLI against wfengine, held to Mistral's outputs.

``cli_compare.SCRIPT`` runs every command of python-mistralclient's v2
shell with ``--os-mistral-url`` (table and ``-f json`` forms) against the
embedded server; each reduced output (ids, times and column widths out)
must equal the one recorded on Mistral 23.0.0
(``cli_compare/mistral.golden.json``, ``tools/cli_compare.py --record``),
except the commands listed in ``cli_compare/known_differences.yaml`` with
their reason, which must still differ (take one off when it matches).
"""
import os
import sys

import pytest

from tests.functional import cli_compare

pytestmark = pytest.mark.timeout(900)

MISTRAL = os.path.join(os.path.dirname(sys.executable), "mistral")


@pytest.fixture(scope="module")
def outputs(embedded, tmp_path_factory):
    if not os.path.exists(MISTRAL):
        pytest.fail("python-mistralclient's mistral script is missing: %s"
                    % MISTRAL)
    runner = cli_compare.Runner(MISTRAL, embedded.url,
                                str(tmp_path_factory.mktemp("cli-compare")))
    return runner.run()


def test_cli_outputs_match_mistral(outputs):
    expected = cli_compare.load_golden()
    known = cli_compare.load_known()
    cli_compare.check_recording(cli_compare.differences(expected, outputs), outputs,
                                known, cli_compare.KNOWN)


def test_known_differences_name_recorded_commands():
    expected = cli_compare.load_golden()
    for label, reason in cli_compare.load_known().items():
        assert label in expected, label
        assert reason, label
