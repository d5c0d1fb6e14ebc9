"""Engine values shown with Mistral's names on the wire.

The engine keeps its own names where they say more (``RUNNING_DELAYED``,
its bookkeeping in a task's ``runtime_context``); clients written for
Mistral read Mistral's. ``resources`` shows fields through these.
"""
import json

# The engine's name for a task in a delay, and the one Mistral shows.
WIRE_TASK_STATES = {"RUNNING_DELAYED": "DELAYED"}
ENGINE_TASK_STATES = {v: k for k, v in WIRE_TASK_STATES.items()}


def task_state(state):
    """A task state as Mistral's API shows it."""
    return WIRE_TASK_STATES.get(state, state)


# Engine bookkeeping in a task's runtime_context Mistral does not show.
_HIDDEN_RUNTIME_KEYS = ("error_handled",)


def runtime_context(context):
    """A task's ``runtime_context`` as Mistral shows it: the retry count
    under ``retry_task_policy``, without the engine's own bookkeeping."""
    if not isinstance(context, dict):
        return context
    shown = {k: v for k, v in context.items()
             if k not in _HIDDEN_RUNTIME_KEYS and k != "retry_no"}
    if "retry_no" in context:
        shown["retry_task_policy"] = {"retry_no": context["retry_no"]}
    return shown


def runtime_context_text(text):
    """:func:`runtime_context` of the column's JSON text."""
    if text in (None, "null"):
        return None
    return json.dumps(runtime_context(json.loads(text)))
