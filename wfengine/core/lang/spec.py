"""Validated, immutable workflow specifications.

Objects here are built by :mod:`wfengine.core.lang.parser` from workflow text
(which validates) or by ``from_dict`` from a stored ``to_dict`` result
(which trusts its input and is fast). Python attributes use underscores
where the language uses hyphens (``on-success`` -> ``on_success``).

Policies (``retry``, ``timeout``, ``wait-before``, ...), ``with-items``
and ``fail-on`` stay raw values: they may hold expressions, which the
engine evaluates when it runs the task.
"""

import dataclasses
import functools
import typing

DIRECT = "direct"
REVERSE = "reverse"
VERSION = "2.0"
DEFAULT_ACTION = "std.noop"

# Transition targets that are engine commands rather than task names.
ENGINE_COMMANDS = frozenset({"fail", "succeed", "pause", "noop"})

CLAUSES = ("on_success", "on_error", "on_complete", "on_skip")


@dataclasses.dataclass(frozen=True)
class InputParam:
    """One workflow input: ``name`` (required) or ``{name: default}``."""

    name: str
    default: typing.Any = None
    has_default: bool = False

    def to_dict(self):
        """JSON-serializable form."""
        return {"name": self.name, "default": self.default,
                "has_default": self.has_default}

    @classmethod
    def from_dict(cls, data):
        """Rebuild from :meth:`to_dict` output."""
        return cls(data["name"], data.get("default"),
                   data.get("has_default", False))


@dataclasses.dataclass(frozen=True)
class Transition:
    """One target of an ``on-success`` / ``on-error`` / ``on-complete``.

    ``name`` is a task name or an engine command (``fail``, ``succeed``,
    ``pause``, ``noop``); ``condition`` is ``None`` (always) or a raw
    value, usually an expression; ``params`` holds inline parameters such
    as ``msg`` in ``fail msg="boom"``.
    """

    name: str
    condition: typing.Any = None
    params: dict = dataclasses.field(default_factory=dict)

    @property
    def is_engine_command(self):
        """True for ``fail``, ``succeed``, ``pause`` and ``noop``."""
        return self.name in ENGINE_COMMANDS

    def to_dict(self):
        """JSON-serializable form."""
        return {"name": self.name, "condition": self.condition,
                "params": self.params}

    @classmethod
    def from_dict(cls, data):
        """Rebuild from :meth:`to_dict` output."""
        return cls(data["name"], data.get("condition"),
                   data.get("params") or {})


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """One task, with the workflow's task-defaults already applied.

    ``on_success`` / ``on_error`` / ``on_complete`` are tuples of
    :class:`Transition`. The newer clause form ``on-success: {publish:
    {...}, next: [...]}`` puts its publish dict in ``on_success_publish``
    (resp. ``on_error_publish``, ``on_complete_publish``); the task-level
    ``publish`` / ``publish-on-error`` stay in ``publish`` /
    ``publish_on_error``. ``action`` is ``"std.noop"`` when the task
    names neither an action nor a workflow.
    """

    name: str
    action: typing.Optional[str] = None
    workflow: typing.Optional[str] = None
    description: str = ""
    tags: tuple = ()
    input: dict = dataclasses.field(default_factory=dict)
    publish: dict = dataclasses.field(default_factory=dict)
    publish_on_error: dict = dataclasses.field(default_factory=dict)
    publish_on_skip: dict = dataclasses.field(default_factory=dict)
    on_success: tuple = ()
    on_error: tuple = ()
    on_complete: tuple = ()
    on_skip: tuple = ()
    on_success_publish: dict = dataclasses.field(default_factory=dict)
    on_error_publish: dict = dataclasses.field(default_factory=dict)
    on_complete_publish: dict = dataclasses.field(default_factory=dict)
    on_skip_publish: dict = dataclasses.field(default_factory=dict)
    join: typing.Union[None, str, int] = None
    requires: tuple = ()
    with_items: typing.Any = None
    concurrency: typing.Any = None
    keep_result: typing.Any = True
    target: typing.Optional[str] = None
    safe_rerun: typing.Any = False
    retry: typing.Any = None
    timeout: typing.Any = None
    wait_before: typing.Any = None
    wait_after: typing.Any = None
    pause_before: typing.Any = None
    fail_on: typing.Any = None

    @property
    def type(self):
        """``"WORKFLOW"`` for a sub-workflow task, else ``"ACTION"``."""
        return "WORKFLOW" if self.workflow else "ACTION"

    def transitions(self):
        """All transitions of the four clauses, in clause order."""
        return (self.on_success + self.on_error + self.on_complete
                + self.on_skip)

    def next_task_names(self):
        """Names of the tasks (not commands) any clause may lead to."""
        return {t.name for t in self.transitions()
                if not t.is_engine_command}

    def to_dict(self):
        """JSON-serializable form (see :meth:`from_dict`)."""
        data = {f.name: getattr(self, f.name)
                for f in dataclasses.fields(self)}
        for clause in CLAUSES:
            data[clause] = [t.to_dict() for t in data[clause]]
        data["requires"] = list(self.requires)
        data["tags"] = list(self.tags)
        return data

    @classmethod
    def from_dict(cls, data):
        """Rebuild from :meth:`to_dict` output, without validation."""
        kwargs = dict(data)
        for clause in CLAUSES:
            kwargs[clause] = tuple(Transition.from_dict(t)
                                   for t in kwargs.get(clause, ()))
        kwargs["requires"] = tuple(kwargs.get("requires", ()))
        kwargs["tags"] = tuple(kwargs.get("tags", ()))
        return cls(**kwargs)


@dataclasses.dataclass(frozen=True)
class WorkflowSpec:
    """One workflow of a Mistral v2 workflow file.

    ``tasks`` maps task names to :class:`TaskSpec` in definition order;
    ``task_defaults`` is the raw ``task-defaults`` mapping (already
    applied to every task).
    """

    name: str
    version: str = VERSION
    type: str = DIRECT
    description: str = ""
    tags: tuple = ()
    input: tuple = ()
    output: typing.Any = None
    output_on_error: typing.Any = None
    vars: dict = dataclasses.field(default_factory=dict)
    task_defaults: dict = dataclasses.field(default_factory=dict)
    tasks: dict = dataclasses.field(default_factory=dict)

    def get_start_task_names(self):
        """Tasks that start the workflow, in definition order.

        Direct: tasks that no transition of any task targets. Reverse:
        tasks without ``requires``.
        """
        if self.type == REVERSE:
            return [n for n, t in self.tasks.items() if not t.requires]
        inbound = self._inbound
        return [name for name in self.tasks if not inbound[name]]

    def get_inbound_task_names(self, name):
        """Tasks whose transitions may lead to ``name`` (direct), or the
        tasks ``name`` requires (reverse)."""
        if self.type == REVERSE:
            return list(self.tasks[name].requires)
        return list(self._inbound.get(name, ()))

    def get_outbound_task_names(self, name):
        """Tasks (not commands) the transitions of ``name`` may lead to."""
        task = self.tasks[name]
        return [t for t in dict.fromkeys(x.name for x in task.transitions())
                if t in self.tasks]

    @functools.cached_property
    def _inbound(self):
        inbound = {name: [] for name in self.tasks}
        for source, task in self.tasks.items():
            for target in task.next_task_names():
                if target in inbound and source not in inbound[target]:
                    inbound[target].append(source)
        return inbound

    def required_input_names(self):
        """Names of the inputs without a default value."""
        return [p.name for p in self.input if not p.has_default]

    def input_signature(self):
        """The input as the API shows it, e.g. ``'a, b="1", c="x"'``.

        Same rendering as Mistral's workflow resource: ``name`` for a
        required input, ``name="<str(default)>"`` otherwise (Python's
        str: ``"True"``, ``"None"``), quotes included whatever the type.
        """
        return ", ".join(
            '%s="%s"' % (p.name, p.default) if p.has_default else p.name
            for p in self.input)

    def to_dict(self):
        """JSON-serializable form; ``tasks`` becomes an ordered list."""
        return {
            "name": self.name, "version": self.version, "type": self.type,
            "description": self.description, "tags": list(self.tags),
            "input": [p.to_dict() for p in self.input],
            "output": self.output, "output_on_error": self.output_on_error,
            "vars": self.vars, "task_defaults": self.task_defaults,
            "tasks": [t.to_dict() for t in self.tasks.values()],
        }

    @classmethod
    def from_dict(cls, data):
        """Rebuild from :meth:`to_dict` output, without validation."""
        tasks = [TaskSpec.from_dict(t) for t in data.get("tasks", ())]
        return cls(
            name=data["name"], version=data.get("version", VERSION),
            type=data.get("type", DIRECT),
            description=data.get("description", ""),
            tags=tuple(data.get("tags", ())),
            input=tuple(InputParam.from_dict(p)
                        for p in data.get("input", ())),
            output=data.get("output"),
            output_on_error=data.get("output_on_error"),
            vars=data.get("vars") or {},
            task_defaults=data.get("task_defaults") or {},
            tasks={t.name: t for t in tasks},
        )
