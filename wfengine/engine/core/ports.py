"""What the conductor may read beyond its snapshot, given at construction.

Plain callables, so that the conductor stays pure in what it imports and
tests hand in what they like; the engine service binds them to its unit
of work.
"""
import dataclasses
from typing import Callable

from wfengine import exceptions

# What a resolve port may raise for a call that can not be made.
UNCALLABLE = (exceptions.ActionError, exceptions.InputError,
              exceptions.ExpressionError)


@dataclasses.dataclass(frozen=True)
class Ports:
    """What the conductor may read beyond its snapshot (each optional).

    :ivar find_executions: ``executions()`` of expressions.
    :ivar find_tasks: ``tasks(id, recursive)`` of expressions.
    :ivar resolve_action: ``(name, input, runtime) -> (base_name,
        base_input, adhoc_id)``; raises ActionError, InputError or
        ExpressionError for a call that can not be made.
    """

    find_executions: Callable | None = None
    find_tasks: Callable | None = None
    resolve_action: Callable | None = None


def resolved(ports, wf, run):
    """``run`` (a ``commands.RunAction``) as a call of the action that
    runs, through ``ports.resolve_action`` (as is without one).

    :raises: one of ``UNCALLABLE`` for a call that can not be made.
    """
    if ports.resolve_action is None:
        return run
    runtime = {"env": wf.env, "execution": {"id": wf.id, "name": wf.name}}
    base_name, base_input, adhoc_id = ports.resolve_action(
        run.name, run.input, runtime)
    return dataclasses.replace(run, base_name=base_name,
                               base_input=base_input, adhoc_id=adhoc_id)
