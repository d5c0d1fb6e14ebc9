"""Every cell of every transition table, and every missing one."""
import pathlib
import re

import pytest

from wfengine import exceptions
from wfengine.core.engine import states

EVENTS = (states.START, states.WAIT, states.RUN, states.DELAY,
          states.SUCCEED, states.FAIL, states.CANCEL, states.PAUSE,
          states.RESUME, states.RERUN, states.SKIP, states.RESET,
          states.MARK_DONE, states.HOLD)

CELLS = [(entity, state, event)
         for entity, table in states.TABLES.items()
         for state in table for event in EVENTS]


@pytest.mark.parametrize("entity,state,event", CELLS)
def test_cell(entity, state, event):
    table = states.TABLES[entity]
    if event in table[state]:
        assert states.transition(entity, state, event) == table[state][event]
        assert state in states.sources(entity, event)
    else:
        with pytest.raises(exceptions.InvalidStateTransition) as err:
            states.transition(entity, state, event)
        message = str(err.value)
        assert state in message and event in message and entity in message
        assert state not in states.sources(entity, event)


@pytest.mark.parametrize("entity", sorted(states.TABLES))
def test_targets_are_known_states(entity):
    for cells in states.TABLES[entity].values():
        for target in cells.values():
            assert target in states.ALL
            assert target in states.TABLES[entity]


def test_completed_states_are_final_except_recovery():
    for state in (states.SUCCESS, states.CANCELLED):
        assert states.WORKFLOW[state] == {}
        assert states.TASK[state] == {}
    assert set(states.TASK[states.ERROR]) == {
        states.RERUN, states.SKIP, states.RESET, states.MARK_DONE}


def test_unknown_state_lists_no_events():
    with pytest.raises(exceptions.InvalidStateTransition) as err:
        states.transition("task", "BOGUS", states.RUN)
    assert "none" in str(err.value)


def test_no_state_assignment_outside_the_engine_helpers():
    """States are written only through persist.move / CAS updates."""
    root = pathlib.Path(states.__file__).parents[2]  # wfengine/
    pattern = re.compile(r"\b(wf_ex|task_ex|action_ex)\.state\s*=[^=]")
    offenders = [str(p) for p in root.rglob("*.py")
                 if pattern.search(p.read_text())]
    assert offenders == []
