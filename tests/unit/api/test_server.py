"""The real server: cheroot serving the app, used by python-mistralclient."""
import json
import urllib.request

import pytest

from tests.unit.api import base
from wfengine.api import app as api_app
from wfengine.api import server
from wfengine.api.controllers.v2 import workflows


@pytest.fixture
def live(db, engine_client, monkeypatch):
    monkeypatch.setattr(workflows, "_parse_workflows",
                        base.fake_parse_workflows)
    srv = server.build_server(api_app.setup_app(engine_client), "127.0.0.1",
                              0, 4)
    thread = srv.start_in_thread()
    yield "http://127.0.0.1:%d" % srv.address[1]
    srv.stop()
    thread.join(10)
    assert not thread.is_alive()


def test_serves_http(live):
    with urllib.request.urlopen(live + "/v2") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("application/json")
        assert json.loads(resp.read()) == {"uri": live + "/v2"}


def test_mistralclient_round_trip(live):
    client_mod = pytest.importorskip("mistralclient.api.v2.client")
    base_mod = pytest.importorskip("mistralclient.api.base")
    client = client_mod.Client(mistral_url=live + "/v2")

    wfs = client.workflows.create(base.WF_TEXT)
    assert [w.name for w in wfs] == ["wf1"]
    assert client.workflows.get("wf1").input == 'name, greeting="hello"'

    ex = client.executions.create("wf1", workflow_input={"name": "n"},
                                  description="d")
    assert ex.state == "RUNNING"
    assert json.loads(ex.input) == {"name": "n"}
    assert client.executions.get(ex.id).workflow_name == "wf1"
    listed = client.executions.list(limit=100, sort_keys="created_at",
                                    sort_dirs="desc",
                                    fields=["id", "workflow_name", "state"])
    assert [e.id for e in listed] == [ex.id]
    assert client.tasks.list(ex.id) == []

    with pytest.raises(base_mod.APIException) as err:
        client.executions.get("missing")
    assert err.value.error_code == 404
    assert "missing" in err.value.error_message
