"""With no engine answering, wfengine's multi shape held to Mistral's
recorded answers (issue 17).

``engineless_compare.run`` (a start, a completion of an asynchronous
action and three reads while the engine is lost, then what became of
each once it is back) runs on api + engine + executor over RabbitMQ and
PostgreSQL, once with the engine terminated (SIGTERM) and once frozen
(SIGSTOP), at wfengine's defaults. Its reduced observations must equal
those recorded on Mistral 23.0.0 multi
(``engineless_compare/mistral.json``, ``tools/engineless_compare.py
--record``), except the deliberate differences of
``engineless_compare/differences.yaml``, which must hold wfengine's
listed value and still differ from Mistral's. The timings behind
"prompt" are checked in numbers too: Mistral waited its RPC timeout,
wfengine answers within ``[api] engine_answer_timeout`` plus a margin.
"""
import json
import signal

import pytest

from tests.functional import engineless_compare
from tests.functional import harness

pytestmark = [pytest.mark.production, pytest.mark.timeout(600)]

# wfengine's default [api] engine_answer_timeout, and the margin of
# test_engineless_api.py (ticket transaction, gate, a loaded machine).
ANSWER_WITHIN = 2.0 + 3


class WfengineEngine(engineless_compare.Engine):
    def __init__(self, deployment):
        self.deployment = deployment

    def _engine(self):
        [engine] = [p for p in self.deployment.by_name("engine")
                    if p.alive()]
        return engine

    def stop(self, mode):
        if mode == "frozen":
            self.frozen = self._engine()
            self.frozen.signal(signal.SIGSTOP)
        else:
            assert self.deployment.kill(self._engine(), signal.SIGTERM,
                                        timeout=60) == 0

    def resume(self, mode):
        if mode == "frozen":
            self.frozen.signal(signal.SIGCONT)
        else:
            self.deployment.start("engine")
        self.deployment.wait_for_consumers(60)

    def action_ready(self, action_id):
        # Before its executor claimed it, wfengine refuses a completion.
        harness.wait_action_claimed(self.deployment, action_id)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, postgres_db):
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    dep = harness.Deployment(tmp_path_factory.mktemp("engineless-compare"),
                             database=postgres_db,
                             transport_url=harness.RABBIT_URL)
    dep.db_manage()
    with harness.running(dep, ["api", "engine", "executor"]):
        yield dep


@pytest.fixture(scope="module")
def recording():
    return engineless_compare.load_recording()


def _recorded(recording, mode):
    [obs] = [o for o in recording["observations"] if o["mode"] == mode]
    return obs


@pytest.mark.parametrize("mode", engineless_compare.MODES)
def test_no_engine_answers_as_recorded_on_mistral(deployment, recording,
                                                  mode):
    mistral = _recorded(recording, mode)
    # The engine stays away as long as Mistral's did (its RPC timeout):
    # what a thawed engine does with what it holds may depend on it.
    observed = engineless_compare.run(deployment.url,
                                      WfengineEngine(deployment), mode,
                                      hold=mistral["engine_away"])
    print(json.dumps(observed, indent=1, sort_keys=True))  # on failure
    problems = engineless_compare.compare(
        mistral, observed, engineless_compare.load_differences())
    assert not problems, "\n".join(problems)
    # The numbers behind "prompt": Mistral held both requests for its
    # whole RPC timeout; wfengine answers each at its own deadline.
    timeout = recording["rpc_response_timeout"]
    for request in ("start", "complete"):
        assert mistral[request]["took"] >= timeout, mistral[request]
        assert observed[request]["took"] < ANSWER_WITHIN, observed[request]
    assert observed["engine_away"] >= mistral["engine_away"]
    for read in observed["reads"].values():
        assert read["took"] < engineless_compare.PROMPT, read


def test_differences_name_recorded_paths(recording):
    reduced = {}
    for obs in recording["observations"]:
        reduced.update({"%s.%s" % (obs["mode"], path): value for path, value
                        in engineless_compare.reduce(obs).items()})
    for path, listed in engineless_compare.load_differences().items():
        assert listed.get("reason"), path
        assert "wfengine" in listed, path
        assert path in reduced, path
        assert reduced[path] != listed["wfengine"], path


def test_mistral_answered_the_same_with_a_shorter_rpc_timeout(recording):
    """Mistral's outcomes do not hang on its 60 s timeout: recorded again
    with ``rpc_response_timeout = 10``, every reduced field is the same,
    and both requests waited the 10 s."""
    short = engineless_compare.load_recording(
        engineless_compare.SHORT_RECORDING)
    assert short["rpc_response_timeout"] == 10
    for obs in short["observations"]:
        assert engineless_compare.reduce(obs) == engineless_compare.reduce(
            _recorded(recording, obs["mode"]))
        for request in ("start", "complete"):
            assert 10 <= obs[request]["took"] < 20, obs[request]
