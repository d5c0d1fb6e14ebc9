"""The engine's RPC endpoint: wire dicts in, messages to the service."""
import oslo_messaging as messaging

from wfengine import exceptions
from wfengine.engine import service_actions
from wfengine.rpc import messages


class EngineEndpoint:
    """RPC endpoint: turns wire dicts into messages and calls the service."""

    target = messaging.Target(version=messages.RPC_VERSION)

    def __init__(self, service):
        self._service = service

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def start_workflow(self, ctxt, msg):
        return self._service.start_workflow(
            messages.StartWorkflow.from_dict(msg))

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def update_execution(self, ctxt, msg):
        return self._service.update_execution(
            messages.UpdateExecution.from_dict(msg))

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def run_action(self, ctxt, msg):
        return self._service.run_action(messages.StartAction.from_dict(msg))

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def delete_action_execution(self, ctxt, msg):
        return self._service.delete_action_execution(
            messages.DeleteActionExecution.from_dict(msg))

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def delete_execution(self, ctxt, msg):
        return self._service.delete_execution(
            messages.DeleteExecution.from_dict(msg))

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def update_task(self, ctxt, msg):
        return self._service.update_task(messages.UpdateTask.from_dict(msg))

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def claim_action(self, ctxt, msg):
        return self._service.claim_action(messages.ClaimAction.from_dict(msg))

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def on_action_complete(self, ctxt, msg):
        return self._service.on_action_complete(
            messages.ActionResult.from_dict(msg))

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def claim_actions(self, ctxt, msgs):
        return self._service.claim_actions(
            [messages.ClaimAction.from_dict(m) for m in msgs])

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def hand_back_actions(self, ctxt, msgs):
        return [self._service.recover_orphan(
            m["action_ex_id"], m["claim"], m["executor"],
            service_actions.HANDED_BACK) for m in msgs]

    @messaging.expected_exceptions(exceptions.WFEngineException)
    def on_actions_complete(self, ctxt, msgs):
        return self._service.on_actions_complete(
            [messages.ActionResult.from_dict(m) for m in msgs])
