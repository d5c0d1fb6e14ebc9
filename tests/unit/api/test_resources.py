"""How resources print values."""
import datetime

import pytest

from wfengine.api import resources


@pytest.mark.parametrize("value", [
    datetime.datetime(2026, 12, 4, 1, 2, 3),
    datetime.datetime(2026, 12, 4, 1, 2, 3, 999999),
    datetime.datetime(2026, 1, 31, 23, 59, 59, 1),
    datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
])
def test_datetimes_print_as_mistral_prints_them(value):
    assert resources.format_datetime(value) == value.strftime(
        "%Y-%m-%d %H:%M:%S")


def test_a_missing_datetime_prints_as_null():
    assert resources.format_datetime(None) is None
