"""The custom functions offered to both YAQL and Jinja expressions.

Every function here is pure: the engine hands in a ``runtime`` dict of
plain data (see :func:`wfengine.core.expressions.evaluate`) and nothing here
reaches a database. The YAQL and Jinja plugins wrap these functions in
the calling conventions of their library.
"""

import json
import uuid as uuid_lib

import yaml

from wfengine.core.expressions import bounds
from wfengine.core import jsonsafe
from wfengine.core import yamlsafe


def env(runtime):
    """The environment of the running execution (``{}`` when none)."""
    return _get(runtime, "env", {})


def execution(runtime):
    """The running workflow execution as a dict (``{}`` when none); the
    engine may give a callable that builds it."""
    value = _get(runtime, "execution", {})
    return value() if callable(value) else value


def task(runtime, name=None):
    """A task execution as a dict: the current one, or the one named.

    Returns ``None`` when no task of that name is known, as Mistral does.
    """
    current = _get(runtime, "task", None)
    if name is None:
        return current
    tasks = _get(runtime, "tasks", None) or {}
    found = tasks.get(name)
    if found is None and isinstance(current, dict):
        if current.get("name") == name:
            return current
    return found


def executions(runtime, id=None, root_execution_id=None, state=None,
               from_time=None, to_time=None):
    """Workflow executions matching the filters, newest first.

    The engine hands in a finder (``runtime["find_executions"]``); with
    none (validation, tests) there are none.
    """
    find = _get(runtime, "find_executions", None)
    if find is None:
        return []
    return find(wf_ex_id=id, root_execution_id=root_execution_id,
                state=state, from_time=from_time, to_time=to_time)


def global_(runtime, name=None):
    """A variable of the execution's global scope (all of them without a
    name); None when it is not set."""
    shared = _get(runtime, "globals", {})
    return dict(shared) if name is None else shared.get(name)


def tasks(runtime, workflow_execution_id=None, recursive=False, state=None,
          flat=False):
    """Task executions as dicts: of the running execution by default, of
    another one by id, and with ``recursive`` of its sub-workflows too;
    ``state`` keeps tasks in that state, ``flat`` leaves out the tasks that
    ran a sub-workflow. What is not the running execution's own comes from
    the finder the engine hands in (``runtime["find_tasks"]``)."""
    current = execution(runtime).get("id")
    wanted = workflow_execution_id or current
    if wanted == current and not recursive:
        found = list(_get(runtime, "task_list", ()))
        if state:
            found = [t for t in found if t.get("state") == state]
        if flat:
            found = [t for t in found if t.get("type") != "WORKFLOW"]
        return found
    find = _get(runtime, "find_tasks", None)
    if find is None or wanted is None:
        return []
    return find(wanted, recursive=bool(recursive), state=state,
                flat=bool(flat))


def json_pp(data):
    """Pretty-print ``data`` as indented JSON text."""
    return json.dumps(data, indent=4, separators=(",", ": "), default=str)


def json_dump(data):
    """Serialize ``data`` as JSON text, indented by four spaces as
    Mistral's json_dump does."""
    return json.dumps(data, indent=4, separators=(",", ": "), default=str)


def json_parse(text):
    """Parse JSON text into data, refusing deep nesting and NaN."""
    _check_size(text, "json_parse")
    return jsonsafe.loads(text, what="json_parse() argument",
                          error=ValueError)


def yaml_dump(data):
    """Serialize ``data`` as block-style YAML text."""
    return yaml.safe_dump(data, default_flow_style=False)


def yaml_parse(text):
    """Parse YAML text into data, with the same bounds as workflow text."""
    _check_size(text, "yaml_parse")
    return yamlsafe.load(text, what="yaml_parse() argument",
                         max_expanded_size=bounds.current().value_size)


def uuid():
    """A new random UUID as text."""
    return str(uuid_lib.uuid4())


def _get(runtime, key, default):
    if not runtime:
        return default
    value = runtime.get(key)
    return default if value is None else value


def _check_size(text, func_name):
    if not isinstance(text, str):
        raise TypeError("%s() expects a string, got %s"
                        % (func_name, type(text).__name__))
    bounds.check_size(len(text), "the argument of %s()" % func_name)
