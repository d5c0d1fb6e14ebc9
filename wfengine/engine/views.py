"""What the conductor knows of an execution and its tasks: plain data.

The engine builds these from rows (``persist.py``); tests build them by
hand. A task's large fields can be read lazily (see ``TaskView``).
"""
import uuid


class TaskView:
    """What the conductor knows of one task execution.

    ``in_context`` and ``published`` may be large: the engine can give a
    ``load_data`` callable instead, which returns both and is called only
    when one of them is read (most events touch few tasks' data); and a
    ``load_result`` callable for ``result``, read only for ``task(name)``.
    """

    def __init__(self, id, name, state, state_info=None, in_context=None,
                 published=None, runtime_context=None, processed=False,
                 load_data=None, load_result=None):
        self.id = id
        self.name = name
        self.state = state
        self.state_info = state_info
        self.runtime_context = runtime_context if runtime_context \
            is not None else {}
        self.processed = processed
        self._load_data = load_data
        self._load_result = load_result
        self._result = None
        self._in_context = in_context
        self._published = published
        # Set when in_context or published is assigned: only then are they
        # written back (a with-items task's context is large, its items many).
        self.data_changed = False
        if load_data is None:
            self._in_context = in_context or {}
            self._published = published or {}

    def data_loaded(self, in_context, published):
        """Give the data ``load_data`` would read (read with others)."""
        if self._load_data is not None:
            self._load_data = None
            self._in_context = in_context or {}
            self._published = published or {}

    @property
    def has_data(self):
        return self._load_data is None

    def _ensure_data(self):
        if self._load_data is not None:
            loaded_ctx, loaded_pub = self._load_data()
            self._load_data = None
            self._in_context = loaded_ctx or {}
            self._published = loaded_pub or {}

    @property
    def in_context(self):
        self._ensure_data()
        return self._in_context

    @in_context.setter
    def in_context(self, value):
        self._ensure_data()
        self._in_context = value
        self.data_changed = True

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

    @property
    def published(self):
        self._ensure_data()
        return self._published

    @published.setter
    def published(self, value):
        self._ensure_data()
        self._published = value
        self.data_changed = True


class WorkflowView:
    """What the conductor knows of the workflow execution.

    ``context`` and ``input`` may be large (a with-items list, say): the
    engine can give ``load_data`` instead, which returns both and is called
    only when one of them is read (most events read neither).
    """

    def __init__(self, id, name, state, spec, context=None, env=None,
                 input=None, params=None, created_at=None, load_data=None):
        self.id = id
        self.name = name
        self.state = state
        self.spec = spec
        self.env = env or {}
        self.params = params or {}
        self.created_at = created_at
        self._load_data = load_data
        self._context = context or {}
        self._input = input or {}

    def data_loaded(self, context, wf_input):
        """Give the data ``load_data`` would read (read with the row)."""
        self._load_data = None
        self._context, self._input = context or {}, wf_input or {}

    def _ensure_data(self):
        if self._load_data is not None:
            context, wf_input = self._load_data()
            self._load_data = None
            self._context, self._input = context or {}, wf_input or {}

    @property
    def context(self):
        self._ensure_data()
        return self._context

    @context.setter
    def context(self, value):
        self._ensure_data()
        self._context = value

    @property
    def input(self):
        self._ensure_data()
        return self._input


def new_id():
    return str(uuid.uuid4())
