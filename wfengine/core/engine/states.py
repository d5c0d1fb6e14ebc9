"""States of workflow, task and action executions, and what moves them.

One table per entity, keyed by event (not by target state), so that each
verb the engine knows is a named, testable cell. ``transition()`` is the
only way to compute a new state; the engine writes the result with a
compare-and-set. Names are Mistral's.
"""
from wfengine import exceptions

# The names and their groups live in a leaf every layer may import.
from wfengine.state_names import (  # noqa: F401
    ACTIVE, ALL, CANCELLED, COMPLETED, ERROR, IDLE, PAUSED, RESULTS, RUNNING,
    RUNNING_DELAYED, SKIPPED, SUCCESS, UNFINISHED_WORKFLOW, WAITING)

# Events.
START = "start"
WAIT = "wait"
RUN = "run"
DELAY = "delay"
SUCCEED = "succeed"
FAIL = "fail"
CANCEL = "cancel"
PAUSE = "pause"
RESUME = "resume"
HOLD = "hold"
RERUN = "rerun"
SKIP = "skip"
RESET = "reset"
MARK_DONE = "mark_done"

WORKFLOW = {
    IDLE: {START: RUNNING, FAIL: ERROR, CANCEL: CANCELLED},
    RUNNING: {SUCCEED: SUCCESS, FAIL: ERROR, CANCEL: CANCELLED,
              PAUSE: PAUSED},
    PAUSED: {RESUME: RUNNING, SUCCEED: SUCCESS, FAIL: ERROR,
             CANCEL: CANCELLED},
    ERROR: {RERUN: RUNNING, RESUME: RUNNING},
    SUCCESS: {},
    CANCELLED: {},
}

TASK = {
    IDLE: {RUN: RUNNING, WAIT: WAITING, DELAY: RUNNING_DELAYED,
           RERUN: RUNNING, SUCCEED: SUCCESS, FAIL: ERROR, CANCEL: CANCELLED,
           PAUSE: PAUSED},
    WAITING: {RUN: RUNNING, FAIL: ERROR, CANCEL: CANCELLED, SKIP: SKIPPED},
    RUNNING_DELAYED: {RUN: RUNNING, FAIL: ERROR, CANCEL: CANCELLED,
                      PAUSE: PAUSED},
    RUNNING: {SUCCEED: SUCCESS, FAIL: ERROR, CANCEL: CANCELLED,
              PAUSE: PAUSED, DELAY: RUNNING_DELAYED, HOLD: IDLE},
    PAUSED: {RESUME: RUNNING, CANCEL: CANCELLED, FAIL: ERROR},
    ERROR: {RERUN: RUNNING, SKIP: SKIPPED, RESET: IDLE, MARK_DONE: SUCCESS},
    SUCCESS: {},
    CANCELLED: {},
    SKIPPED: {},
}

ACTION = {
    IDLE: {RUN: RUNNING, CANCEL: CANCELLED, FAIL: ERROR},
    RUNNING: {SUCCEED: SUCCESS, FAIL: ERROR, CANCEL: CANCELLED,
              PAUSE: PAUSED},
    # An action paused by request may still be completed (Mistral).
    PAUSED: {RESUME: RUNNING, SUCCEED: SUCCESS, CANCEL: CANCELLED,
             FAIL: ERROR},
    SUCCESS: {},
    ERROR: {},
    CANCELLED: {},
}

TABLES = {"workflow": WORKFLOW, "task": TASK, "action": ACTION}


def transition(entity, current, event):
    """Return the state that ``event`` moves ``entity`` to from ``current``.

    :param entity: ``"workflow"``, ``"task"`` or ``"action"``.
    :param current: the entity's current state.
    :param event: one of the event names of this module.
    :returns: the new state.
    :raises InvalidStateTransition: the table has no such cell; the message
        names the entity, the state, the event and the events allowed.
    """
    cells = TABLES[entity].get(current, {})
    if event not in cells:
        allowed = ", ".join(sorted(cells)) or "none"
        raise exceptions.InvalidStateTransition(
            event=event, entity=entity, state=current, allowed=allowed)
    return cells[event]


def sources(entity, event):
    """All states from which ``event`` is allowed: the CAS guard."""
    return tuple(s for s, cells in TABLES[entity].items() if event in cells)


def is_completed(state):
    return state in COMPLETED
