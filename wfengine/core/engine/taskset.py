"""The task executions of one workflow execution, as the conductor asks.

The conductor never walks every task to decide what follows one event:
it asks a few questions (this task, the join waiting under that name, is
anything still running, which errors are unhandled), so that an event
costs the same in a workflow of ten tasks and of ten thousand. This class
answers from memory (tests, and tasks of this plan); the engine service
subclasses it to answer the rest from the database. Pure.
"""
from wfengine.core.engine import states


class TaskSet:
    """Task views by id, with the conductor's questions."""

    def __init__(self, views=()):
        self._views = {}
        for view in views:
            self.add(view)

    # ---- what the conductor asks ----

    def get(self, task_ex_id):
        """The view of one task, or None."""
        return self._views.get(task_ex_id)

    def add(self, view):
        """A view the conductor created or loaded."""
        self._views[view.id] = view
        return view

    def waiting(self, name):
        """The task of that name waiting at its join, or None."""
        return next((v for v in self._views.values()
                     if v.name == name and v.state == states.WAITING), None)

    def named(self, name):
        """Every task of that name."""
        return [v for v in self._views.values() if v.name == name]

    def busy(self):
        """True while a task is active other than a join still waiting,
        or paused (an action paused by request holds it, and its
        execution does not end meanwhile)."""
        return any((v.state in states.ACTIVE or v.state == states.PAUSED)
                   and v.state != states.WAITING
                   for v in self._views.values())

    def waiting_joins(self):
        """Tasks waiting at a join."""
        return [v for v in self._views.values() if v.state == states.WAITING]

    def unhandled_errors(self):
        """Failed tasks whose error no transition handled."""
        return [v for v in self._views.values() if v.state == states.ERROR
                and not v.runtime_context.get("error_handled")]

    def all(self, with_data=False):
        """Every task, oldest first (the whole execution: use sparingly);
        ``with_data``: their data is about to be read too."""
        return list(self._views.values())

    def load_data(self, views):
        """A hint: the data of ``views`` is about to be read (the engine
        reads it for all of them at once)."""

    def __getitem__(self, task_ex_id):
        view = self.get(task_ex_id)
        if view is None:
            raise KeyError(task_ex_id)
        return view

    def values(self):
        return self.all()

    def known(self):
        """The views held in memory now (for writing a plan back)."""
        return list(self._views.values())
