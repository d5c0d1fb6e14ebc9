"""What the conductor may read beyond its snapshot, given at construction.

Plain callables, so that the conductor stays pure in what it imports and
tests hand in what they like; the engine service binds them to its unit
of work.
"""
import dataclasses
from typing import Callable


@dataclasses.dataclass(frozen=True)
class Ports:
    """What the conductor may read beyond its snapshot (each optional).

    :ivar find_executions: ``executions()`` of expressions.
    :ivar find_tasks: ``tasks(id, recursive)`` of expressions.

    The actions it may call are not a port: they are read before it runs
    and given as an ``ActionCatalog`` (``core.catalog``).
    """

    find_executions: Callable | None = None
    find_tasks: Callable | None = None
