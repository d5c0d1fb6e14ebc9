"""How values look on a page: times, durations, JSON, states.

Pure functions, installed as Jinja2 filters by :func:`install`.
"""
import datetime
import functools
import json

# The API's datetime format (Mistral's), always UTC.
API_TIME = "%Y-%m-%d %H:%M:%S"
# State -> CSS class of its colour (see static/console.css).
STATE_CLASSES = {
    "SUCCESS": "ok", "ERROR": "bad", "RUNNING": "run", "RUNNING_DELAYED":
    "run", "PAUSED": "hold", "WAITING": "idle", "IDLE": "idle",
    "CANCELLED": "off", "SKIPPED": "off", "PENDING": "run",
    "DELIVERED": "ok", "FAILED": "bad"}


@functools.lru_cache(maxsize=4096)
def parse_time(text):
    """A datetime (naive, UTC) from the API's text, or None.

    (``fromisoformat`` reads the API's ``2026-01-31 12:00:05`` in a
    twentieth of ``strptime``'s time; a page shows hundreds of times.)
    """
    if not text:
        return None
    try:
        return datetime.datetime.fromisoformat(text[:19])
    except ValueError:
        return None


def utcnow():
    """Now, naive UTC as the API's times."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def seconds_between(start, end):
    """Seconds from ``start`` to ``end`` (API texts; end None = now)."""
    begin = parse_time(start)
    if begin is None:
        return None
    finish = parse_time(end) if end else utcnow()
    return max((finish - begin).total_seconds(), 0.0)


def duration(seconds):
    """``0.4 s``, ``12 s``, ``3 min 05 s``, ``2 h 07 min``, ``3 d 4 h``."""
    if seconds is None:
        return ""
    if seconds < 1:  # the API's times are whole seconds
        return "< 1 s"
    if seconds < 10:
        return "%.1f s" % seconds
    seconds = int(seconds)
    if seconds < 60:
        return "%d s" % seconds
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return "%d min %02d s" % (minutes, sec)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return "%d h %02d min" % (hours, minutes)
    days, hours = divmod(hours, 24)
    return "%d d %d h" % (days, hours)


def iso(text):
    """The API's time as ISO 8601 with ``Z`` (for ``<time datetime>``)."""
    value = parse_time(text)
    return value.isoformat() + "Z" if value else ""


def pretty_json(value):
    """Indented JSON for a ``<pre>`` (strings stay as they are)."""
    if value is None:
        return "null"
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def state_class(state):
    """The CSS class that colours ``state``."""
    return STATE_CLASSES.get(state or "", "idle")


def short_id(value):
    """The first 8 characters of an id (the full id goes in a title)."""
    return (value or "")[:8]


def install(env):
    """Register the filters on a Jinja2 environment."""
    env.filters.update(duration=duration, iso=iso, pretty_json=pretty_json,
                       state_class=state_class, short_id=short_id)
    env.globals.update(seconds_between=seconds_between)
