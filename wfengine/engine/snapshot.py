"""Load what the conductor reads: the execution's view and its task set.

The spec of an execution is parsed once and kept in a bounded cache; the
task set reads only the tasks the conductor asks about, and their large
fields only when needed.
"""

from wfengine import cache
from wfengine.core.engine import states
from wfengine.core.engine import taskset
from wfengine.core.engine import views
from wfengine.core.engine import with_items
from wfengine.core.lang import spec as lang_spec
from wfengine.db import api as db_api
from wfengine.db import snapshots as db_snapshots


# An execution's spec never changes; a definition's changes with its
# version (``updated_at``), which is part of the key.
_specs = cache.BoundedCache(1024)


def workflow_spec(unit, wf_ex):
    """The execution's spec object, cached: an execution's spec is fixed."""
    return _specs.get_or_make(
        wf_ex.id, lambda: lang_spec.WorkflowSpec.from_dict(
            db_snapshots.get_execution_spec(unit.session, wf_ex.id)))


def definition_spec(unit, wf_def):
    """The spec object of a workflow definition row, cached until the
    definition changes (its ``updated_at`` moves)."""
    key = ("definition", wf_def.id, wf_def.updated_at or wf_def.created_at)
    return _specs.get_or_make(
        key, lambda: lang_spec.WorkflowSpec.from_dict(
            db_api.get_definition_spec(unit.session, wf_def.id)))


def remember_spec(key, spec):
    """Cache the spec of a new execution (or of a definition)."""
    _specs.put(key, spec)


def workflow_view(unit, wf_ex, data=None):
    """The conductor's view of ``wf_ex``; if the row leaves out the
    context and input (and ``data`` does not give them), the view reads
    them when first needed."""
    params = wf_ex.params or {}
    view = views.WorkflowView(
        id=wf_ex.id, name=wf_ex.name, state=wf_ex.state,
        spec=workflow_spec(unit, wf_ex), env=execution_env(unit, wf_ex),
        params=params, created_at=_time(wf_ex.created_at),
        updated_at=_time(getattr(wf_ex, "updated_at", None)),
        root_execution_id=getattr(wf_ex, "root_execution_id", None),
        load_data=lambda: db_snapshots.get_execution_data(unit.session,
                                                          wf_ex.id))
    if data is not None:
        view.data_loaded(*data)
    elif hasattr(wf_ex, "context"):
        view.data_loaded(wf_ex.context, wf_ex.input)
    return view


def execution_env(unit, wf_ex):
    """The env ``env()`` reads in ``wf_ex``: its root execution's (as in
    Mistral, a sub-workflow's own ``params.env`` is empty)."""
    root_id = getattr(wf_ex, "root_execution_id", None)
    params = wf_ex.params or {}
    if root_id:
        params = db_snapshots.get_execution_params(unit.session, root_id) \
            or {}
    return params.get("env") or {}


class DbTaskSet(taskset.TaskSet):
    """An execution's tasks, read from the database as the conductor asks.

    Only the small columns are read, and only of the tasks a question is
    about; a task's ``in_context`` and ``published`` are read when first
    needed.
    """

    _BUSY = tuple(s for s in states.ACTIVE if s != states.WAITING)

    def __init__(self, unit, wf_ex_id, known=()):
        """:param known: ``(row, with_data)`` of tasks read already."""
        super().__init__()
        self._session = unit.session
        self._wf_ex_id = wf_ex_id
        self._complete = False
        for row, with_data in known:
            self._view(row, with_data)

    def _read(self, **filters):
        if self._complete:
            return []
        rows = db_snapshots.get_task_states_for_engine(
            self._session, self._wf_ex_id, **filters)
        return [self._view(row, filters.get("with_data")) for row in rows]

    def _view(self, row, with_data=False):
        view = self._views.get(row.id)
        if view is None:
            view = self.add(views.TaskView(
                id=row.id, name=row.name, state=row.state,
                state_info=row.state_info,
                runtime_context=dict(row.runtime_context or {}),
                processed=row.processed,
                load_data=self._data_loader(row.id),
                load_result=_result_loader(self._session, row.id,
                                           row.runtime_context),
                times=tuple(getattr(row, name, None) for name in (
                    "created_at", "started_at", "finished_at"))))
        if with_data:
            # A view known already keeps the data it has.
            view.data_loaded(row.in_context, row.published)
        return view

    def _data_loader(self, task_ex_id):
        def load():
            return db_snapshots.get_task_data(self._session, [task_ex_id]).get(
                task_ex_id, ({}, {}))
        return load

    def load_data(self, views_):
        missing = [v for v in views_ if not v.has_data]
        if len(missing) > 1:
            loaded = db_snapshots.get_task_data(self._session,
                                          [v.id for v in missing])
            for view in missing:
                view.data_loaded(*loaded.get(view.id, ({}, {})))

    def get(self, task_ex_id, with_data=False):
        """The task's view; ``with_data`` reads its data in the same query
        if it is not known yet."""
        view = super().get(task_ex_id)
        if view is None:
            self._read(ids=[task_ex_id], with_data=with_data)
            view = super().get(task_ex_id)
        return view

    def waiting(self, name):
        self._read(name=name, in_states=[states.WAITING])
        return super().waiting(name)

    def named(self, name):
        self._read(name=name)
        return super().named(name)

    def busy(self):
        if super().busy():
            return True
        return not self._complete and db_snapshots.count_tasks_in_states(
            self._session, self._wf_ex_id, self._BUSY, list(self._views)) > 0

    def waiting_joins(self):
        self._read(in_states=[states.WAITING])
        return super().waiting_joins()

    def unhandled_errors(self):
        self._read(in_states=[states.ERROR])
        return super().unhandled_errors()

    def all(self, with_data=False):
        stored = self._read(with_data=with_data)
        if not self._complete:
            self._complete = True
            known = {v.id for v in stored}
            self._views = {v.id: v for v in stored + [
                v for v in self._views.values() if v.id not in known]}
        return super().all()


def _result_loader(session, task_ex_id, runtime_context):
    runtime_context = runtime_context or {}
    if with_items.KEY in runtime_context:
        generation = runtime_context.get(with_items.GENERATION, 0)
        return lambda: db_snapshots.get_item_results(session, task_ex_id,
                                                     generation)
    return lambda: db_snapshots.get_task_result(session, task_ex_id)


def _time(value):
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else None


def find_workflow(unit, identifier, namespace, project_id,
                  default_namespace_too=False):
    """The workflow a start names, as the project ``project_id`` sees it
    (its own, or shared); any project's when None. A sub-workflow's
    (``default_namespace_too``) may also be in the default namespace.

    :raises NotFound: no such workflow.
    """
    return db_api.find_workflow_definition(unit.session, identifier,
                                           namespace, project_id,
                                           default_namespace_too)
