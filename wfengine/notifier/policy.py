"""Delivery states, their transitions, and the retry policy.

A delivery is ``PENDING`` until an attempt succeeds (``DELIVERED``) or
the policy gives up (``FAILED``: too many attempts, or too old). A
failed attempt of a delivery that may still be retried leaves it
``PENDING`` with its next attempt pushed back exponentially, with jitter.
An operator may put a ``FAILED`` delivery back to ``PENDING`` through the
API (``redeliver``); the notifier then attempts it like any other.
"""
import dataclasses
import datetime
import random

from wfengine import exceptions
from wfengine import state_names

PENDING = state_names.DELIVERY_PENDING
DELIVERED = state_names.DELIVERY_DELIVERED
FAILED = state_names.DELIVERY_FAILED
STATES = (PENDING, DELIVERED, FAILED)

SUCCEED = "succeed"
RETRY = "retry"
GIVE_UP = "give_up"
# An operator sends a FAILED delivery again (``PUT
# /v2/listeners/<id>/deliveries/<delivery id>``).
REDELIVER = "redeliver"

TRANSITIONS = {
    PENDING: {SUCCEED: DELIVERED, RETRY: PENDING, GIVE_UP: FAILED},
    DELIVERED: {},
    FAILED: {REDELIVER: PENDING},
}


def transition(current, event):
    """The state after ``event``.

    :raises InvalidStateTransition: naming the delivery state, the event
        and the events allowed in that state.
    """
    allowed = TRANSITIONS.get(current, {})
    if event not in allowed:
        raise exceptions.InvalidStateTransition(
            "Delivery in state %s cannot %s (allowed: %s)"
            % (current, event, ", ".join(allowed) or "nothing"))
    return allowed[event]


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How long and how often a delivery is attempted."""

    max_attempts: int = 10
    max_age: float = 86400.0
    backoff_base: float = 1.0
    backoff_max: float = 300.0

    def __post_init__(self):
        if self.max_attempts < 1 or self.max_age <= 0:
            raise ValueError("max_attempts must be >= 1 and max_age > 0, "
                             "got %r and %r" % (self.max_attempts,
                                                self.max_age))
        if not 0 < self.backoff_base <= self.backoff_max:
            raise ValueError("need 0 < backoff_base <= backoff_max, got %r "
                             "and %r" % (self.backoff_base, self.backoff_max))

    @classmethod
    def from_conf(cls, group):
        """The policy of a ``[notifier]`` config group."""
        return cls(group.max_attempts, float(group.max_age),
                   group.backoff_base, group.backoff_max)

    def delay(self, attempts, rand=random.random):
        """Seconds to wait after the ``attempts``-th failed attempt.

        Doubles with each attempt up to ``backoff_max``; the wait is
        drawn between half and all of that ("equal jitter"), so that
        retries of many deliveries spread out.
        """
        ceiling = min(self.backoff_max,
                      self.backoff_base * 2 ** max(attempts - 1, 0))
        return ceiling / 2 + ceiling / 2 * rand()

    def after_failure(self, attempts, created_at, now, rand=random.random):
        """``(event, next_attempt_at)`` once an attempt failed.

        :param attempts: attempts made so far, this one included.
        :param created_at: when the delivery was created.
        """
        next_at = now + datetime.timedelta(seconds=self.delay(attempts,
                                                              rand))
        too_old = (next_at - created_at).total_seconds() > self.max_age
        if attempts >= self.max_attempts or too_old:
            return GIVE_UP, now
        return RETRY, next_at
