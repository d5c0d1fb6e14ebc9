"""Standard Webhooks signatures, verified by a third-party verifier."""
import datetime

import pytest
import standardwebhooks

from wfengine import exceptions
from wfengine.notifier import signing

SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _verify(secret, body, headers):
    return standardwebhooks.Webhook(secret).verify(body, headers)


@pytest.mark.parametrize("secret", [SPEC_SECRET, signing.generate_secret()])
def test_signature_verifies_with_standardwebhooks(secret):
    body = b'{"event":"TASK_SUCCEEDED","x":"\xc3\xa9"}'
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    headers = signing.headers(secret, "msg_1", now, body)
    assert set(headers) == {"webhook-id", "webhook-timestamp",
                            "webhook-signature"}
    assert _verify(secret, body, headers)["event"] == "TASK_SUCCEEDED"


def test_tampered_body_or_other_secret_fails_verification():
    body = b'{"a":1}'
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    headers = signing.headers(SPEC_SECRET, "msg_1", now, body)
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        _verify(SPEC_SECRET, b'{"a":2}', headers)
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        _verify(signing.generate_secret(), body, headers)


def test_no_secret_no_signature():
    headers = signing.headers(None, "d1", 1700000000, b"{}")
    assert headers == {"webhook-id": "d1", "webhook-timestamp": "1700000000"}


def test_generated_secret_has_prefix_and_32_bytes():
    secret = signing.generate_secret()
    assert secret.startswith("whsec_")
    assert len(signing.secret_bytes(secret)) == 32


@pytest.mark.parametrize("secret, words", [
    ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ["whsec_"]),
    ("whsec_not base64!", ["base64"]),
    ("whsec_c2hvcnQ=", ["Invalid 'secret'", "24 to 64"]),
    (12, ["whsec_"]),
])
def test_bad_secrets_are_refused_naming_the_rule(secret, words):
    with pytest.raises(exceptions.InputError) as err:
        signing.secret_bytes(secret)
    for word in words:
        assert word in str(err.value)
    # Never the secret sent, not even a part of it.
    assert str(secret).replace("whsec_", "") not in str(err.value)
