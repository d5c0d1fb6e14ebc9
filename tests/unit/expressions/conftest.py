import dataclasses

import pytest

from wfengine.core import expressions
from wfengine.core.expressions import bounds


@pytest.fixture
def limits():
    """Call with Limits fields to evaluate within them; restored after."""
    saved = bounds.current()

    def set_limits(**changes):
        expressions.configure(dataclasses.replace(saved, **changes))
    yield set_limits
    expressions.configure(saved)
