"""``[api] server_timing``: the server's own time of a request, in a
``Server-Timing`` header."""
import pathlib
import re
import subprocess
import sys

import webtest

from wfengine.api import app as api_app
from wfengine import conf

_DUR = re.compile(r"^app;dur=(\d+\.\d{3})$")


def test_off_by_default(app):
    assert "Server-Timing" not in app.get("/v2/workflows").headers


def test_each_response_carries_the_time_of_the_request(db, engine_client):
    conf.CONF.set_override("server_timing", True, group="api")
    try:
        app = webtest.TestApp(api_app.setup_app(engine_client=engine_client))
    finally:
        conf.CONF.clear_override("server_timing", group="api")
    for path, status in (("/v2/workflows", 200),
                         ("/v2/executions/nope", 404), ("/healthz", 200)):
        resp = app.get(path, status=status)
        match = _DUR.match(resp.headers["Server-Timing"])
        assert match, resp.headers["Server-Timing"]
        assert 0.0 < float(match.group(1)) < 60000.0


def test_the_module_loads_alone():
    # tools/peer_timing loads this file by path into another server's
    # process, where wfengine is not importable.
    path = pathlib.Path(api_app.__file__).with_name("timing.py")
    code = ("import importlib.util as u, sys; "
            "s = u.spec_from_file_location('t', %r); "
            "m = u.module_from_spec(s); s.loader.exec_module(m); "
            "print(m.ServerTiming.__name__, "
            "[n for n in sys.modules if n.startswith('wfengine')])"
            % str(path))
    out = subprocess.run([sys.executable, "-I", "-c", code],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ServerTiming []"
