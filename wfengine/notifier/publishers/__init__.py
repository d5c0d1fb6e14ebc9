"""Publishers: what actually sends a delivery, loaded as plugins.

A publisher is an entry point of group ``wfengine.notification.publishers``
(``webhook``, ``messaging`` and ``noop`` come built in). It is built once
per notifier with the configuration and must answer every
:class:`Message` with an :class:`Outcome`; it never raises for a failed
send, and never logs bodies or headers (they carry secrets).
"""
import dataclasses
import importlib.metadata
import logging

GROUP = "wfengine.notification.publishers"

LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Message:
    """One attempt of one delivery, ready to send."""

    delivery_id: str
    event: str
    body: bytes
    payload: dict
    url: str | None = None
    method: str = "POST"
    headers: dict = dataclasses.field(default_factory=dict)
    secret: str | None = None


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How an attempt went: ``ok`` only for a 2xx answer or an accepted
    message; ``error`` says why not (never quoting the body)."""

    ok: bool
    status_code: int | None = None
    error: str | None = None


def available():
    """Names of the installed publishers."""
    return sorted({ep.name for ep in
                   importlib.metadata.entry_points(group=GROUP)})


def load(names, conf):
    """Build the publishers ``names``: ``{name: publisher}``.

    :raises ValueError: a name with no installed entry point.
    """
    points = {ep.name: ep for ep in
              importlib.metadata.entry_points(group=GROUP)}
    missing = sorted(set(names) - set(points))
    if missing:
        raise ValueError(
            "Unknown notification publisher(s) in [notifier] publishers: "
            "%s (installed: %s)" % (", ".join(missing),
                                    ", ".join(sorted(points))))
    return {name: points[name].load()(conf) for name in names}
