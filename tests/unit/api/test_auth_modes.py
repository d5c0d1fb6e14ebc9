"""Starting the API in each authentication mode, and the callback URL's
token as the one credential of an unauthenticated completion."""
import subprocess
import sys

import pytest
import webtest

from tests.unit.api import base
from tests.unit.api import idp
from wfengine.api import app as api_app
from wfengine.api import auth
from wfengine.api.controllers.v2 import action_executions
from wfengine import callbacks
from wfengine import conf
from wfengine.db import models
from wfengine.db import session


@pytest.fixture
def override():
    done = []

    def set_(name, value, group="api"):
        conf.CONF.set_override(name, value, group=group)
        done.append((name, group))
    yield set_
    for name, group in done:
        conf.CONF.clear_override(name, group=group)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::",
                                  "api.example.com"])
def test_noauth_refuses_a_network_address_naming_the_option(
        db, override, host):
    override("host", host)
    with pytest.raises(auth.ConfigError) as e:
        api_app.setup_app(engine_client=base.FakeEngine())
    assert "[api] allow_noauth_on_network" in str(e.value)
    assert host in str(e.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1",
                                  "localhost"])
def test_noauth_serves_on_loopback(db, override, host):
    override("host", host)
    app = webtest.TestApp(api_app.setup_app(engine_client=base.FakeEngine()))
    assert app.get("/v2/workflows").json == {"workflows": []}


def test_noauth_on_the_network_when_the_operator_says_so(db, override):
    override("host", "0.0.0.0")
    override("allow_noauth_on_network", True)
    app = webtest.TestApp(api_app.setup_app(engine_client=base.FakeEngine()))
    assert app.get("/v2/workflows").status_int == 200


def test_jwt_mode_needs_a_jwks_url(db, override):
    override("auth_strategy", "jwt")
    with pytest.raises(auth.ConfigError) as e:
        api_app.setup_app(engine_client=base.FakeEngine())
    assert "[jwt] jwks_url" in str(e.value)


def test_jwt_mode_refuses_symmetric_algorithms(db, override):
    override("auth_strategy", "jwt")
    override("jwks_url", "http://127.0.0.1:9/certs", group="jwt")
    override("algorithms", ["HS256"], group="jwt")
    with pytest.raises(auth.ConfigError) as e:
        api_app.setup_app(engine_client=base.FakeEngine())
    assert "HS256" in str(e.value)


class CompletingEngine(base.FakeEngine):
    def complete_action(self, action_ex_id, **kwargs):
        self.calls.append(("complete", action_ex_id, kwargs))
        return {"id": action_ex_id}


@pytest.fixture
def jwt_app(db, override, monkeypatch):
    issuer = idp.Issuer()
    idp.configure(conf.CONF, issuer)
    monkeypatch.setattr(action_executions, "_signer", None)
    engine = CompletingEngine()
    session.unit_of_work(lambda s: s.add(models.ActionExecution(
        id="act-1", name="std.async_noop", state="RUNNING",
        project_id="proj-a", input={}, params={})))
    yield webtest.TestApp(api_app.setup_app(engine_client=engine)), \
        issuer, engine
    idp.clear(conf.CONF)
    issuer.stop()


def _complete(app, token=None, headers=None, status=200, query=None):
    query = query if query is not None else (
        "?token=%s" % token if token else "")
    return app.put_json("/v2/action_executions/act-1" + query,
                        {"state": "SUCCESS", "output": "done"},
                        headers=headers or {}, status=status)


def _token(key=None):
    return callbacks.load_signer("http://x", conf.CONF).token("act-1", key)


def test_a_callback_token_completes_without_credentials(jwt_app):
    app, _, engine = jwt_app
    assert _complete(app, _token()).json["id"] == "act-1"
    assert engine.calls[-1][0:2] == ("complete", "act-1")


def test_a_completion_without_token_or_credentials_is_refused(jwt_app):
    app, _, engine = jwt_app
    fault = _complete(app, status=401).json
    assert fault["faultstring"].startswith("Authentication failed")
    assert engine.calls == []


def test_a_member_of_the_project_completes_without_token(jwt_app):
    app, issuer, _ = jwt_app
    _complete(app, headers={"Authorization": "Bearer "
                            + issuer.token(project="proj-a")})
    _complete(app, headers={"Authorization": "Bearer "
                            + issuer.token(project="proj-b")}, status=404)


@pytest.mark.parametrize("query", [
    "?token=%C3%A9t%C3%A9", "?token=abc&token=def", "?token=wrong",
    "?token=",
])
def test_a_malformed_or_wrong_token_is_403_never_500(jwt_app, query):
    app, _, engine = jwt_app
    resp = _complete(app, query=query, status="*")
    assert resp.status_int in (401, 403), resp.text
    assert resp.json["debuginfo"] is None
    assert engine.calls == []


def test_a_rotated_key_accepts_old_tokens_during_the_window(
        jwt_app, override):
    app, _, engine = jwt_app
    override("callback_signing_key", "old-key-0123456789")
    old = _token()
    override("callback_signing_key", "new-key-9876543210")
    override("callback_previous_keys", ["old-key-0123456789"])
    action_executions._signer = None
    _complete(app, old)
    _complete(app, _token())
    override("callback_previous_keys", [])
    action_executions._signer = None
    _complete(app, old, status=403)


def test_the_server_refuses_noauth_on_the_network_before_starting(
        tmp_path):
    config = tmp_path / "wfengine.conf"
    config.write_text("[api]\nhost = 0.0.0.0\n[database]\nconnection = "
                      "sqlite:///%s\n" % (tmp_path / "never.sqlite"))
    done = subprocess.run(
        [sys.executable, "-m", "wfengine.cmd.launch", "--config-file",
         str(config)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "[api] allow_noauth_on_network" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "never.sqlite").exists()  # nothing started
