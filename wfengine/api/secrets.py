"""What the API never shows outside an execution's own project: the values
of its ``env`` and of its ``notify`` headers.

Lists never carry them (any caller); one execution read by another
project's admin shows them masked. Keys stay visible, so a reader still
sees what is set.
"""
import json

MASK = "***"


def masked_params(params):
    """A copy of execution ``params`` (a dict) with secrets masked."""
    if not isinstance(params, dict):
        return params
    shown = dict(params)
    env = shown.get("env")
    if isinstance(env, dict):
        shown["env"] = {key: MASK for key in env}
    elif isinstance(env, str):
        shown["env"] = env  # an environment's name, not its values
    notify = shown.get("notify")
    if isinstance(notify, list):
        shown["notify"] = [_masked_notify(entry) for entry in notify]
    return shown


def _masked_notify(entry):
    if not isinstance(entry, dict) or not isinstance(
            entry.get("headers"), dict):
        return entry
    return dict(entry, headers={name: MASK for name in entry["headers"]})


def masked_execution(item):
    """An execution as shown (``params`` a JSON text) without secrets."""
    text = item.get("params")
    if not text or ('"env"' not in text and '"notify"' not in text):
        return item
    try:
        params = json.loads(text)
    except ValueError:
        return dict(item, params=None)
    return dict(item, params=json.dumps(masked_params(params)))
