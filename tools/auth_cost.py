"""What ``[api] auth_strategy = jwt`` costs per request, against noauth.

Runs the API's WSGI application in this process (no HTTP server, no
other process), on a SQLite database holding one workflow execution, and
sends ``GET /v2/executions/<id>`` ``--requests`` times per round in each
mode: noauth, then jwt with one RS256 token signed by a key served as a
JWKS on loopback (fetched once, then cached, as in production), of a
member (``jwt``) and of an admin (``jwt-adm``) of the project. The cost
is the CPU time of this process (``time.process_time``: what other
processes on a loaded machine do is not counted) divided by the requests,
the lowest of ``--rounds`` rounds, per mode.

Rounds of the two modes alternate, so that a change of the machine's load
weighs on both alike. It also times the token check alone (signature,
``iss``/``aud``/``exp`` and the claims: ``api.jwks.Verifier.claims``) over
as many calls.

    python tools/auth_cost.py [--requests 2000] [--rounds 8]
"""
import argparse
import pathlib
import statistics
import sys
import tempfile
import time

import webtest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from tests.unit.api import idp  # noqa: E402  (the loopback issuer)
from wfengine.api import app as api_app  # noqa: E402
from wfengine.api import auth  # noqa: E402
from wfengine import conf  # noqa: E402
from wfengine.db import models  # noqa: E402
from wfengine.db import session  # noqa: E402

EX_ID = "00000000-0000-0000-0000-0000000000e1"


def _seed(sess):
    sess.add(models.WorkflowExecution(
        id=EX_ID, name="wf", workflow_id="wf-1", description="",
        state="SUCCESS", input={"a": 1}, output={"b": 2},
        params={"env": {"k": "v"}}, context={}, spec={"name": "wf"},
        project_id="proj-a"))


def _cpu_per_call(call, requests):
    """CPU microseconds of this process per ``call()``."""
    started = time.process_time()
    for _ in range(requests):
        call()
    return (time.process_time() - started) / requests * 1e6


def _getter(app, headers):
    url = "/v2/executions/" + EX_ID

    def get():
        app.get(url, headers=headers)
    for _ in range(200):  # warm caches; the JWKS is fetched here
        get()
    return get


def _report(name, costs):
    print("%-7s min %7.1f us  median %7.1f us  (rounds: %s)" % (
        name, min(costs), statistics.median(costs),
        ", ".join("%.1f" % c for c in costs)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    costs = {"noauth": [], "jwt": [], "jwt-adm": [], "check": []}
    with tempfile.TemporaryDirectory() as tmp:
        engine = session.configure("sqlite:///%s/cost.db" % tmp)
        models.Base.metadata.create_all(engine)
        session.unit_of_work(_seed)
        calls = {"noauth": _getter(webtest.TestApp(api_app.setup_app()), {})}
        with idp.serving(conf.CONF) as issuer:
            token = issuer.token(project="proj-a", lifetime=3600)
            calls["jwt"] = _getter(webtest.TestApp(api_app.setup_app()),
                                   {"Authorization": "Bearer " + token})
            # An admin passes the rules' first alternative (is_admin), as
            # noauth's caller does: jwt's cost without the rules' share.
            admin = issuer.token(project="proj-a", lifetime=3600,
                                 roles=["admin"])
            calls["jwt-adm"] = _getter(webtest.TestApp(api_app.setup_app()),
                                       {"Authorization": "Bearer " + admin})
            verifier = auth.build_verifier(conf.CONF.jwt)
            calls["check"] = lambda: verifier.claims(token)
            for _ in range(args.rounds):
                for name, call in calls.items():
                    costs[name].append(_cpu_per_call(call, args.requests))
        session.dispose()
    for name, values in costs.items():
        _report(name, values)
    print("jwt costs %+.1f us per request (%+.0f%%), lowest round of each"
          % (min(costs["jwt"]) - min(costs["noauth"]),
             (min(costs["jwt"]) / min(costs["noauth"]) - 1) * 100))


if __name__ == "__main__":
    main()
