"""Which execution, task and action a log line is about.

``with bound(execution_id=..., task_id=..., action_id=...):`` makes every
line logged inside (in this thread or task) carry those ids: the text
format appends ``[execution=... task=... action=...]``, the JSON format
has them as fields. ``wfengine.logs`` installs the filter that reads
them. This module imports nothing of wfengine, so any layer may bind.
"""
import contextlib
import contextvars
import functools
import inspect
import logging

FIELDS = ("execution_id", "task_id", "action_id")
_current = contextvars.ContextVar("wfengine_log_context", default={})


@contextlib.contextmanager
def bound(**ids):
    """Bind the given ids (None values are left out) for the block."""
    merged = dict(_current.get())
    merged.update({k: v for k, v in ids.items() if v and k in FIELDS})
    token = _current.set(merged)
    try:
        yield
    finally:
        _current.reset(token)


def binding(**paths):
    """Decorator: bind ids read from the call's arguments, e.g.
    ``@binding(execution_id="wf_ex.id")`` binds ``wf_ex.id`` of the
    argument named ``wf_ex``. A missing argument or attribute binds
    nothing."""
    def decorate(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                call = signature.bind_partial(*args, **kwargs).arguments
            except TypeError:
                return fn(*args, **kwargs)
            with bound(**{field: _resolve(call, path)
                          for field, path in paths.items()}):
                return fn(*args, **kwargs)
        return wrapper
    return decorate


def _resolve(arguments, path):
    name, *attrs = path.split(".")
    value = arguments.get(name)
    for attr in attrs:
        value = getattr(value, attr, None)
    return value if isinstance(value, str) else None


def ids(**values):
    """``extra=`` for one log call about these ids."""
    return {k: v for k, v in values.items() if k in FIELDS}


def current():
    return _current.get()


class ContextFilter(logging.Filter):
    """Puts the bound ids on every record (``record.execution_id``, ...;
    None when unbound) and a ready-made ``record.ids`` suffix."""

    def filter(self, record):
        ids = _current.get()
        for name in FIELDS:
            if getattr(record, name, None) is None:
                setattr(record, name, ids.get(name))
        record.ids = _suffix(record)
        return True


def _suffix(record):
    parts = ["%s=%s" % (name[:-3], getattr(record, name))
             for name in FIELDS if getattr(record, name, None)]
    return " [%s]" % " ".join(parts) if parts else ""
