"""``noop``: accepts every message and sends nothing (Mistral has one)."""
from wfengine.notifier import publishers


class NoopPublisher:
    """Delivers nowhere; every attempt succeeds."""

    def __init__(self, conf):
        self._conf = conf

    def publish(self, message):
        return publishers.Outcome(ok=True)

    def close(self):
        pass
