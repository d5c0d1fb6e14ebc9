"""The cron trigger scheduler: a durable timer that any engine may fire.

Every ``interval`` seconds each engine reads the triggers that are due
and, for each, tries to move its ``next_execution_time`` on with a
compare-and-set. Only the engine whose update wins starts the workflow,
so of several engines exactly one fires a given due time. Missed times
(all engines were down) fire once, then the schedule resumes from now.

The claim and the start of the execution share one unit of work, so a
due time fires exactly once even when an engine dies halfway.

The execution belongs to the trigger's creator: their project and user.
In keystone mode the trigger holds a trust from its creator
(``wfengine.trusts``): each firing first authenticates with it, and
starts the execution as the user and in the project Keystone names; a
trust that no longer works skips the due time (as Mistral, whose firing
fails then). A trigger's last firing deletes its trust.
"""
import dataclasses
import logging

from wfengine.core.lang import cron as lang_cron
from wfengine.db import definitions
from wfengine.db import models
from wfengine.db import session as db_session
from wfengine import periodic
from wfengine.rpc import messages
from wfengine import trusts

LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Due:
    """What firing one due trigger needs (read, then detached)."""

    id: str
    name: str
    pattern: str | None
    next_execution_time: object
    remaining_executions: int | None
    workflow_id: str | None
    workflow_name: str | None
    workflow_namespace: str
    workflow_input: dict
    workflow_params: dict
    project_id: str | None = None
    user_id: str | None = None
    trust_id: str | None = None


def _read_due(session, now, limit):
    return [Due(t.id, t.name, t.pattern, t.next_execution_time,
                t.remaining_executions, t.workflow_id, t.workflow_name,
                t.workflow_namespace or "", t.workflow_input or {},
                t.workflow_params or {}, t.project_id, t.user_id,
                t.trust_id)
            for t in definitions.get_due_cron_triggers(session, now, limit)]


def following(trigger, now):
    """``(next time, remaining executions)`` after firing ``trigger``.

    A remaining count of 0 means this was the last firing.
    """
    remaining = trigger.remaining_executions
    if trigger.pattern is None:
        return None, 0
    if remaining is not None:
        remaining -= 1
    after = trigger.next_execution_time
    nxt = lang_cron.next_time(trigger.pattern, after)
    if nxt <= now:
        nxt = lang_cron.next_time(trigger.pattern, now)
    return nxt, remaining


class CronScheduler:
    """Fires due cron triggers through ``EngineService.start_workflow``."""

    def __init__(self, engine_service, interval, batch_size=50,
                 clock=models.utcnow, conf=None):
        """:param conf: the configuration whose ``[keystone_authtoken]``
            authenticates trusts (keystone mode); None: trusts unused."""
        self._service = engine_service
        self._conf = conf
        self._batch_size = batch_size
        self._clock = clock
        self._periodic = periodic.Periodic("wfengine-cron", interval,
                                           self.run_once)
        self.start = self._periodic.start
        self.stop = self._periodic.stop

    def run_once(self):
        """Fire every due trigger this engine wins; returns how many
        executions it started."""
        now = self._clock()
        due = db_session.reader(_read_due, now, self._batch_size)
        return sum(1 for trigger in due if self._fire(trigger, now))

    def _fire(self, trigger, now):
        nxt, remaining = following(trigger, now)
        due = trigger.next_execution_time
        try:
            project, user = trusts.acting_for(self._conf, trigger)
        except trusts.TrustError as e:
            LOG.warning("Cron trigger %s (%s) skips due time %s: %s",
                        trigger.name, trigger.id, due, e)
            if self._service.skip_cron_trigger(trigger.id, due, nxt,
                                               remaining):
                self._last(trigger, remaining)
            return False
        msg = messages.StartWorkflow(
            wf_identifier=trigger.workflow_id or trigger.workflow_name,
            wf_namespace=trigger.workflow_namespace,
            wf_input=trigger.workflow_input,
            description="Workflow execution created by cron trigger '%s'"
                        % trigger.id,
            params=trigger.workflow_params,
            # The execution belongs to the trigger's creator.
            project_id=project, user_id=user)
        won, started = self._service.fire_cron_trigger(
            trigger.id, due, nxt, remaining, msg)
        if won:  # of several engines, the one that fired deletes the trust
            self._last(trigger, remaining)
        if started is None:
            return False
        LOG.info("Cron trigger %s (%s) fired for due time %s: execution "
                 "%s; next %s", trigger.name, trigger.id,
                 trigger.next_execution_time, started["id"], nxt)
        return True

    def _last(self, trigger, remaining):
        """After a trigger's last due time (its row is gone): its trust
        goes too."""
        if remaining == 0 and trigger.trust_id and self._conf is not None:
            trusts.delete(self._conf, trigger.trust_id)
