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


class Signer:
    """Signs and checks action execution tokens with one shared key."""

    def __init__(self, key, base_url):
        self._key = key.encode() if isinstance(key, str) else key
        self._base = base_url.rstrip("/")

    def token(self, action_ex_id):
        digest = hmac.new(self._key, action_ex_id.encode(),
                          hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def url(self, action_ex_id):
        """The callback URL of an action execution."""
        return "%s/v2/action_executions/%s?%s" % (
            self._base, action_ex_id,
            urllib.parse.urlencode({"token": self.token(action_ex_id)}))

    def verify(self, action_ex_id, token):
        """True if ``token`` was issued for ``action_ex_id``."""
        return hmac.compare_digest(self.token(action_ex_id), token or "")


KEY_NAME = "callback"


def load_signer(base_url):
    """A ``Signer`` with the deployment's shared key (made on first use)."""
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
