"""List rows shaped as ``mistral`` shows them.

``execution-list`` adds a Duration column (from creation to the last
update for a finished execution, to now for one still going) and shows
``<none>`` where an execution has no parent task, no root or no update
yet.
"""
import datetime

NONE = "<none>"
FINISHED = ("SUCCESS", "ERROR", "CANCELLED")
_FORMAT = "%Y-%m-%d %H:%M:%S"
_PLACEHOLDERS = ("task_execution_id", "root_execution_id", "updated_at")


def _parse(value):
    try:
        return datetime.datetime.strptime(value[:19], _FORMAT)
    except (TypeError, ValueError):
        return None


def duration(item, now=None):
    """``H:MM:SS`` of the execution; ``...`` just after it started; empty
    without a creation time."""
    start = _parse(item.get("created_at"))
    if start is None:
        return ""
    end = _parse(item.get("updated_at")) \
        if item.get("state") in FINISHED else None
    if end is None:
        now = now or datetime.datetime.now(datetime.timezone.utc).replace(
            tzinfo=None)
        end = now
        if end - start < datetime.timedelta(seconds=2):
            return "..."
    return str(max(end - start, datetime.timedelta(0)))


def execution_row(item, now=None):
    row = dict(item)
    row["duration"] = duration(item, now)
    for name in _PLACEHOLDERS:
        if not row.get(name):
            row[name] = NONE
    return row
