"""Back-off, jitter and giving up; the delivery state table."""
import datetime

import pytest

from wfengine import exceptions
from wfengine.notifier import policy

T0 = datetime.datetime(2026, 1, 1)


def test_delay_doubles_up_to_the_maximum_with_equal_jitter():
    p = policy.RetryPolicy(max_attempts=20, backoff_base=1.0,
                           backoff_max=30.0)
    ceilings = [1, 2, 4, 8, 16, 30, 30]
    for attempts, ceiling in enumerate(ceilings, start=1):
        assert p.delay(attempts, rand=lambda: 0.0) == ceiling / 2
        assert p.delay(attempts, rand=lambda: 1.0) == ceiling


def test_jitter_spreads_retries():
    p = policy.RetryPolicy()
    delays = {round(p.delay(5), 6) for _ in range(50)}
    assert len(delays) > 10
    assert all(8 <= d <= 16 for d in delays)


def test_retry_until_max_attempts_then_give_up():
    p = policy.RetryPolicy(max_attempts=3, backoff_base=1, backoff_max=1)
    event, at = p.after_failure(2, T0, T0, rand=lambda: 1.0)
    assert (event, at) == (policy.RETRY, T0 + datetime.timedelta(seconds=1))
    assert p.after_failure(3, T0, T0)[0] == policy.GIVE_UP


def test_give_up_when_the_next_attempt_would_be_too_old():
    p = policy.RetryPolicy(max_attempts=100, max_age=60, backoff_base=10,
                           backoff_max=10)
    now = T0 + datetime.timedelta(seconds=52)
    assert p.after_failure(1, T0, now, rand=lambda: 0.0)[0] == policy.RETRY
    assert p.after_failure(1, T0, now, rand=lambda: 1.0)[0] == policy.GIVE_UP


@pytest.mark.parametrize("kwargs", [{"max_attempts": 0}, {"max_age": 0},
                                    {"backoff_base": 5, "backoff_max": 1}])
def test_invalid_policies_are_refused(kwargs):
    with pytest.raises(ValueError):
        policy.RetryPolicy(**kwargs)


@pytest.mark.parametrize("state, event, expected", [
    (policy.PENDING, policy.SUCCEED, policy.DELIVERED),
    (policy.PENDING, policy.RETRY, policy.PENDING),
    (policy.PENDING, policy.GIVE_UP, policy.FAILED),
    (policy.FAILED, policy.REDELIVER, policy.PENDING),
])
def test_allowed_transitions(state, event, expected):
    assert policy.transition(state, event) == expected


@pytest.mark.parametrize("state, event", [
    (policy.DELIVERED, policy.SUCCEED), (policy.DELIVERED, policy.RETRY),
    (policy.DELIVERED, policy.GIVE_UP), (policy.DELIVERED, policy.REDELIVER),
    (policy.FAILED, policy.SUCCEED), (policy.FAILED, policy.RETRY),
    (policy.FAILED, policy.GIVE_UP), (policy.PENDING, policy.REDELIVER)])
def test_other_events_are_refused(state, event):
    with pytest.raises(exceptions.InvalidStateTransition) as err:
        policy.transition(state, event)
    assert state in str(err.value) and event in str(err.value)
