"""wfengine against the recorded outcomes of Mistral 23.0.0.

Every conformance case with a golden file (``<case>.golden.json``, written
by ``tools/differential.py --record`` from a real Mistral 23.0.0) runs on
the embedded default and its normalised outcome must equal Mistral's.
Cases listed in ``conformance/known_differences.yaml`` are strict xfails:
``known`` ones wait for a fix, ``deliberate`` ones are differences
described in ``doc/source/compatibility.rst``. When one starts to match,
the xfail turns into a failure: take it off the list.
"""
import concurrent.futures
import json

import pytest
import yaml

from tests.functional import differential
from tests.functional import harness

pytestmark = pytest.mark.timeout(900)
# Cases run at the same time against the embedded server (their
# definitions never share a name: test_cases_do_not_share_definition_names).
JOBS = 4

KNOWN = differential.load_known()
CASES = [c for c in differential.load_cases()
         if differential.load_golden(c) is not None]


def _params():
    params = []
    for case in CASES:
        marks = []
        listed = KNOWN.get(case["id"])
        if listed:
            marks.append(pytest.mark.xfail(strict=True, reason="%s: %s" % (
                listed.get("kind", "known"), listed["reason"])))
        params.append(pytest.param(case, marks=marks, id=case["id"]))
    return params


@pytest.fixture(scope="module")
def stub():
    with harness.StubHttpServer(routes=differential.STUB_ROUTES,
                                default=differential.stub_default) as server:
        yield server


def _server(url, stub_url):
    server = differential.Server(url, stub_url)
    # requests reads proxy settings from os.environ on every call unless
    # told not to; pytest changes os.environ (PYTEST_CURRENT_TEST) while
    # the cases run in threads, and the iteration fails (KeyError).
    server.session.trust_env = False
    return server


@pytest.fixture(scope="module")
def outcomes(request, embedded_http, stub):
    """The selected cases, run JOBS at a time (most of a case's time is
    spent waiting for timers and states; one at a time the corpus takes
    about ten minutes): ``{case id: future of its outcome}``."""
    wanted = [item.callspec.params["case"] for item in request.session.items
              if item.module is request.module and "case" in getattr(
                  getattr(item, "callspec", None), "params", {})]
    pool = concurrent.futures.ThreadPoolExecutor(JOBS)
    futures = {case["id"]: pool.submit(differential.run_case, _server(
        embedded_http.url, stub.url), case) for case in wanted}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("case", _params())
def test_same_outcome_as_mistral(outcomes, case):
    actual = outcomes[case["id"]].result(timeout=600)
    diff = differential.differences(case, differential.load_golden(case),
                                    actual)
    assert not diff, "%s (%s) differs from Mistral 23.0.0:\n%s\nwfengine: %s" % (
        case["id"], (case.get("description") or "").strip(),
        "\n".join(diff), json.dumps(actual, indent=1, sort_keys=True)[:4000])


def _defined_names(case):
    texts = [case.get("workflow"), case.get("workbook")] + [
        w["definition"] for w in case.get("workflows", [])]
    names = set()
    for text, namespace in zip(texts, [None, None] + [
            w.get("namespace") for w in case.get("workflows", [])]):
        if not text:
            continue
        try:
            body = yaml.safe_load(text)
        except yaml.YAMLError:
            continue        # a case about a definition that is not YAML
        if not isinstance(body, dict):
            continue
        if "name" in body and (text is case.get("workbook") or
                               "workflows" in body):     # a workbook
            names.add(("workbook", body["name"]))
            continue
        names |= {(namespace, k) for k in body if k != "version"}
    return names


def test_cases_do_not_share_definition_names():
    """Cases run side by side against one server: a workflow name used by
    two cases would let one overwrite the other's definition (cases that
    run one public workbook file, unchanged, may share it)."""
    owner = {}
    for case in differential.load_cases():
        for name in _defined_names(case):
            mine = (case["id"], case.get("workbook_file"))
            if name in owner and mine[1] and owner[name][1] == mine[1]:
                continue
            assert name not in owner, "%s defined by %s and %s" % (
                name, owner[name][0], case["id"])
            owner[name] = mine


def test_known_differences_name_existing_cases():
    ids = {c["id"] for c in differential.load_cases()}
    for case_id, listed in KNOWN.items():
        assert case_id in ids, "known_differences.yaml: no case %s" % case_id
        assert listed.get("kind", "known") in ("known", "deliberate")
        assert listed.get("reason"), case_id
