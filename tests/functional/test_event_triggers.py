"""Event triggers and sub-executions over HTTP on real processes.

* ``/v2/event_triggers`` on the embedded server: create, list, show,
  change, delete, and Mistral's refusals.
* A notification sent on RabbitMQ with oslo.messaging (as an OpenStack
  service sends one) starts the trigger's workflow in a wfengine whose
  engine listens on the broker; a notification of another type starts
  nothing.
* ``/v2/executions/<id>/executions`` and ``/v2/tasks/<id>/executions`` of
  a real tree of nested sub-workflows, some failing.
"""
import json
import time

from oslo_config import cfg
from oslo_context import context
import oslo_messaging as messaging
from oslo_messaging import opts as messaging_opts
import pytest

from tests.functional import harness

pytestmark = pytest.mark.timeout(300)

WF = """---
version: '2.0'
evt_wf:
  input:
    - name
  output:
    got: <% $.name %>
  tasks:
    t:
      action: std.noop
"""
TREE = """---
version: '2.0'
sub_root:
  tasks:
    ok:
      workflow: sub_mid
      on-complete: [bad]
    bad:
      workflow: sub_fail
sub_mid:
  tasks:
    inner:
      workflow: sub_leaf
sub_leaf:
  tasks:
    l:
      action: std.noop
sub_fail:
  tasks:
    f:
      action: std.fail
"""
EVENT = "compute.instance.create.end"


def _trigger(api, wf_id, expect=(201,), **fields):
    body = {"name": "et", "workflow_id": wf_id, "exchange": "openstack",
            "topic": "notifications", "event": EVENT,
            "workflow_input": {"name": "ev"}}
    body.update(fields)
    return api.request("POST", "/event_triggers", expect=expect, json=body)


def test_event_triggers_over_http(embedded):
    api = embedded.api
    wf_id = api.create_workflow(WF)[0]["id"]
    et = _trigger(api, wf_id, workflow_params={"env": {"k": 1}}).json()
    assert json.loads(et["workflow_params"]) == {"env": {"k": 1}}
    assert api.get("/event_triggers/%s" % et["id"]) == et
    assert [t["id"] for t in api.get("/event_triggers")[
        "event_triggers"]] == [et["id"]]
    faults = [
        _trigger(api, wf_id, expect=(409,)),
        _trigger(api, wf_id, expect=(400,), event=""),
        _trigger(api, wf_id, expect=(400,), workflow_input={}),
        _trigger(api, "4f2f3c43-0b8e-4b8a-bb5e-1b6f3c1e2a11",
                 expect=(404,)),
        api.request("DELETE", "/workflows/evt_wf", expect=(400,)),
        api.request("PUT", "/event_triggers/%s" % et["id"], expect=(400,),
                    json={"topic": "other"})]
    for resp in faults:
        assert resp.json()["faultstring"], resp.text
    renamed = api.request("PUT", "/event_triggers/%s" % et["id"],
                          json={"name": "renamed"}).json()
    assert renamed["name"] == "renamed" and renamed["updated_at"]
    api.request("DELETE", "/event_triggers/%s" % et["id"], expect=(204,))
    api.request("GET", "/event_triggers/%s" % et["id"], expect=(404,))
    api.request("DELETE", "/workflows/evt_wf", expect=(204,))


@pytest.fixture
def broker_deployment(tmp_path):
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    tag = harness.random_hex()
    deployment = harness.Deployment(
        tmp_path, transport_url=harness.RABBIT_URL, config={
            "event_trigger": {"refresh_interval": "0.2",
                              "listener_pool": "wfe_events_" + tag}})
    deployment.events = ("wfe_evx_" + tag, "notifications",
                         "wfe_events_%s.wfe_evx_%s.notifications"
                         % (tag, tag))
    deployment.db_manage()
    try:
        with harness.running(deployment, ["all"]):
            yield deployment
    finally:
        _delete_queue(*deployment.events)


def _delete_queue(exchange, topic, pool_queue):
    import kombu
    try:
        with kombu.Connection(harness.AMQP_URL, connect_timeout=5) as conn:
            channel = conn.channel()
            channel.queue_delete(pool_queue)
            channel.exchange_delete(exchange)
    except Exception as exc:  # cleanup must not hide a test's result
        print("broker cleanup failed: %r" % exc)


class _ContextSerializer(messaging.NoOpSerializer):
    def serialize_context(self, ctxt):
        return ctxt.to_dict()


def _notifier(exchange, topic):
    """An OpenStack service's notifier on ``exchange``/``topic``."""
    conf = cfg.ConfigOpts()
    conf([], project="wfengine-test")
    for group, opts in messaging_opts.list_opts():
        if group in (None, "DEFAULT"):
            conf.register_opts(opts)
    conf.set_override("control_exchange", exchange)
    transport = messaging.get_notification_transport(
        conf, url=harness.RABBIT_URL)
    return transport, messaging.Notifier(
        transport, publisher_id="compute.host1", driver="messaging",
        topics=[topic], serializer=_ContextSerializer())


def _listening(deployment, exchange):
    def found():
        return any("Listening for event triggers on exchange %s" % exchange
                   in proc.tail(400) for proc in deployment.processes)
    harness.wait_until(found, 30, "the engine to listen on %s" % exchange)


def test_a_notification_starts_the_workflow(broker_deployment):
    api = broker_deployment.api
    exchange, topic, _ = broker_deployment.events
    wf_id = api.create_workflow(WF)[0]["id"]
    et = _trigger(api, wf_id, exchange=exchange, topic=topic).json()
    _listening(broker_deployment, exchange)
    transport, notifier = _notifier(exchange, topic)
    try:
        ctxt = context.RequestContext(project_id="proj-x", user_id="u-x")
        notifier.info(ctxt, "compute.instance.delete.end", {"i": 1})
        notifier.info(ctxt, EVENT, {"instance_id": "i-1"})
        found = harness.wait_until(
            lambda: api.list_executions(workflow_name="evt_wf"), 60,
            "the notification to start evt_wf")
    finally:
        transport.cleanup()
    ex_id = found[0]["id"]
    harness.wait_execution_state(api, ex_id, "SUCCESS")
    ex = api.execution(ex_id)
    assert json.loads(ex["output"]) == {"got": "ev"}
    described = json.loads(ex["description"])
    assert described["triggered_by"]["id"] == et["id"]
    event_params = json.loads(ex["params"])["event_params"]
    assert (event_params["service"], event_params["project_id"],
            event_params["user_id"]) == ("compute.host1", "proj-x", "u-x")
    time.sleep(1.0)  # the other event type started nothing meanwhile
    assert len(api.list_executions(workflow_name="evt_wf")) == 1


def test_sub_executions_of_a_real_tree(embedded):
    api = embedded.api
    api.create_workflow(TREE)
    root = api.start("sub_root")["id"]
    harness.wait_execution_state(api, root, "ERROR")
    body = api.get("/executions/%s/executions" % root)
    names = [e["workflow_name"] for e in body["executions"]]
    assert names == ["sub_root", "sub_mid", "sub_leaf", "sub_fail"]
    assert set(body) == {"executions"}
    assert all(e["root_execution_id"] in (None, root)
               for e in body["executions"])
    errors = api.get("/executions/%s/executions" % root, errors_only="true")
    assert [e["workflow_name"] for e in errors["executions"]] == [
        "sub_root", "sub_fail"]
    shallow = api.get("/executions/%s/executions" % root, max_depth="1")
    assert [e["workflow_name"] for e in shallow["executions"]] == [
        "sub_root", "sub_mid", "sub_fail"]
    ok_task = [t for t in api.tasks(root) if t["name"] == "ok"][0]
    of_task = api.get("/tasks/%s/executions" % ok_task["id"])
    assert [e["workflow_name"] for e in of_task["executions"]] == [
        "sub_mid", "sub_leaf"]
    api.request("GET", "/executions/nope/executions", expect=(404,))
