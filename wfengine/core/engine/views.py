"""What the conductor knows of an execution and its tasks: plain data.

The engine builds these from rows (``snapshot.py``); tests build them by
hand. A task's large fields can be read lazily (see ``TaskView``).
"""
import uuid


class _Loaded:
    """An attribute that ``load_data`` reads when it is first used.

    Assigning it adds its name to the view's ``data_changed``: only the
    fields changed are written back (a task's context is large, and a
    task that ends changes only what it published).
    """

    def __set_name__(self, owner, name):
        self._slot = "_" + name

    def __get__(self, view, owner=None):
        if view is None:
            return self
        view._ensure_data()
        return getattr(view, self._slot)

    def __set__(self, view, value):
        view._ensure_data()
        setattr(view, self._slot, value)
        view.data_changed.add(self._slot[1:])


class _LazyData:
    """Large fields (``_LAZY``, in the order ``load_data`` returns them)
    given as values, or read by ``load_data`` when first used."""

    _LAZY = ()

    def _init_data(self, load_data, values):
        self._load_data = load_data
        self.data_changed = set()
        for name, value in zip(self._LAZY, values):
            setattr(self, "_" + name, value or {})

    @property
    def has_data(self):
        return self._load_data is None

    def data_loaded(self, *values):
        """Give the data ``load_data`` would read (read along with other
        rows); data already loaded is kept."""
        if self._load_data is not None:
            self._init_data(None, values)

    def _ensure_data(self):
        if self._load_data is not None:
            self.data_loaded(*self._load_data())


class TaskView(_LazyData):
    """What the conductor knows of one task execution.

    ``in_context`` and ``published`` may be large: the engine can give a
    ``load_data`` callable instead, which returns both and is called only
    when one of them is read (most events touch few tasks' data); and a
    ``load_result`` callable for ``result``, read only for ``task(name)``.
    """

    _LAZY = ("in_context", "published")
    in_context = _Loaded()
    published = _Loaded()

    def __init__(self, id, name, state, state_info=None, in_context=None,
                 published=None, runtime_context=None, processed=False,
                 load_data=None, load_result=None, times=(None,) * 3):
        self.id = id
        self.name = name
        self.state = state
        self.state_info = state_info
        self.runtime_context = runtime_context if runtime_context \
            is not None else {}
        self.processed = processed
        # As read: when it was created, started and finished.
        self.created_at, self.started_at, self.finished_at = times
        self._init_data(load_data, (in_context, published))
        self._load_result = load_result
        self._result = None

    @property
    def result(self):
        """The task's result (read when first asked: ``task(name)``)."""
        if self._load_result is not None:
            self._result, self._load_result = self._load_result(), None
        return self._result

    @result.setter
    def result(self, value):
        self._load_result = None
        self._result = value


class WorkflowView(_LazyData):
    """What the conductor knows of the workflow execution.

    ``context`` and ``input`` may be large (a with-items list, say): the
    engine can give ``load_data`` instead, which returns both and is called
    only when one of them is read (most events read neither).
    """

    _LAZY = ("context", "input")
    context = _Loaded()
    input = _Loaded()

    def __init__(self, id, name, state, spec, context=None, env=None,
                 input=None, params=None, created_at=None, load_data=None,
                 root_execution_id=None, updated_at=None):
        self.id = id
        self.name = name
        self.state = state
        self.spec = spec
        self.env = env or {}
        self.params = params or {}
        self.created_at = created_at
        self.updated_at = updated_at
        self.root_execution_id = root_execution_id
        self._init_data(load_data, (context, input))

    def execution_info(self):
        """What ``execution()`` returns, with Mistral's keys (built when
        an expression calls it: the spec is not small)."""
        return {"id": self.id, "name": self.name, "input": self.input,
                "params": self.params, "created_at": self.created_at,
                "updated_at": self.updated_at,
                "root_execution_id": self.root_execution_id,
                "spec": self._spec_dict()}

    def _spec_dict(self):
        if self.spec is not None and getattr(self, "_spec_data", None) is None:
            self._spec_data = self.spec.to_dict()     # the spec never changes
        return getattr(self, "_spec_data", None)


def new_id():
    return str(uuid.uuid4())
