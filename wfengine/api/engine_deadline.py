"""What the API answers when no engine answers in time (issue 17).

With a message broker, a start (``POST /v2/executions``) or the
completion of an asynchronous action (``PUT /v2/action_executions/<id>``)
waits at most ``[api] engine_answer_timeout`` seconds for an engine. Then
the API decides on its own, without ever telling the client something
that will turn out false, and without writing execution state:

- A start is decided on its start ticket (``db.tickets``), a key the
  engine writes too: the API inserts it ``refused``, unless the engine
  inserted it ``started`` first (in the transaction that creates the
  execution). Refused: 503 with ``Retry-After``, and no engine ever runs
  that start (one that takes it later finds the ticket and drops it).
  Started: 201 with the execution, as usual.
- A completion is kept in the result inbox (``db.inbox``), which the
  engines drain, once the API has checked what an engine would (the
  action exists, is the caller's, is asynchronous, started and not
  ended), with the action's row locked so that no engine completes it
  meanwhile: 200 with the action execution as it will be.

A call the engine gate refused before sending it (``engine_gate``) was
never sent: a start is refused as it was, a completion kept at once. A
call runs in a thread of its own (``_Caller``), so that one the
messaging layer holds (a broker that swallows every byte) does not hold
the request past its deadline. The embedded server (no
``transport_url``) has its engine in its own process: it waits as
before, and pays for none of this.
"""
import logging
import threading
import types
import uuid

import oslo_messaging
from sqlalchemy import exc as sa_exc

from wfengine import callbacks
from wfengine import exceptions
from wfengine.api import engine_gate
from wfengine.conf import CONF
from wfengine.db import inbox
from wfengine.db import models
from wfengine.db import session
from wfengine.db import tickets
from wfengine.rpc import clients
from wfengine.rpc import messages
from wfengine import waiting

LOG = logging.getLogger(__name__)

# What an engine call ends with when no engine answered: the message
# may still be queued, or taken by an engine that is slow to answer.
UNANSWERED = (exceptions.EngineUnavailable, oslo_messaging.MessagingTimeout,
              oslo_messaging.MessageDeliveryFailure)
# Who keeps a completion in the result inbox (its ``executor`` column).
KEEPER = "api"


class StartRefused(exceptions.EngineUnavailable):
    """No engine answered a start in time; the API refused it for good."""

    template = ("No engine answered the start of workflow execution {id} "
                "within {seconds}s ([api] engine_answer_timeout): it was "
                "refused and will not run; retry the request later")


class StartUndecided(exceptions.EngineUnavailable):
    """No engine answered a start in time, and the refusal could not be
    written: the start may still run."""

    template = ("No engine answered the start of workflow execution {id} "
                "within {seconds}s and the database could not record its "
                "refusal: it may still run. Send the start again with "
                "\"id\": \"{id}\" to learn whether it did (a start naming "
                "an existing execution answers with it)")


# Seconds beyond the deadline that a call may take to give its answer
# back: its own timeout ends it in time, unless the messaging layer
# blocks it (below).
_GRACE = 0.5


class _Caller:
    """Runs engine calls in threads of their own, at most ``limit`` at
    once. A broker that swallows every byte blocks a call in the
    messaging layer, before its timeout even starts (oslo.messaging
    retries the publish until it gets through): the request's thread
    stops waiting at the deadline, and only one of these threads stays
    with the call. When all are taken, a call is refused (``EngineBusy``)
    once it waited ``[api] engine_call_wait`` for one. A start sent late
    by such a thread finds its ticket refused, and is dropped. The
    threads are daemons: one stuck with the broker never keeps the
    process from exiting."""

    def __init__(self, limit):
        self._free = threading.BoundedSemaphore(limit)

    def call(self, method, seconds, *args, **kwargs):
        """``method(*args, **kwargs)``'s answer, if it comes within
        ``seconds`` (and the grace).

        :raises EngineUnavailable: it did not.
        :raises EngineBusy: every thread is taken.
        """
        if not self._free.acquire(timeout=CONF.api.engine_call_wait):
            raise engine_gate.EngineBusy()

        def run():
            try:
                return method(*args, **kwargs)
            finally:
                self._free.release()
        try:
            outcome = waiting.within(run, seconds + _GRACE, "engine-call")
        except BaseException:  # no thread started: the slot is free again
            self._free.release()
            raise
        if not outcome.finished:
            LOG.warning("The messaging layer held %s for %.1fs; not "
                        "waiting for it any longer", method.__name__,
                        seconds + _GRACE)
            raise exceptions.EngineUnavailable()
        if outcome.error is not None:
            raise outcome.error
        return outcome.value


_caller = None
_caller_lock = threading.Lock()


def _call(method, seconds, *args, **kwargs):
    global _caller
    if _caller is None:
        with _caller_lock:
            if _caller is None:
                _caller = _Caller(engine_gate.limit_for(CONF))
    return _caller.call(method, seconds, *args, **kwargs)


def applies():
    """Whether the API decides on its own when no engine answers: only
    with a message broker between the API and the engines."""
    return bool(CONF.transport_url)


def start_workflow(engine, wf_ex_id, **kwargs):
    """Start execution ``wf_ex_id`` through ``engine`` (the gated engine
    client; ``kwargs`` as ``EngineClient.start_workflow`` takes them);
    returns ``{"id": ...}`` of an execution that exists.

    :raises StartRefused: no engine answered in time; it will not run.
    :raises StartUndecided: no engine answered, and the refusal could not
        be written.
    """
    if not applies():
        return engine.start_workflow(wf_ex_id=wf_ex_id, **kwargs)
    seconds = CONF.api.engine_answer_timeout
    ticket = str(uuid.uuid4())
    # A start lost on its way (an engine killed after RabbitMQ handed it
    # over) is sent again within the deadline, not refused for that.
    resend_after = kwargs.pop("resend_after", None)
    try:
        return _call(engine.start_workflow, seconds, wf_ex_id=wf_ex_id,
                     ticket=ticket, within=seconds,
                     resend_after=min(resend_after or seconds, seconds / 2),
                     **kwargs)
    except (engine_gate.EngineBusy, engine_gate.NoEngine):
        raise  # never sent
    except oslo_messaging.RemoteError as e:
        if not clients.refused_as_older(e):
            raise
        # A rolling upgrade that put the API before the engines: an
        # engine of RPC 1.11 or older knows no ticket and refused the
        # message unread. The start goes as it went before tickets.
        LOG.warning("An engine older than RPC %s refused the start of %s "
                    "with a ticket; sent without one, waiting for the "
                    "engine as before (upgrade the engines first)",
                    messages.RPC_VERSION, wf_ex_id)
        return engine.start_workflow(wf_ex_id=wf_ex_id,
                                     resend_after=resend_after, **kwargs)
    except UNANSWERED as e:
        LOG.debug("No engine answered the start of %s within %.1fs (%s); "
                  "deciding on its ticket", wf_ex_id, seconds,
                  type(e).__name__)
    if _refuse(ticket, wf_ex_id, seconds):
        LOG.warning("Start of workflow execution %s refused: no engine "
                    "answered within %.1fs", wf_ex_id, seconds)
        raise StartRefused(id=wf_ex_id, seconds=seconds)
    LOG.info("An engine started workflow execution %s after all", wf_ex_id)
    return {"id": wf_ex_id}


def _refuse(ticket, wf_ex_id, seconds):
    """``tickets.refuse`` in a unit of work of its own. Whatever keeps the
    refusal from being written (an outage, a bug) leaves the start
    undecided, and the answer says so."""
    try:
        return session.unit_of_work(tickets.refuse, ticket, wf_ex_id,
                                    models.utcnow())
    except Exception as e:
        if isinstance(e, sa_exc.DBAPIError) and session.is_transient(e) \
                or isinstance(e, sa_exc.TimeoutError):
            LOG.warning("The refusal of the start of %s could not be "
                        "written (%s): it may still run", wf_ex_id,
                        type(e).__name__)
        else:
            LOG.exception("The refusal of the start of %s failed: it may "
                          "still run", wf_ex_id)
        raise StartUndecided(id=wf_ex_id, seconds=seconds) from e


def complete_action(engine, action_ex_id, values):
    """Complete an asynchronous action through ``engine`` (``values``:
    ``state``, ``output``, ``state_info``). Returns None when an engine
    took it, else what the API kept: the ``messages.ActionResult``.

    :raises NotFound: no such action execution.
    :raises ConflictingState: no engine answered, and the action is not
        one that can be completed (ended, synchronous, not started).
    :raises LostRace: no engine answered, and another completion is kept
        already.
    """
    if not applies():
        engine.complete_action(action_ex_id, **values)
        return None
    seconds = CONF.api.engine_answer_timeout
    try:
        _call(engine.complete_action, seconds, action_ex_id,
              within=seconds, **values)
        return None
    except engine_gate.EngineBusy:
        raise  # engines answer, but many calls wait for them: retry soon
    except UNANSWERED as e:
        LOG.info("No engine answered the completion of action execution "
                 "%s within %.1fs (%s); keeping it for the engines",
                 action_ex_id, seconds, type(e).__name__)
    result = messages.ActionResult(
        action_ex_id=action_ex_id, state=values["state"],
        result=values.get("output"), state_info=values.get("state_info"))
    return session.unit_of_work(_keep, result, models.utcnow())


def _keep(db, result, now):
    """Keep ``result`` if an engine would take it now (see
    ``callbacks.check_completable``); the action's row stays locked until
    the commit, so no engine completes it in between. An action that
    ended meanwhile as the completion says was most likely completed by
    this very request, whose message an engine took late: it is answered
    as completed, not kept again."""
    action = inbox.lock_action(db, result.action_ex_id)
    if action is None:
        raise exceptions.NotFound(kind="Action execution",
                                  id=result.action_ex_id)
    if action.state == result.state:
        return None
    callbacks.check_completable(action)
    # Kept as an executor's result: should an engine have taken this very
    # completion meanwhile, the copy is a duplicate, dropped in silence.
    if not inbox.keep_one(db, KEEPER, result.to_dict(), now):
        raise exceptions.LostRace(kind="Action execution",
                                  id=result.action_ex_id, what="completed")
    LOG.info("Completion of action execution %s (%s) kept for the engines",
             result.action_ex_id, result.state)
    return result


def as_kept(row, result):
    """The action execution ``row`` as it will be once an engine takes
    the kept ``result`` (its state, output and state_info), for the
    answer; anything with the row's columns as attributes."""
    fields = dict(row._mapping)
    fields.update(state=result.state, state_info=result.state_info,
                  output={"result": result.result})
    return types.SimpleNamespace(**fields)

