"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

A secret is ``whsec_`` followed by the base64 of 24 to 64 random bytes.
The signature of a message is ``v1,<base64 HMAC-SHA256>`` over
``<id>.<timestamp>.<body>``, keyed with the secret's decoded bytes.
"""
import base64
import binascii
import hashlib
import hmac
import secrets

from wfengine import exceptions

PREFIX = "whsec_"
MIN_BYTES = 24
MAX_BYTES = 64
GENERATED_BYTES = 32


def generate_secret():
    """A new random secret, ``whsec_`` + base64 of 32 bytes."""
    return PREFIX + base64.b64encode(
        secrets.token_bytes(GENERATED_BYTES)).decode("ascii")


def secret_bytes(secret):
    """The key bytes of ``secret``.

    :raises InputError: no ``whsec_`` prefix, not base64, or a key
        shorter than 24 or longer than 64 bytes.
    """
    if not isinstance(secret, str) or not secret.startswith(PREFIX):
        raise _bad_secret()
    try:
        key = base64.b64decode(secret[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError) as e:
        raise _bad_secret() from e
    if not MIN_BYTES <= len(key) <= MAX_BYTES:
        raise _bad_secret()
    return key


def _bad_secret():
    return exceptions.InvalidValue(
        field="'secret'", expected="a Standard Webhooks secret: '%s' "
        "followed by base64 of %d to %d bytes" % (PREFIX, MIN_BYTES,
                                                  MAX_BYTES))


def sign(secret, msg_id, timestamp, body):
    """The ``webhook-signature`` value for one message.

    :param secret: the ``whsec_`` secret.
    :param msg_id: the ``webhook-id`` value.
    :param timestamp: the ``webhook-timestamp`` value (integer seconds).
    :param body: the exact body bytes sent.
    """
    to_sign = b"%s.%d.%s" % (msg_id.encode("utf-8"), int(timestamp), body)
    digest = hmac.new(secret_bytes(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(secret, msg_id, timestamp, body):
    """The three Standard Webhooks headers (no signature without secret)."""
    found = {"webhook-id": msg_id, "webhook-timestamp": str(int(timestamp))}
    if secret:
        found["webhook-signature"] = sign(secret, msg_id, timestamp, body)
    return found
