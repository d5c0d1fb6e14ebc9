"""Public Mistral workbooks: wfengine's validation verdicts equal Mistral's.

Each file of ``conformance/realworld/`` (workbooks and workflows that
OpenStack projects published; origin and licence in the README there) is
sent to the embedded server's validate endpoint, and the verdict (status
and ``valid``) must be the one Mistral 23.0.0 gave
(``realworld/validation.golden.json``, written by ``tools/realworld.py
--record``), except the files listed with their reason in
``realworld/known_differences.yaml`` (strict xfails). The ones that use
only standard actions run as conformance cases
(``conformance/realworld_runs/``, in ``test_differential.py``).
"""
import pytest

from tests.functional import differential
from tests.functional import realworld

pytestmark = pytest.mark.timeout(120)

GOLDEN = realworld.load_golden()
KNOWN = realworld.load_known()


def _params():
    return [pytest.param(rel, id=rel, marks=[pytest.mark.xfail(
        strict=True, reason=KNOWN[rel])] if rel in KNOWN else [])
        for rel in sorted(GOLDEN)]


def test_every_file_has_a_recorded_verdict():
    assert sorted(GOLDEN) == [rel for rel, _text in realworld.files()]


@pytest.mark.parametrize("rel", _params())
def test_same_verdict_as_mistral(embedded, rel):
    text = dict(realworld.files())[rel]
    got = realworld.verdict(differential.Server(embedded.url), text)
    assert got == GOLDEN[rel], "%s: Mistral %s, wfengine %s" % (
        rel, GOLDEN[rel], got)
