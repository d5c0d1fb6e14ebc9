"""The engine's work on action executions: claims, results, recovery.

An executor claims the actions it is handed (one statement per batch);
a result is taken with a compare-and-set, then the conductor of its
workflow execution decides what follows (one decision per execution for
all of a batch's results); an action whose executor went silent runs
again or fails. Mixed into ``service.EngineService``.
"""
import collections
import datetime
import functools
import logging
import types

from wfengine import action_params
from wfengine import callbacks
from wfengine import exceptions
from wfengine import logcontext
from wfengine.actions import loader
from wfengine.db import api as db_api
from wfengine.db import snapshots as db_snapshots
from wfengine.db import cas
from wfengine.db import inbox as db_inbox
from wfengine.db import models
from wfengine.db import scope as db_scope
from wfengine.db import outbox as db_outbox
from wfengine.db import unit as db_unit
from wfengine.engine import adhoc
from wfengine.engine import calls
from wfengine.engine import outbox_rows
from wfengine.engine import persist
from wfengine.core.engine import states
from wfengine.rpc import messages

LOG = logging.getLogger(__name__)
# Why an executor let go of an action it ran (``recover_orphan``).
HEARTBEATS_STOPPED = "stopped sending heartbeats"
HANDED_BACK = "was stopped and its grace period ended"

_RESULT_STATES = set(states.RESULTS)
# What became of a claim an executor gave back without running it.
_SENT, _HELD = "sent", "held"
# What an update of an action by request asks for, and its event.
_UPDATE_EVENTS = {states.PAUSED: states.PAUSE, states.RUNNING: states.RESUME}


class ActionsMixin:
    """Claims, results and recovery of action executions."""

    def claim_action(self, msg):
        """Let one executor take an action execution; True if it may run.

        :param msg: ``messages.ClaimAction``.
        """
        return self.claim_actions([msg])[0]

    def claim_actions(self, msgs):
        """``claim_action`` for several claims in one unit of work;
        returns a bool for each, in order."""
        return db_unit.run(self._claim_all, msgs)

    @staticmethod
    def _claim_all(unit, msgs):
        # An executor claims its batch under one token: one statement.
        by_token = collections.defaultdict(list)
        for msg in msgs:
            by_token[msg.claim, msg.is_sync, msg.executor].append(
                msg.action_ex_id)
        held = set()
        for (claim, is_sync, executor), ids in by_token.items():
            held.update((claim, action_ex_id) for action_ex_id in
                        cas.claim_action_executions(
                            unit.session, ids, claim, is_sync, executor))
        answers, granted = [], set()
        for msg in msgs:
            # The same doorbell twice in one batch runs the action once.
            ok = ((msg.claim, msg.action_ex_id) in held
                  and msg.action_ex_id not in granted)
            if ok:
                granted.add(msg.action_ex_id)
            answers.append(ok)
        db_outbox.ack(unit.session, db_outbox.RUN_ACTION, granted)
        return answers

    def run_action(self, msg):
        """Run an action outside any workflow.

        :param msg: ``messages.StartAction``.
        :returns: ``{"id": <action execution id>}`` once committed.
        :raises ActionError: no such action.
        :raises InputError, ExpressionError: the input does not fit.
        """
        return self._run(self._run_action, msg)

    def _run_action(self, unit, msg):
        # The action as the starter's project sees it (its own ad-hoc
        # actions, shared ones and built-in ones).
        with db_scope.of_project(msg.project_id):
            base, base_input, adhoc_id = adhoc.resolve(
                unit.session, msg.name, msg.input, msg.namespace,
                {"env": {}})
        # As Mistral, an input the action can not take is refused before
        # anything is created (Mistral answers 500 there; a 400 here).
        loader.check_input(base, base_input)
        action_ex = outbox_rows.stage_standalone_action(
            unit, msg, base, base_input, adhoc_id)
        return {"id": action_ex.id}, [outbox_rows.stage_run(
            unit, action_ex, self._outbox.send_at())]

    def on_action_complete(self, msg):
        """Take an action's result and move the workflow on.

        :param msg: ``messages.ActionResult``.
        :returns: True if this result won; False for a duplicate or late one.
        :raises NotFound: no such action execution.
        :raises InputError: a state that is not a result state.
        :raises Conflict: (``from_api``) the action can not be completed,
            or another completion came first, such as one the API kept in
            the result inbox while no engine answered.
        """
        if msg.state not in _RESULT_STATES:
            raise exceptions.NotAllowedValue(
                field="action result state",
                allowed=", ".join(sorted(_RESULT_STATES)))
        if not msg.from_api:
            return self._run(self._complete_all, [msg])[0]
        if not self._run(self._complete_from_api, msg):
            raise exceptions.LostRace(kind="Action execution",
                                      id=msg.action_ex_id, what="completed")
        return True

    def _complete_from_api(self, unit, msg):
        """A completion through the API, unless the API kept an earlier
        one in the result inbox while no engine answered: that one came
        first, is taken now, and this one loses (False)."""
        kept = [messages.ActionResult.from_dict(r) for r in db_inbox.take(
            unit.session, 1, [msg.action_ex_id])]
        if kept:
            _won, rows = self._complete_all(unit, kept)
            return False, rows
        won, rows = self._complete_all(unit, [msg])
        return won[0], rows

    def on_actions_complete(self, msgs):
        """Take several results in one unit of work (one commit, one
        round of messages); returns a bool for each, in order.

        If one of them can not be taken (say, its execution was deleted),
        each is taken alone, so that the others are not held back.
        """
        return self._complete_reported(msgs, 0)[0]

    def report_results(self, report):
        """``on_actions_complete`` of ``messages.ResultReport``'s results,
        answered with the actions they started, up to the report's room:
        ``{"taken": [bool, ...], "actions": [RunAction wire dict, ...]}``.

        The executor that reported runs those itself: a transition then
        costs the reply it waits for anyway, not a cast more. Actions
        beyond the room, and those that name an executor, are cast.
        """
        msgs = [messages.ActionResult.from_dict(r) for r in report.results]
        taken, kept = self._complete_reported(msgs, max(report.room, 0))
        return {"taken": taken, "actions": [m.to_dict() for m in kept]}

    def _complete_reported(self, msgs, keep):
        for msg in msgs:
            if msg.state not in _RESULT_STATES or msg.from_api:
                raise exceptions.InputError(
                    "Only executors' results can be reported together")
        try:
            return self._run_keeping(keep, self._complete_all, msgs)
        except exceptions.WFEngineException as e:
            LOG.info("A batch of %d results is taken one by one: %s",
                     len(msgs), e)
        return [self._complete_alone(msg) for msg in msgs], []

    def _complete_alone(self, msg):
        try:
            return self.on_action_complete(msg)
        except exceptions.StaleState:
            raise  # an internal error: never a quiet "not taken"
        except exceptions.WFEngineException as e:
            LOG.warning("Result of action execution %s not taken: %s",
                        msg.action_ex_id, e)
            return False

    def _complete_all(self, unit, msgs):
        """Take results: a compare-and-set on each action, then one
        decision per workflow execution for all of its results (one
        snapshot, one plan, each task written once however many of its
        actions ended). Returns ``([won, ...], outbox rows)``."""
        action_exes = db_snapshots.get_action_executions_for_engine(
            unit.session, [m.action_ex_id for m in msgs])
        for msg in msgs:
            if msg.action_ex_id not in action_exes:
                raise exceptions.NotFound(kind="Action execution",
                                          id=msg.action_ex_id)
        wf_ex_ids = {a.workflow_execution_id for a in action_exes.values()
                     if a.workflow_execution_id}
        # A task's end evaluates expressions over the execution's context;
        # an item's end mostly does not. When every execution has a
        # task's end in the batch (a lone execution always), the lock
        # reads their context and input too: one statement fewer.
        with_data = bool(wf_ex_ids) and wf_ex_ids == {
            a.workflow_execution_id for a in action_exes.values()
            if a.workflow_execution_id and not _is_item(a)}
        wf_exes = unit.lock_executions(wf_ex_ids, with_data)
        if len(wf_exes) < len(wf_ex_ids):
            raise exceptions.NotFound(
                kind="Workflow execution",
                id=", ".join(wf_ex_ids - set(wf_exes)))
        outcomes = self._take_results(unit, msgs, action_exes, wf_exes)
        won, taken = [], collections.defaultdict(list)
        for msg, outcome in zip(msgs, outcomes):
            action_ex = action_exes[msg.action_ex_id]
            won.append(outcome is not None)
            if outcome is not None and action_ex.workflow_execution_id:
                taken[action_ex.workflow_execution_id].append(
                    (action_ex, outcome))
        # The context and input of the executions with a task's end
        # among the results taken (read with the lock, or now).
        needed = [wf_ex_id for wf_ex_id, results in taken.items()
                  if any(not _is_item(a) for a, _ in results)]
        if with_data:
            data = {i: (wf_exes[i].context, wf_exes[i].input)
                    for i in needed}
        else:
            data = db_snapshots.get_executions_data(unit.session, needed) \
                if needed else {}
        tasks = _result_tasks(unit, taken)
        rows = []
        for wf_ex_id, results in taken.items():
            rows += self._advance(
                unit, wf_exes[wf_ex_id],
                functools.partial(_decide_results, unit, results,
                                  wf_exes[wf_ex_id]),
                data.get(wf_ex_id), tasks[wf_ex_id])
        return won, rows

    @staticmethod
    def _take_results(unit, msgs, action_exes, wf_exes):
        """Compare-and-set each message's action from RUNNING to its
        result, all in one statement; returns for each message
        ``(state, result, state_info, accepted)`` if its result won, else
        None (a duplicate, in this batch or before it, or a late result).

        :raises Conflict: a completion through the API that lost.
        """
        # action id -> (index of its first message, outcome, output kept)
        proposed = {}
        for index, msg in enumerate(msgs):
            action_ex = action_exes[msg.action_ex_id]
            if msg.from_api:
                callbacks.check_completable(action_ex)
            if action_ex.state not in callbacks.COMPLETABLE or \
                    action_ex.id in proposed:
                continue
            wf_ex = wf_exes.get(action_ex.workflow_execution_id)
            outcome = calls.outcome(unit, action_ex, msg, wf_ex)
            proposed[action_ex.id] = (index, outcome, {"result": calls.kept(
                unit, wf_ex, action_ex, outcome[1])})
        won = cas.complete_action_executions(unit.session, {
            action_ex_id: (state, state_info, output,
                           action_exes[action_ex_id].state, accepted)
            for action_ex_id, (_, (state, _, state_info, accepted), output)
            in proposed.items()})
        results = []
        for index, msg in enumerate(msgs):
            first, outcome, _ = proposed.get(msg.action_ex_id,
                                             (None, None, None))
            if first != index or msg.action_ex_id not in won:
                if msg.from_api:
                    raise exceptions.LostRace(
                        kind="Action execution", id=msg.action_ex_id,
                        what="completed")
                results.append(None)
                continue
            LOG.debug("Action execution %s moved from %s to %s",
                      msg.action_ex_id,
                      action_exes[msg.action_ex_id].state, outcome[0],
                      extra=logcontext.ids(
                          execution_id=action_exes[
                              msg.action_ex_id].workflow_execution_id,
                          action_id=msg.action_ex_id))
            results.append(outcome)
        # Completed before any executor claimed them (a claim acks).
        db_outbox.ack(unit.session, db_outbox.RUN_ACTION, [
            i for i in won if action_exes[i].claimed_by is None])
        return results

    def update_action(self, msg):
        """Pause an asynchronous action, or let a paused one run again:
        its task (and, as in Mistral, its execution) follows.

        :param msg: ``messages.UpdateAction``.
        :returns: ``{"id": <action execution id>}`` once committed.
        :raises NotFound: no such action execution.
        :raises Conflict: not a RUNNING or PAUSED asynchronous action.
        :raises InputError: a state other than PAUSED or RUNNING.
        """
        if msg.state not in _UPDATE_EVENTS:
            raise exceptions.NotAllowedValue(
                field="action execution update state",
                allowed=", ".join(sorted(_UPDATE_EVENTS)))
        return self._run(self._update_action, msg)

    def _update_action(self, unit, msg):
        action_ex = db_snapshots.get_action_execution_for_engine(
            unit.session, msg.action_ex_id)
        if action_ex is None:
            raise exceptions.NotFound(kind="Action execution",
                                      id=msg.action_ex_id)
        wf_ex = None
        if action_ex.workflow_execution_id:
            wf_ex = unit.lock_execution(action_ex.workflow_execution_id)
            # Read again under the lock: a result may have won meanwhile.
            action_ex = db_snapshots.get_action_execution_for_engine(
                unit.session, msg.action_ex_id)
        if action_ex.state == msg.state:
            return {"id": action_ex.id}, []     # as Mistral: no change
        # As Mistral: 400 for an action that ended, or that is not
        # asynchronous (its result comes from its executor).
        if action_ex.state not in callbacks.COMPLETABLE or action_ex.is_sync \
                or not action_ex.claimed_by:
            raise exceptions.WrongState(
                what="set to %s" % msg.state, kind="action execution",
                id=action_ex.id, state="%s%s" % (
                    action_ex.state, "" if action_ex.state not in
                    callbacks.COMPLETABLE else " (not a started asynchronous "
                    "action)"),
                allowed="RUNNING or PAUSED, asynchronous")
        event = _UPDATE_EVENTS[msg.state]
        persist.move(unit, "action", action_ex.id, action_ex.state, event)
        if wf_ex is None or not action_ex.task_execution_id:
            return {"id": action_ex.id}, []
        entry = ("on_action_paused" if msg.state == states.PAUSED
                 else "on_action_resumed")
        return {"id": action_ex.id}, self._advance(
            unit, wf_ex, lambda cond: getattr(cond, entry)(
                action_ex.task_execution_id, action_ex.id))

    def drain_inbox(self, limit=64):
        """Take the results that stopping executors, and the API when no
        engine answered a completion, left in the result inbox
        (``db.inbox``), as if they had been reported, and send the
        claims stopping executors never ran to other executors; returns
        how many results it took and claims it sent (a result of an
        action deleted meanwhile is dropped, as is a claim no longer
        held)."""
        return self._run(self._drain_inbox, limit)

    def _drain_inbox(self, unit, limit):
        kept = db_inbox.take_rows(unit.session, limit)
        if not kept:
            return 0, []
        results, rows, outcomes = [], [], collections.Counter()
        for row in kept:
            msg = db_inbox.message(row.result)
            if isinstance(msg, messages.ActionResult):
                results.append(msg)
                continue
            outcome, staged = self._return_unstarted(unit, msg,
                                                     row.created_at)
            outcomes[outcome] += 1
            rows += staged
        # An action deleted meanwhile has nothing left to take.
        known = db_snapshots.get_action_executions_for_engine(
            unit.session, [m.action_ex_id for m in results])
        results = [m for m in results if m.action_ex_id in known]
        won, more = (self._complete_all(unit, results) if results
                     else ([], []))
        LOG.info("Took %d results (%d of them new) from the result inbox "
                 "and sent %d claims never run to other executors (%d "
                 "kept there until their claim calls expire)", len(won),
                 sum(won), outcomes[_SENT], outcomes[_HELD])
        return len(won) + outcomes[_SENT], rows + more

    def hand_back_actions(self, msgs):
        """A stopping executor gives back the actions it holds
        (``messages.ClaimAction`` with the claims it holds). One it never
        ran (``started`` False) goes to another executor; one it still
        runs runs again elsewhere with safe-rerun, else fails saying why.
        Returns a bool for each: False when the claim was not current."""
        return [self._run(self._return_unstarted, m) is not None
                if not m.started
                else self.recover_orphan(m.action_ex_id, m.claim,
                                         m.executor, HANDED_BACK)
                for m in msgs]

    def _return_unstarted(self, unit, msg, given_back_at=None):
        """Send the action of a claim its executor never ran to another
        executor (at most once is kept: it never ran); ``_SENT``,
        ``_HELD`` or None (the claim is not current), and the rows.

        A claim that has not landed may still be granted, to an executor
        that has gone, while its call waits in the broker (RabbitMQ
        holds a call for the caller's timeout, ``claim_ttl``): until
        that time from ``given_back_at`` (now by default) has passed,
        the claim is held in the result inbox, where the orphan search
        leaves its action alone and a later inbox round looks again.
        """
        action_ex = db_snapshots.get_action_execution_for_engine(
            unit.session, msg.action_ex_id)
        if action_ex is None or action_ex.state != states.RUNNING:
            return None, []
        now = models.utcnow()
        given_back_at = given_back_at or now
        if action_ex.claimed_by is None and self._claim_ttl and \
                given_back_at > now - datetime.timedelta(
                    seconds=self._claim_ttl + 1):
            db_inbox.keep(unit.session, msg.executor, [msg.to_dict()],
                          given_back_at)
            return _HELD, []
        if action_ex.claimed_by != msg.claim:
            return None, []
        LOG.info("Executor %s gave back action execution %s without "
                 "running it; sending it to another executor",
                 msg.executor, msg.action_ex_id)
        rows = self._send_elsewhere(unit, action_ex, msg.claim)
        return (_SENT if rows else None), rows

    def recover_orphan(self, action_ex_id, claim, executor,
                       why=HEARTBEATS_STOPPED):
        """An action's executor let go of it (stopped beating, or was
        stopped and handed it back): run it again or fail it.

        ``safe-rerun: true`` hands it to another executor; otherwise it
        fails, saying why (at most once means not again). The claim must
        still be the one seen, so only one checker acts on it.
        """
        return self._run(self._recover, action_ex_id, claim, executor, why)

    def _recover(self, unit, action_ex_id, claim, executor, why):
        action_ex = db_snapshots.get_action_execution_for_engine(unit.session,
                                                           action_ex_id)
        if action_ex is None or action_ex.state != states.RUNNING or \
                action_ex.claimed_by != claim:
            return False, []
        if action_params.ActionParams.from_row(action_ex.params).safe_rerun:
            rows = self._send_elsewhere(unit, action_ex, claim)
            if rows:
                LOG.warning("Executor %s %s running action execution %s; "
                            "safe-rerun: sending it to another executor",
                            executor, why, action_ex_id)
            return bool(rows), rows
        message = ("Executor %s %s while running action %s; safe-rerun is "
                   "off, so it is not run again"
                   % (executor, why, action_ex.name))
        LOG.warning("Action execution %s: %s", action_ex_id, message)
        won, rows = self._complete_all(unit, [messages.ActionResult(
            action_ex_id=action_ex_id, state=states.ERROR, result=message,
            state_info=message)])
        return won[0], rows

    def _send_elsewhere(self, unit, action_ex, claim):
        """Undo ``claim`` on ``action_ex`` (a row of
        ``get_action_execution_for_engine``) and stage its send to
        another executor; the rows to send, none if the claim was not
        current."""
        if not db_api.release_claim(unit.session, action_ex.id, claim):
            return []
        # The row read leaves the input out; the send needs it.
        run = db_snapshots.get_action_run_inputs(unit.session,
                                                 [action_ex.id])
        return [outbox_rows.stage_run(
            unit, _with_input(action_ex, run[action_ex.id].input),
            self._outbox.send_at())]


def _with_input(action_ex, action_input):
    """A read-only action execution row as an object with ``input``."""
    return types.SimpleNamespace(input=action_input, **action_ex._asdict())


def _is_item(action_ex):
    return action_params.is_item(action_ex.params)


def _result_tasks(unit, taken):
    """``{wf_ex_id: [(row, with_data), ...]}``: the tasks results are for,
    of every execution, in a read or two: with their data, but for the
    items of a with-items task (see ``_decide_results``)."""
    wanted = collections.defaultdict(set)
    for results in taken.values():
        for action_ex, _ in results:
            wanted[not _is_item(action_ex)].add(action_ex.task_execution_id)
    known = collections.defaultdict(list)
    for with_data, ids in wanted.items():
        for row in db_snapshots.get_tasks_for_engine(unit.session, ids,
                                               with_data).values():
            known[row.workflow_execution_id].append((row, with_data))
    return known


def _decide_results(unit, results, wf_ex, cond):
    """Let the conductor take ``[(action_ex, (state, result, state_info,
    accepted))]`` of one execution, in the order they came."""
    for action_ex, (state, result, state_info, accepted) in results:
        task_id = action_ex.task_execution_id
        # Read already (_result_tasks): with its data, but for an item of
        # a with-items task (its data is read once, when the last ends).
        task = cond.tasks.get(task_id, with_data=not _is_item(action_ex))
        items = calls.item_results(unit, task, state == states.SUCCESS)
        cond.on_action_complete(task_id, state, result, state_info, items,
                                action_ex_id=action_ex.id,
                                forced=not accepted)
        if items is not None:
            calls.forget_items(unit, wf_ex, task)
    return cond.plan
