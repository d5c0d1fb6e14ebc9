"""The engine's unit of work: one transaction, its staged writes, its caches.

An engine message is handled in one :class:`Unit`. New rows of an
execution, the compare-and-set updates of its task rows and its outbox
rows wait in the unit and are written together (one multi-row INSERT per
table and shape, one UPDATE per shape for the tasks of every execution of
the unit): before the execution is locked again in the same unit, and
before the unit commits. Every read of an execution's rows follows its
lock (:meth:`Unit.lock_execution`), so none misses them.

The unit also carries what one transaction may remember (``memo``: say,
who subscribes to a workflow's events) and is forgotten with it; nothing
is kept on the session, and no hook on every session writes for it.

A staged compare-and-set that loses means that the database changed under
the execution's lock: :class:`~wfengine.exceptions.StaleState`, which the
engine answers by running the whole unit again (see :func:`run`).
"""
import collections
import logging

from wfengine import exceptions
from wfengine.db import cas
from wfengine.db import models
from wfengine.db import outbox
from wfengine.db import session as db_session
from wfengine.db import snapshots as db_snapshots
from wfengine.db import statements

LOG = logging.getLogger(__name__)

# Parents first: action rows refer to task rows.
_WRITE_ORDER = ("task_executions", "action_executions", "outbox")
_TASK = models.TaskExecution.__table__


class Unit:
    """One engine transaction.

    :ivar session: the transaction's session, for reads and direct writes.
    :ivar record_all_events: write every event, subscribed or not.
    :ivar memo: per-transaction cache, dropped with the unit.
    """

    def __init__(self, session, record_all_events=True):
        self.session = session
        self.record_all_events = record_all_events
        self.memo = {}
        self._inserts = {}    # wf_ex_id -> [(table, values)]
        self._updates = {}    # wf_ex_id -> {task_ex_id: (from, values)}
        self._after_commit = []

    # ---- staging ----

    def insert_later(self, model, wf_ex_id, **values):
        """Stage a new row of execution ``wf_ex_id``'s."""
        self._inserts.setdefault(wf_ex_id, []).append(
            (model.__table__, values))

    def update_task_later(self, wf_ex_id, task_ex_id, from_state, **values):
        """Stage a compare-and-set of a task execution of ``wf_ex_id``'s
        from ``from_state``. The write raises StaleState if the task is
        no longer in that state, and the unit rolls back."""
        staged = self._updates.setdefault(wf_ex_id, {})
        if task_ex_id in staged:
            self.write(wf_ex_id)  # keep two updates in order
            staged = self._updates.setdefault(wf_ex_id, {})
        values.setdefault("updated_at", models.utcnow())
        staged[task_ex_id] = (from_state, values)

    def outbox_later(self, wf_ex_id, kind, ref_id, payload, next_send_at):
        """Stage an outbox row with the execution's new rows; returns it
        as an ``OutboxRow`` whose ``id`` is None (its receiver
        acknowledges it by ``ref_id``)."""
        values = outbox.row_values(kind, ref_id, payload, next_send_at)
        self.insert_later(models.OutboxMessage, wf_ex_id, **values)
        return outbox.OutboxRow(None, kind, ref_id, payload, next_send_at, 0)

    def write(self, wf_ex_id=None):
        """Write the staged rows and task updates of execution
        ``wf_ex_id`` (None: of all).

        :raises StaleState: a staged update found its task in another
            state.
        """
        self._insert(_take(self._inserts, wf_ex_id))
        self._update(_take(self._updates, wf_ex_id))

    def _insert(self, per_execution):
        groups = collections.defaultdict(list)
        for rows in per_execution:
            for table, values in rows:
                groups[table.name, tuple(sorted(values))].append(
                    (table, values))
        for (name, _), rows in sorted(groups.items(), key=lambda g: (
                _WRITE_ORDER.index(g[0][0]), g[0][1])):
            statements.insert_many(self.session, rows[0][0],
                                   [values for _, values in rows])

    def _update(self, per_execution):
        groups = collections.defaultdict(dict)
        for updates in per_execution:
            for task_ex_id, (from_state, values) in updates.items():
                groups[tuple(sorted(values))][task_ex_id] = (from_state,
                                                             values)
        for columns, updates in sorted(groups.items()):
            won = cas.cas_update_many(self.session, _TASK, columns, updates)
            lost = sorted(set(updates) - won)
            if lost:
                raise exceptions.StaleState(
                    kind="Task", id=lost[0], state=updates[lost[0]][0])

    # ---- after the commit ----

    def after_commit(self, record, *args):
        """Call ``record(*args)`` if and once this unit commits (metrics:
        a unit that rolls back, or is run again, did not happen)."""
        self._after_commit.append((record, args))

    def committed(self):
        """The unit committed: run what waited for it."""
        queued, self._after_commit = self._after_commit, []
        for record, args in queued:
            record(*args)

    # ---- locks ----

    def lock_execution(self, wf_ex_id, with_data=False):
        """``snapshots.lock_workflow_execution``, after writing what the
        unit staged for that execution."""
        self.write(wf_ex_id)
        wf_ex = db_snapshots.lock_workflow_execution(self.session, wf_ex_id,
                                                     with_data)
        self._note_listened([wf_ex])
        return wf_ex

    def lock_executions(self, wf_ex_ids, with_data=False):
        """``db_snapshots.lock_workflow_executions``, after writing what the
        unit staged for those executions."""
        for wf_ex_id in wf_ex_ids:
            self.write(wf_ex_id)
        wf_exes = db_snapshots.lock_workflow_executions(
            self.session, wf_ex_ids, with_data)
        self._note_listened(wf_exes.values())
        return wf_exes

    def _note_listened(self, wf_exes):
        """Remember, for the workflows of locked executions that no
        listener takes events of, that none does (read with the lock):
        the unit need not ask the listeners again."""
        for wf_ex in wf_exes:
            if not getattr(wf_ex, db_snapshots.LISTENED):
                self.memo.setdefault(subscribed_key(wf_ex.name), set())


def subscribed_key(workflow_name):
    """The ``memo`` key of the events listeners take of a workflow's
    executions (a set of event names; filled by ``engine.events``)."""
    return ("subscribed", workflow_name)


def _take(staged, wf_ex_id):
    ids = list(staged) if wf_ex_id is None else [wf_ex_id]
    return [staged.pop(one) for one in ids if one in staged]


def run(fn, *args, record_all_events=True, attempts=3):
    """Run ``fn(unit, *args)`` in one unit of work and commit.

    What the unit staged is written before the commit. A transient
    database error retries the whole unit (``db_session.unit_of_work``);
    so does a stale state (a compare-and-set lost under the execution's
    lock), at most ``attempts`` times, after which it is raised.
    """
    def in_unit(session):
        unit = Unit(session, record_all_events)
        result = fn(unit, *args)
        unit.write()
        return result, unit
    in_unit.__name__ = db_session.operation_name(fn, args)
    for attempt in range(1, attempts + 1):
        try:
            result, unit = db_session.unit_of_work(in_unit)
            unit.committed()
            return result
        except exceptions.StaleState as e:
            if attempt == attempts:
                raise
            LOG.warning(
                "The database changed under an execution's lock (%s): the "
                "unit of work runs again (attempt %d)", e, attempt + 1)
