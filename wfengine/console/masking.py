"""Keep secrets off the pages.

Every value of an execution's ``env`` is treated as a secret (as the
notifier treats it in webhook payloads): the env is shown with its keys
and masked values, and any text of the page that contains one of those
values (a task's result, a published variable, an error message quoting
it) shows ``***`` in its place. Values under keys that name a secret
(``password``, ``token``, ...) are masked wherever they appear.
"""
import json
import re
import urllib.parse

MASK = "***"
# Shorter values would mask ordinary words and numbers everywhere.
MIN_SECRET_LENGTH = 4
SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?|secret|token|api[_-]?key|private[_-]?key|"
    r"credential|authorization|cookie|session[_-]?key", re.IGNORECASE)


def secret_values(env):
    """The texts to hide: every leaf value of ``env`` (a dict or its JSON
    text), as text, longest first so that a longer secret is hidden
    whole before a shorter one inside it."""
    if isinstance(env, str):
        try:
            env = json.loads(env)
        except ValueError:
            env = {}
    found = set()
    _collect(env, found)
    return sorted(found, key=len, reverse=True)


def _collect(value, found):
    if isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect(item, found)
    elif isinstance(value, bool) or value is None:
        return
    else:
        text = value if isinstance(value, str) else json.dumps(value)
        if len(text) >= MIN_SECRET_LENGTH:
            found.add(text)


class Masker:
    """Masks the secrets of one execution (and its relatives)."""

    def __init__(self, secrets=()):
        self.secrets = list(secrets)
        self._pattern = re.compile("|".join(
            re.escape(s) for s in self.secrets)) if self.secrets else None

    def add(self, env):
        """A masker that also hides the values of ``env``."""
        return Masker(set(self.secrets) | set(secret_values(env)))

    def text(self, value):
        """``value`` (text) with every secret replaced by ``***``."""
        if value is None or self._pattern is None:
            return value
        return self._pattern.sub(MASK, str(value))

    def data(self, value):
        """A JSON value (or its text) with secrets masked, as a value."""
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return self.text(value)
        return self._walk(value)

    def _walk(self, value):
        if isinstance(value, dict):
            return {key: (MASK if SECRET_KEY.search(str(key))
                          and item not in (None, "") else self._walk(item))
                    for key, item in value.items()}
        if isinstance(value, list):
            return [self._walk(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and self._pattern is not None \
                and self._pattern.fullmatch(json.dumps(value)):
            return MASK
        return value


def masked_env(env):
    """The env with its structure and every leaf value replaced by
    ``***``."""
    if isinstance(env, str):
        try:
            env = json.loads(env)
        except ValueError:
            return MASK
    if isinstance(env, dict):
        return {key: masked_env(value) for key, value in env.items()}
    if isinstance(env, list):
        return [masked_env(item) for item in env]
    return MASK if env not in (None, "") else env


def url_secrets(text):
    """The values a URL carries in its user info and query string."""
    parts = urllib.parse.urlsplit(text or "")
    found = [v for _, v in urllib.parse.parse_qsl(parts.query)]
    found += [p for p in (parts.username, parts.password) if p]
    return [v for v in found if len(v) >= MIN_SECRET_LENGTH]


def url(text):
    """A URL without its user info and query values (webhook URLs often
    carry a token there)."""
    parts = urllib.parse.urlsplit(text or "")
    host = parts.hostname or ""
    if parts.port:
        host = "%s:%d" % (host, parts.port)
    if parts.username or parts.password:
        host = MASK + "@" + host
    query = "&".join("%s=%s" % (key, MASK) for key, _ in
                     urllib.parse.parse_qsl(parts.query,
                                            keep_blank_values=True))
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, query,
                                    ""))
