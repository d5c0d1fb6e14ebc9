"""``/v2/openapi.json`` and a bounded schemathesis run against a live
server: no 500s, and every answer fits the document."""
import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from schemathesis import checks
from schemathesis.generation import GenerationMode

from tests.unit.api import base
from wfengine.api import app as api_app
from wfengine.api import openapi
from wfengine.api import server
from wfengine.db import models
from wfengine.db import session

pytestmark = pytest.mark.timeout(300)

CHECKS = (checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance,
          checks.response_schema_conformance)


def test_document_lists_every_resource(app):
    doc = app.get("/v2/openapi.json").json
    assert doc["openapi"].startswith("3.")
    for path in ("/v2/environments", "/v2/actions/{identifier}",
                 "/v2/workbooks/validate", "/v2/cron_triggers",
                 "/v2/executions/{id}/report", "/v2/workflows"):
        assert path in doc["paths"], path
    env = doc["components"]["schemas"]["Environment"]["properties"]
    assert env["variables"] == {"type": "string", "nullable": True}
    assert doc["servers"][0]["url"] == "http://localhost"


def test_document_is_fresh_on_every_call():
    first = openapi.document()
    first["paths"].clear()
    assert openapi.document()["paths"]


@pytest.fixture(scope="module")
def live_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("openapi") / "api.db"
    engine = session.configure("sqlite:///%s" % path)
    models.Base.metadata.create_all(engine)
    srv = server.build_server(api_app.setup_app(base.FakeEngine()),
                              "127.0.0.1", 0, 4)
    thread = srv.start_in_thread()
    url = "http://127.0.0.1:%d" % srv.address[1]
    _seed(url)
    yield url
    srv.stop()
    thread.join(10)
    session.dispose()


def _seed(url):
    import requests
    requests.post(url + "/v2/workflows", data=base.WF_TEXT,
                  headers={"Content-Type": "text/plain"}, timeout=10)
    requests.post(url + "/v2/environments", timeout=10,
                  json={"name": "env1", "variables": {"a": 1}})


@pytest.fixture(scope="module")
def api_schema(live_url):
    return schemathesis.openapi.from_url(live_url + "/v2/openapi.json")


def _operations(api_schema):
    for result in api_schema.get_all_operations():
        yield result.ok()


def _exercise(operation, mode=GenerationMode.POSITIVE, checks_=CHECKS):
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(max_examples=4, deadline=None, derandomize=True,
                         database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    def run(case):
        case.call_and_validate(checks=checks_)
    run()


def test_api_conforms(api_schema):
    failures = []
    operations = list(_operations(api_schema))
    assert len(operations) > 30
    for operation in operations:
        try:
            _exercise(operation)
        except Exception as e:  # every operation is tried; all reported
            failures.append("%s: %s" % (operation.label, e))
    assert not failures, "\n\n".join(failures)


def test_api_never_answers_500_to_data_that_breaks_the_document(api_schema):
    # Negative data: wrong types, missing fields, out-of-range values in
    # paths, queries and bodies. Any 4xx will do; a 5xx is a bug.
    failures = []
    for operation in _operations(api_schema):
        try:
            _exercise(operation, GenerationMode.NEGATIVE,
                      (checks.not_a_server_error,))
        except hypothesis.errors.Unsatisfiable:
            continue  # nothing breaks a lone free-text path parameter
        except Exception as e:
            failures.append("%s: %s" % (operation.label, e))
    assert not failures, "\n\n".join(failures)
