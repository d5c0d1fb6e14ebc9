"""Signed callback URLs for asynchronous actions.

``Mistral-Callback-URL`` is the absolute URL of one action execution with
a token bound to it (an HMAC of its id), so that a third party can complete
that action, and nothing else, without API credentials. The token stops
working when the action stops being RUNNING: completion is refused then.
"""
import base64
import hashlib
import hmac
import secrets
import urllib.parse

from wfengine import exceptions
from wfengine.db import api as db_api
from wfengine.db import session as db_session
from wfengine import state_names

# The states an action may be completed in (one paused by request too).
COMPLETABLE = (state_names.RUNNING, state_names.PAUSED)


def check_completable(action_ex, what="complete"):
    """A completion from outside (or a pause, or a resume) needs a
    RUNNING (or PAUSED), claimed, asynchronous action. The engine applies
    it when it takes the completion, the API when it keeps one that no
    engine answered (``api.engine_deadline``).

    :param action_ex: anything with ``id``, ``state``, ``is_sync`` and
        ``claimed_by``.
    :raises ConflictingState: naming the action, its state and the rule.
    """
    if action_ex.state not in COMPLETABLE:
        raise exceptions.ConflictingState(
            what=what, kind="action execution", id=action_ex.id,
            state=action_ex.state,
            rule="only a RUNNING or PAUSED asynchronous action can be "
            "completed, paused or resumed")
    if action_ex.is_sync or not action_ex.claimed_by:
        raise exceptions.ConflictingState(
            what=what, kind="action execution", id=action_ex.id,
            state=action_ex.state,
            rule="it is synchronous, or not started yet: its result comes "
                 "from the executor that runs it")


class Signer:
    """Signs action execution tokens with one key and accepts tokens of
    that key or of ``previous`` ones (a rotation's window)."""

    def __init__(self, key, base_url, previous=()):
        self._keys = [k.encode() if isinstance(k, str) else k
                      for k in [key, *previous] if k]
        self._base = base_url.rstrip("/")

    def token(self, action_ex_id, key=None):
        digest = hmac.new(key or self._keys[0], action_ex_id.encode(),
                          hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def url(self, action_ex_id):
        """The callback URL of an action execution."""
        return "%s/v2/action_executions/%s?%s" % (
            self._base, action_ex_id,
            urllib.parse.urlencode({"token": self.token(action_ex_id)}))

    def verify(self, action_ex_id, token):
        """True if ``token`` was issued for ``action_ex_id`` (with the
        current key or a previous one). A token that is not ASCII text is
        no token of ours."""
        if not isinstance(token, str) or not token.isascii():
            return False
        return any(hmac.compare_digest(self.token(action_ex_id, key), token)
                   for key in self._keys)


KEY_NAME = "callback"


def load_signer(base_url, conf=None):
    """A ``Signer`` with ``[api] callback_signing_key`` (and the previous
    keys still accepted), else the deployment's shared key kept in the
    database (made on first use)."""
    api = getattr(conf, "api", None)
    if api is not None and api.callback_signing_key:
        return Signer(api.callback_signing_key, base_url,
                      api.callback_previous_keys)
    for attempt in range(2):
        try:
            key = db_session.unit_of_work(
                db_api.get_or_create_service_key, KEY_NAME,
                lambda: secrets.token_urlsafe(32))
            return Signer(key, base_url)
        except exceptions.DBDuplicateEntry:
            if attempt:
                raise
            # Another process made it at the same moment: read theirs.


def public_url(conf):
    """The API's public base URL: ``[api] public_url``, or host and port."""
    return conf.api.public_url or "http://%s:%s" % (conf.api.host,
                                                     conf.api.port)
