"""Task policies as data: retry, waits, timeout, fail-on. Pure.

The language keeps policies raw (they may hold expressions); here they are
evaluated in the task's context into small validated objects, so the
conductor applies one decision function instead of scattered conditions.
"""
import dataclasses
import re

from wfengine.core import expressions
from wfengine import exceptions

_ONE_LINE = re.compile(r"([\w-]+)=(\S+|<%.*?%>|\{\{.*?\}\})")


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """``retry``: run the action again, at most ``count`` more times."""

    count: int
    delay: float = 0.0
    break_on: object = None
    continue_on: object = None


def _number(name, value, kind=float):
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise exceptions.InvalidPolicy(
            policy=name, expected="a number",
            kind=type(value).__name__) from None
    if number < 0:
        raise exceptions.InvalidPolicy(
            policy=name, expected="a number not below 0",
            kind="a negative number")
    return number


def _parse_one_line(text):
    """``"count=3 delay=1 break-on=<% ... %>"`` -> dict."""
    return {key: value for key, value in _ONE_LINE.findall(text)}


def retry_policy(raw, ctx, runtime):
    """The task's ``RetryPolicy``, or None when it has none.

    ``break-on`` and ``continue-on`` stay unevaluated: they are decided
    after each run, against that run's result.
    """
    if raw is None:
        return None
    if isinstance(raw, str) and not expressions.has_expressions(raw):
        raw = _parse_one_line(raw)
    raw = dict(raw) if isinstance(raw, dict) else \
        expressions.evaluate(raw, ctx, runtime)
    if not isinstance(raw, dict):
        raise exceptions.InvalidPolicy(
            policy="retry", expected="a mapping", kind=type(raw).__name__)
    conditions = {k: raw.pop(k, None) for k in ("break-on", "continue-on")}
    values = expressions.evaluate(raw, ctx, runtime)
    return RetryPolicy(
        count=_number("retry.count", values.get("count", 0), int),
        delay=_number("retry.delay", values.get("delay", 0)),
        break_on=conditions["break-on"], continue_on=conditions["continue-on"])


def seconds(name, raw, ctx, runtime):
    """A delay or timeout policy in seconds (0 when absent)."""
    if raw is None:
        return 0.0
    return _number(name, expressions.evaluate(raw, ctx, runtime))


def should_retry(policy, attempts_done, succeeded, ctx, runtime):
    """Decide whether the task runs its action again after this run.

    As Mistral decides: until ``count`` is spent, a run is repeated while
    ``continue-on`` holds when there is one (whether it failed or not);
    without one, a failed run is retried unless ``break-on`` holds, and a
    successful one is not.
    """
    if policy is None or attempts_done >= policy.count:
        return False
    if policy.continue_on is not None and not expressions.evaluate(
            policy.continue_on, ctx, runtime):
        return False
    if succeeded:
        return policy.continue_on is not None
    if policy.break_on is not None and expressions.evaluate(
            policy.break_on, ctx, runtime):
        return False
    return True


def fails_on(raw, ctx, runtime):
    """``fail-on``: True when a successful task must count as failed."""
    return raw is not None and bool(expressions.evaluate(raw, ctx, runtime))
