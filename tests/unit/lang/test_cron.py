"""Cron patterns."""
import datetime

import pytest

from wfengine.core.lang import cron
from wfengine import exceptions


def test_next_time_is_strictly_after():
    at = datetime.datetime(2024, 1, 1, 12, 5)
    assert cron.next_time("*/5 * * * *", at) == datetime.datetime(
        2024, 1, 1, 12, 10)


def test_invalid_pattern_is_named():
    with pytest.raises(exceptions.InputError,
                       match="^Invalid cron pattern: must be five fields") as e:
        cron.check_pattern("61 * * * *")
    assert "61" not in str(e.value)  # the field is named, not its value
