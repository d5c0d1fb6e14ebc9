"""Standard actions: std.noop, std.echo, std.fail."""
from wfengine.actions import base


class NoOpAction(base.Action):
    """Does nothing; its result is null."""

    def run(self, context):
        return None


class EchoAction(base.Action):
    """Returns its ``output`` input unchanged."""

    def __init__(self, output=None):
        self.output = output

    def run(self, context):
        return self.output


class FailAction(base.Action):
    """Always fails; ``error_data`` becomes the task's result."""

    def __init__(self, error_data=None):
        self.error_data = error_data

    def run(self, context):
        return base.Result(error=self.error_data or "std.fail failed as "
                           "the workflow asked")
