"""Standard actions without I/O: std.noop, std.async_noop, std.echo,
std.fail, std.sleep, std.test_dict."""
import time

from wfengine import exceptions
from wfengine.actions import base

MAX_TEST_DICT_SIZE = 1000000


class NoOpAction(base.Action):
    """Does nothing; its result is null."""

    def run(self, context):
        return None

    @classmethod
    def is_pure(cls):
        return cls.is_sync()


class AsyncNoOpAction(NoOpAction):
    """Does nothing and stays running until completed through the API."""

    @classmethod
    def is_sync(cls):
        return False


class EchoAction(base.Action):
    """Returns its ``output`` input unchanged, after ``delay`` seconds."""

    # ``output`` is required, as in Mistral.
    def __init__(self, output, delay=0):
        self.output = output
        self.delay = _seconds("std.echo", "delay", delay)

    def run(self, context):
        time.sleep(self.delay)
        return self.output

    @classmethod
    def is_pure(cls):
        return True


class FailAction(base.Action):
    """Always fails; ``error_data`` becomes the task's result."""

    def __init__(self, error_data=None):
        self.error_data = error_data

    def run(self, context):
        return base.Result(error=self.error_data or "std.fail failed as "
                           "the workflow asked")

    @classmethod
    def is_pure(cls):
        return True


class SleepAction(base.Action):
    """Sleeps ``seconds`` seconds (negative means 0); its result is null."""

    def __init__(self, seconds=1):
        self.seconds = _seconds("std.sleep", "seconds", seconds)

    def run(self, context):
        time.sleep(self.seconds)
        return None


class TestDictAction(base.Action):
    """Returns a dict of ``size`` keys ``<key_prefix><i>``, each ``val``."""

    __test__ = False  # not a pytest test class, whatever its name says

    def __init__(self, size=0, key_prefix="", val=""):
        if isinstance(size, bool) or not isinstance(size, int) \
                or not 0 <= size <= MAX_TEST_DICT_SIZE:
            raise exceptions.InvalidActionArgument(
                field="size", action="std.test_dict",
                expected="an integer from 0 to %d" % MAX_TEST_DICT_SIZE,
                kind=type(size).__name__)
        self.size = size
        self.key_prefix = key_prefix
        self.val = val

    def run(self, context):
        return {"%s%d" % (self.key_prefix, i): self.val
                for i in range(self.size)}


def _seconds(action, name, value):
    """``value`` as a non-negative float (negative becomes 0, as Mistral)."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = float("nan")
    if isinstance(value, bool) or seconds != seconds \
            or seconds == float("inf"):
        raise exceptions.InvalidActionArgument(
            field=name, action=action, expected="a number of seconds",
            kind=type(value).__name__)
    return max(seconds, 0.0)
