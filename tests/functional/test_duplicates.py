"""Retries, duplicates and reordering (issue 17, DESIGN.md rules 1-3).

On a deployment where PostgreSQL itself fails a share of all commits
with a serialization failure or a deadlock (``WFENGINE_INJECT_DB_FAULTS``):

* every unit of work hit is retried whole: executions of sequences and
  joins all end SUCCESS with each task and action once;
* ten parallel starts with the same execution id make one execution;
* duplicated and reordered messages sent straight to the engines (a
  result again, a contrary result, a claim after the result, a start
  again) change nothing.
"""
import concurrent.futures
import json
import subprocess
import sys
import uuid

import pytest

from tests.functional import faultkit
from tests.functional import harness
from wfengine.rpc import messages

pytestmark = [pytest.mark.production, pytest.mark.timeout(240)]

LAYOUT = ["api", "engine", "engine", "executor", "executor"]
INJECT = "40001:0.1,40P01:0.1"


@pytest.fixture(scope="module")
def flaky(tmp_path_factory, postgres_db):
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    deployment = harness.Deployment(
        tmp_path_factory.mktemp("duplicates"), database=postgres_db,
        transport_url=harness.RABBIT_URL)
    deployment.db_manage()
    deployment.env["WFENGINE_INJECT_DB_FAULTS"] = INJECT
    with harness.running(deployment, LAYOUT):
        yield deployment


def test_injected_serialization_failures_and_deadlocks(flaky):
    seq, seq_names = harness.sequential_workflow("inj_seq", 6)
    join, join_names = harness.parallel_join_workflow("inj_join", 8)
    seq_ids = harness.start_many(flaky, seq, "inj_seq", 10)
    join_ids = harness.start_many(flaky, join, "inj_join", 10)
    executions = flaky.api.wait_all(seq_ids + join_ids, 150)
    harness.assert_exactly_once(
        flaky, {i: executions[i] for i in seq_ids}, seq_names)
    harness.assert_exactly_once(
        flaky, {i: executions[i] for i in join_ids}, join_names)
    logs = "".join(p.tail(100000) for p in flaky.by_name("engine"))
    assert "Injecting SQLSTATE 40001" in logs
    assert "Injecting SQLSTATE 40P01" in logs
    faultkit.assert_outbox_drained(flaky)


def test_ten_parallel_starts_with_the_same_id(flaky):
    definition, names = harness.sequential_workflow("same_id", 3)
    flaky.api.create_workflow(definition)
    ex_id = str(uuid.uuid4())

    def start():
        return flaky.api.request(
            "POST", "/executions", expect=(201,),
            json={"id": ex_id, "workflow_name": "same_id"}).json()["id"]

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _i: start(), range(10)))
    assert answers == [ex_id] * 10
    [(count,)] = flaky.db.query(
        "SELECT count(*) FROM workflow_executions WHERE id = %s", (ex_id,))
    assert count == 1
    executions = flaky.api.wait_all([ex_id], 60)
    harness.assert_exactly_once(flaky, executions, names)


# Sends RPC calls to the deployment's engines with wfengine's own client,
# as a confused executor or API would: reads [[method, kwargs], ...] as
# JSON, writes the answers.
_SENDER = """
import json, sys
from wfengine.conf import CONF
from wfengine.rpc import clients, server
CONF(["--config-file", sys.argv[1]], project="wfengine")
server.init(CONF)
client = clients.EngineClient()
out = [client._send(method, 30, **kwargs)
       for method, kwargs in json.load(sys.stdin)]
server.cleanup()
print(json.dumps(out))
"""


def _send_to_engine(deployment, calls):
    done = subprocess.run(
        [sys.executable, "-c", _SENDER, deployment.config_file],
        input=json.dumps(calls), capture_output=True, text=True,
        timeout=120, env=deployment.env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_duplicated_and_reordered_messages_change_nothing(flaky):
    definition, names = harness.sequential_workflow(
        "dup_msgs", 2, action="std.echo output=7")
    flaky.api.create_workflow(definition)
    ex_id = str(uuid.uuid4())
    flaky.api.request("POST", "/executions", expect=(201,), json={
        "id": ex_id, "workflow_name": "dup_msgs"})
    before = flaky.api.wait_all([ex_id], 60)
    actions = [flaky.api.get("/action_executions/%s" % a["id"])
               for t in flaky.api.tasks(ex_id)
               for a in flaky.api.action_executions(t["id"])]
    assert [harness.loads_field(a["output"]) for a in actions] == [
        {"result": 7}] * 2
    again = [messages.ActionResult(action_ex_id=a["id"], state="SUCCESS",
                                   result=7) for a in actions]
    contrary = [messages.ActionResult(action_ex_id=a["id"], state="ERROR",
                                      result="late", state_info="late")
                for a in actions]
    late_claims = [messages.ClaimAction(action_ex_id=a["id"],
                                        claim=str(uuid.uuid4()),
                                        executor="ghost") for a in actions]
    restart = messages.StartWorkflow(wf_identifier="dup_msgs",
                                     wf_ex_id=ex_id)
    calls = [["on_actions_complete", {"msgs": [m.to_dict() for m in b]}]
             for b in (again, contrary, list(reversed(contrary)))]
    calls.append(["claim_actions",
                  {"msgs": [m.to_dict() for m in late_claims]}])
    calls.append(["start_workflow", {"msg": restart.to_dict()}])
    answers = _send_to_engine(flaky, calls)
    assert answers[:4] == [[False] * len(actions)] * 4, answers
    assert answers[4]["id"] == ex_id
    after = flaky.api.wait_all([ex_id], 10)
    assert after[ex_id]["state"] == before[ex_id]["state"] == "SUCCESS"
    assert after[ex_id].get("output") == before[ex_id].get("output")
    harness.assert_exactly_once(flaky, after, names)
    for action in actions:
        now = flaky.api.get("/action_executions/%s" % action["id"])
        assert (now["state"], now["output"]) == (action["state"],
                                                 action["output"])
