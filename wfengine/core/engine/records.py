"""Turn the conductor's journal into the records the writer applies. Pure.

As it decides, the conductor notes each change of a task (``TaskChange``:
an event, with the states before and after, or a change of data only) on
its ``Plan``. Once the decision is made, each task it created or changed
becomes one ``TaskWrite`` carrying its moves and the values it ends with,
so that the writer never reads the conductor's views.
"""
from wfengine import exceptions
from wfengine.core.engine import commands

# The columns a task is always written with (besides its state).
_SMALL = ("state_info", "runtime_context", "processed")


def task_writes(plan, tasks, spec):
    """The ``TaskWrite`` records of ``plan``: the tasks read before it
    first, in the order of their first change, then the new ones in the
    order they were created.

    :param tasks: the conductor's ``TaskSet`` (the views as they end).
    :param spec: the workflow spec (a task's type).
    :raises Conflict: a task's moves do not lead from the state it was
        read (or created) in to the state it ends in: a conductor bug.
    """
    journal = {}
    for change in plan.task_changes:
        journal.setdefault(change.task_ex_id, []).append(change)
    created = {new.id: new for new in plan.new_tasks}
    existing = [_write(tasks.get(task_id), changes, None, spec)
                for task_id, changes in journal.items()
                if task_id not in created]
    return existing + [_write(tasks.get(new.id), journal.get(new.id, ()),
                              new, spec) for new in plan.new_tasks]


def _write(view, changes, new, spec):
    start = new.state if new is not None else changes[0].before
    moves = tuple(commands.Move(c.before, c.event, c.after)
                  for c in changes if c.event)
    _check(view, start, moves)
    values = {name: getattr(view, name) for name in _SMALL}
    values["runtime_context"] = dict(view.runtime_context)
    data = ("in_context", "published") if new is not None \
        else view.data_changed
    for name in data:
        values[name] = getattr(view, name)
    if new is not None:
        # Written once: the task's own tags, as the API shows them.
        values["tags"] = list(spec.tasks[view.name].tags)
    return commands.TaskWrite(
        id=view.id, name=view.name, type=spec.tasks[view.name].type,
        created=new is not None, start=start, state=view.state, moves=moves,
        values=values,
        published=view.published if view.has_data else None,
        times=(view.created_at, view.started_at, view.finished_at))


def _check(view, start, moves):
    state = start
    for move in moves:
        state = move.after if move.before == state else None
    if state != view.state:
        raise exceptions.Conflict(
            "Task execution %s: planned %s but its moves give %s"
            % (view.id, view.state, state))

