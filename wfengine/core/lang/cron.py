"""Cron patterns: checking them and computing the next firing time.

Pure: times are naive UTC datetimes passed in by the caller, never read
from the clock here.
"""
import croniter

from wfengine import exceptions


def check_pattern(pattern):
    """``pattern`` if it is a valid cron pattern.

    :raises InputError: naming the pattern and the expected form.
    """
    if not isinstance(pattern, str) or not croniter.croniter.is_valid(
            pattern):
        raise exceptions.InvalidValue(
            field="cron pattern", expected="five fields 'minute hour "
            "day-of-month month day-of-week', e.g. '*/5 * * * *'")
    return pattern


def next_time(pattern, after):
    """The first time strictly after ``after`` that ``pattern`` matches."""
    return croniter.croniter(check_pattern(pattern), after).get_next(
        type(after))
