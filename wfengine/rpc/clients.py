"""RPC clients: the only senders of messages between services.

Each method is sent at the version ``rpc.table`` gives it (the one that
introduced it, or a later one for a field added later that carries a
value), so a server of an older release keeps serving what it knows.
"""
import logging
import time

import oslo_messaging as messaging
from oslo_messaging.rpc import dispatcher

from wfengine import exceptions
from wfengine.conf import CONF
from wfengine.rpc import messages
from wfengine.rpc import server
from wfengine.rpc import table

LOG = logging.getLogger(__name__)


# How an engine of an older RPC version refuses a message it can not read.
REFUSED_AS_OLDER = (messaging.RemoteError, dispatcher.UnsupportedVersion)


def refused_as_older(error):
    """Whether ``error`` (one of :data:`REFUSED_AS_OLDER`) is an engine's
    refusal of a message newer than its RPC version, unread: a
    ``RemoteError`` naming ``UnsupportedVersion`` over a broker, the
    exception itself in-process."""
    older = dispatcher.UnsupportedVersion
    return isinstance(error, older) or \
        getattr(error, "exc_type", None) == older.__name__


class EngineClient:
    """Calls the engine (used by the API and by executors)."""

    def __init__(self, timeout=None):
        self._client = server.get_client(CONF.engine.topic,
                                         messages.RPC_VERSION, timeout)

    def _call(self, method, msg, timeout=None):
        return self._send(method, timeout, msg=msg.to_dict())

    def _call_many(self, method, msgs, timeout=None):
        return self._send(method, timeout, msgs=[m.to_dict() for m in msgs])

    def _send(self, method, timeout, **kwargs):
        """Call ``method`` with its wire dicts (``msg=`` or ``msgs=``) at
        the version they need."""
        client = _pinned(self._client, table.ENGINE, method, kwargs)
        if timeout is not None:
            client = client.prepare(timeout=timeout)
        try:
            return client.call({}, method, **kwargs)
        except messaging.MessagingTimeout as e:
            raise exceptions.EngineUnavailable() from e

    def _call_resending(self, method, msg, resend_after, within=None):
        """``_call`` for a message the engine takes once however often it
        arrives: sent again after ``resend_after`` seconds without an
        answer, until ``within`` seconds (by default
        ``rpc_response_timeout``) have passed. A message RabbitMQ dropped
        (no engine listening yet) or lost in a broker restart costs one
        resend, not the whole timeout."""
        # In-process calls are never lost and have no timeout option.
        total = within or (CONF.rpc_response_timeout
                           if "rpc_response_timeout" in CONF
                           else resend_after)
        deadline = time.monotonic() + total
        while True:
            left = deadline - time.monotonic()
            try:
                return self._call(method, msg, min(resend_after, left))
            except exceptions.EngineUnavailable:
                if deadline - time.monotonic() < 0.1:
                    raise
                LOG.warning("No engine answered %s within %.1fs; sending "
                            "it again", method, resend_after)

    def start_workflow(self, wf_identifier, wf_namespace="", wf_input=None,
                       description="", params=None, wf_ex_id=None,
                       resend_after=None, project_id=None, user_id=None,
                       ticket=None, within=None):
        """Create and start an execution; returns ``{"id": ...}``.

        :param wf_ex_id: the id the execution gets; a start naming an
            existing execution answers with it and starts nothing.
        :param resend_after: with ``wf_ex_id``: seconds to wait for an
            answer before sending the start again.
        :param ticket: the start ticket the engine decides on
            (``db.tickets``), for a sender that may refuse the start
            itself once ``within`` seconds have passed.
        :param within: seconds to wait for an answer in all (default
            ``rpc_response_timeout``).
        :raises NotFound: no such workflow.
        :raises InputError: the input does not fit the workflow.
        :raises Conflict: ``wf_ex_id`` runs another workflow.
        :raises EngineUnavailable: no engine answered in time.
        """
        msg = messages.StartWorkflow(
            wf_identifier=wf_identifier, wf_namespace=wf_namespace or "",
            wf_input=wf_input or {}, description=description or "",
            params=params or {}, wf_ex_id=wf_ex_id, project_id=project_id,
            user_id=user_id, ticket=ticket)
        if wf_ex_id is not None and resend_after is not None:
            return self._call_resending("start_workflow", msg, resend_after,
                                        within)
        return self._call("start_workflow", msg, within)

    def update_execution(self, wf_ex_id, state=None, state_info=None,
                         env=None, description=None):
        """Pause, resume, cancel or stop an execution, or change its env
        or description; returns ``{"id": ...}`` once committed.

        :raises NotFound: no such execution.
        :raises InputError: the request does not fit the execution's state.
        """
        msg = messages.UpdateExecution(
            wf_ex_id=wf_ex_id, state=state, state_info=state_info, env=env,
            description=description)
        return self._call("update_execution", msg)

    def update_task(self, task_ex_id, state, reset=True, env=None,
                    published=None, state_info=None):
        """Re-run, skip or mark a failed task; returns ``{"id": ...}``.

        :raises NotFound: no such task execution.
        :raises InputError: the request does not fit the task's state.
        """
        msg = messages.UpdateTask(
            task_ex_id=task_ex_id, state=state, reset=reset, env=env,
            published=published, state_info=state_info)
        return self._call("update_task", msg)

    def run_action(self, name, action_input=None, namespace="",
                   description="", target=None, project_id=None,
                   user_id=None):
        """Run an action outside any workflow; returns ``{"id": ...}`` of
        its action execution, RUNNING, once committed.

        :raises ActionError: no such action.
        :raises InputError: input that does not fit an ad-hoc action.
        """
        msg = messages.StartAction(name=name, input=action_input or {},
                                   namespace=namespace or "",
                                   description=description or "",
                                   target=target, project_id=project_id,
                                   user_id=user_id)
        return self._call("run_action", msg)

    def delete_action_execution(self, action_ex_id):
        """Delete a finished action execution.

        :raises NotFound: no such action execution.
        :raises Conflict: it is still RUNNING.
        """
        msg = messages.DeleteActionExecution(action_ex_id=action_ex_id)
        return self._call("delete_action_execution", msg)

    def delete_execution(self, wf_ex_id, force=False):
        """Delete an execution with its tasks and sub-workflows.

        :raises NotFound: no such execution.
        :raises Conflict: it is not finished and ``force`` is not set.
        """
        msg = messages.DeleteExecution(wf_ex_id=wf_ex_id, force=force)
        return self._call("delete_execution", msg)

    def claim_action(self, action_ex_id, claim, is_sync=True, executor=None,
                     timeout=None):
        """Ask whether this executor may run the action; returns a bool."""
        msg = messages.ClaimAction(action_ex_id=action_ex_id, claim=claim,
                                   is_sync=is_sync, executor=executor)
        return self._call("claim_action", msg, timeout)

    def claim_actions(self, claims, timeout=None):
        """``claim_action`` for several ``messages.ClaimAction`` in one
        call; returns a bool for each, in order."""
        return self._call_many("claim_actions", claims, timeout)

    def hand_back_actions(self, claims, timeout=None):
        """Give back actions a stopping executor still runs (a list of
        ``messages.ClaimAction`` with the claims it holds): each runs
        again elsewhere with safe-rerun, else fails saying why. Returns
        a bool for each: False when the claim was no longer current."""
        return self._call_many("hand_back_actions", claims, timeout)

    def complete_action(self, action_ex_id, state, output=None,
                        state_info=None, within=None):
        """Complete an asynchronous action from outside (the API).

        :param within: seconds to wait for the answer (default
            ``rpc_response_timeout``).
        :raises NotFound: no such action execution.
        :raises Conflict: the action is not a RUNNING asynchronous one.
        :raises InputError: a state that is not a result state.
        """
        msg = messages.ActionResult(action_ex_id=action_ex_id, state=state,
                                    result=output, state_info=state_info,
                                    from_api=True)
        return self._call("on_action_complete", msg, within)

    def update_action(self, action_ex_id, state):
        """Pause an asynchronous action (PAUSED: its task and execution
        pause) or let a paused one run again (RUNNING); returns ``{"id":
        ...}`` once committed.

        :raises NotFound: no such action execution.
        :raises Conflict: not a RUNNING or PAUSED asynchronous action.
        :raises InputError: a state other than PAUSED or RUNNING.
        """
        msg = messages.UpdateAction(action_ex_id=action_ex_id, state=state)
        return self._call("update_action", msg)

    def on_action_complete(self, result, timeout=None):
        """Report an action's outcome (``messages.ActionResult``).

        Returns True if the result was taken, False if it was a duplicate
        or came too late.
        """
        return self._call("on_action_complete", result, timeout)

    def on_actions_complete(self, results, timeout=None):
        """``on_action_complete`` for several results in one call; returns
        a bool for each, in order."""
        return self._call_many("on_actions_complete", results, timeout)

    def report_results(self, results, room, timeout=None):
        """``on_actions_complete`` that also asks for up to ``room`` of the
        actions the results start (``messages.ResultReport``): returns
        ``(taken, actions)``, a bool for each result and a list of
        ``messages.RunAction`` for the caller to run.

        :raises oslo_messaging.RemoteError: ``UnsupportedVersion`` from an
            engine older than RPC 1.14.
        """
        answer = self._call("report_results", messages.ResultReport(
            results=[r.to_dict() for r in results], room=room), timeout)
        return answer["taken"], [messages.RunAction.from_dict(a)
                                 for a in answer["actions"]]


class ExecutorClient:
    """Casts work to the executors (used by the engine's outbox only)."""

    def __init__(self):
        self._client = server.get_client(CONF.executor.topic,
                                         messages.RPC_VERSION)

    def run_action(self, msg):
        """Hand ``messages.RunAction`` to an executor (a cast: no answer):
        any one, or the one named by ``msg.target``."""
        kwargs = {"msg": msg.to_dict()}
        client = _pinned(self._client, table.EXECUTOR, "run_action", kwargs)
        if msg.target:
            client = client.prepare(server=msg.target)
        client.cast({}, "run_action", **kwargs)

    def run_actions(self, msgs):
        """Hand several ``messages.RunAction`` to one executor (those
        with a ``target`` go one by one to theirs)."""
        targeted = [m for m in msgs if m.target]
        for msg in targeted:
            self.run_action(msg)
        rest = {"msgs": [m.to_dict() for m in msgs if not m.target]}
        if rest["msgs"]:
            client = _pinned(self._client, table.EXECUTOR, "run_actions",
                             rest)
            client.cast({}, "run_actions", **rest)


def _pinned(client, topic, method, kwargs):
    """``client`` pinned to the version that the wire dicts ``kwargs``
    of ``method`` need (see ``table.version_of``)."""
    entry = table.method(topic, method)
    payload = kwargs[entry.argument]
    wires = payload if entry.many else [payload]
    return client.prepare(version=table.version_of(entry, wires))
