"""The companion CLI and python-mistralclient against the API in jwt mode,
served by the real HTTP server on loopback."""
import os
import subprocess
import sys

import pytest

from tests.unit.api import base
from tests.unit.api import idp
from wfengine.api import app as api_app
from wfengine.api import policy
from wfengine.api import server
from wfengine.api.controllers.v2 import workflows
from wfengine import conf


@pytest.fixture
def live(db, engine_client, monkeypatch):
    issuer = idp.Issuer()
    idp.configure(conf.CONF, issuer)
    policy.reset()
    monkeypatch.setattr(workflows, "_parse_workflows",
                        base.fake_parse_workflows)
    monkeypatch.delenv("WFENGINE_TOKEN", raising=False)
    monkeypatch.delenv("OS_AUTH_URL", raising=False)
    srv = server.build_server(api_app.setup_app(engine_client), "127.0.0.1",
                              0, 4)
    thread = srv.start_in_thread()
    yield "http://127.0.0.1:%d" % srv.address[1], issuer
    srv.stop()
    thread.join(10)
    idp.clear(conf.CONF)
    issuer.stop()


def _cli(url, *args, token=None):
    """Run the CLI in its own process (cliff sets up logging globally)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("WFENGINE_TOKEN", "OS_AUTH_URL")}
    if token:
        env["WFENGINE_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "wfengine.cli.main", "--url", url, *args],
        capture_output=True, text=True, env=env, timeout=60)


def test_the_cli_sends_its_token(live, tmp_path):
    url, issuer = live
    text = tmp_path / "wf.yaml"
    text.write_text(base.WF_TEXT)
    token = issuer.token(project="proj-cli")
    done = _cli(url, "--token", token, "workflow-create", str(text),
                "-f", "value", "-c", "Name")
    assert done.returncode == 0, done.stderr
    assert "wf1" in done.stdout
    done = _cli(url, "workflow-list", "-f", "value", "-c", "Project ID",
                token=token)  # from WFENGINE_TOKEN
    assert done.stdout.split() == ["proj-cli"], done.stderr


def test_the_cli_says_401_plainly(live):
    url, _ = live
    done = _cli(url, "workflow-list")
    assert done.returncode == 1
    assert "HTTP 401" in done.stderr and "--token" in done.stderr
    assert "Traceback" not in done.stderr


def test_python_mistralclient_with_a_token(live):
    client_mod = pytest.importorskip("mistralclient.api.v2.client")
    url, issuer = live
    client = client_mod.Client(mistral_url=url + "/v2",
                               auth_token=issuer.token(project="proj-m"))
    assert [w.project_id for w in client.workflows.create(base.WF_TEXT)] \
        == ["proj-m"]
    assert [w.name for w in client.workflows.list()] == ["wf1"]
