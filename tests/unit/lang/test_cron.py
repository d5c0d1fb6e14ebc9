"""Cron patterns."""
import datetime

import pytest

from wfengine import exceptions
from wfengine.lang import cron


def test_next_time_is_strictly_after():
    at = datetime.datetime(2024, 1, 1, 12, 5)
    assert cron.next_time("*/5 * * * *", at) == datetime.datetime(
        2024, 1, 1, 12, 10)


def test_invalid_pattern_is_named():
    with pytest.raises(exceptions.InputError, match="'61 \\* \\* \\* \\*'"):
        cron.check_pattern("61 * * * *")
