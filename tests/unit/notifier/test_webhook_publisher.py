"""The webhook publisher against a real local HTTP server."""
import json
import socket

import pytest
import standardwebhooks

from wfengine import conf
from wfengine.notifier import publishers
from wfengine.notifier.publishers import webhook

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _message(url, **kw):
    body = {"event": "WORKFLOW_LAUNCHED", "n": 1}
    return publishers.Message("d-1", "WORKFLOW_LAUNCHED",
                              json.dumps(body).encode(), body, url=url, **kw)


@pytest.fixture
def publisher(allow_loopback):
    return webhook.WebhookPublisher(conf.CONF)


def test_signed_request_verifies_with_standardwebhooks(publisher, receiver):
    outcome = publisher.publish(_message(
        receiver.url + "/hook?k=v", secret=SECRET, method="PUT",
        headers={"X-Api-Key": "k1"}))
    assert outcome == publishers.Outcome(ok=True, status_code=200)
    method, path, headers, body = receiver.requests[0]
    assert (method, path) == ("PUT", "/hook?k=v")
    assert headers["X-Api-Key"] == "k1"
    assert headers["Content-Type"] == "application/json"
    assert headers["webhook-id"] == "d-1"
    lowered = {k.lower(): v for k, v in headers.items()}
    verified = standardwebhooks.Webhook(SECRET).verify(body, lowered)
    assert verified["event"] == "WORKFLOW_LAUNCHED"


def test_redirect_is_not_followed(publisher, receiver):
    receiver.status = 302
    outcome = publisher.publish(_message(receiver.url + "/hook"))
    assert not outcome.ok and outcome.status_code == 302
    assert "redirects are not followed" in outcome.error
    assert [r[1] for r in receiver.requests] == ["/hook"]


def test_non_2xx_is_a_failed_attempt(publisher, receiver):
    receiver.status = 503
    outcome = publisher.publish(_message(receiver.url))
    assert (outcome.ok, outcome.status_code, outcome.error) == (
        False, 503, "HTTP 503")


def test_refused_connection_is_a_failed_attempt(publisher):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    outcome = publisher.publish(_message("http://127.0.0.1:%d/" % port))
    assert not outcome.ok and outcome.status_code is None
    assert "refused" in outcome.error.lower()


def test_address_not_allowed_is_refused_before_connecting(receiver):
    publisher = webhook.WebhookPublisher(conf.CONF)  # default: no loopback
    outcome = publisher.publish(_message(receiver.url))
    assert not outcome.ok and "non-public address" in outcome.error
    assert receiver.requests == []


def test_timeout_is_a_failed_attempt(allow_loopback):
    conf.CONF.set_override("http_timeout", 0.2, group="notifier")
    try:
        publisher = webhook.WebhookPublisher(conf.CONF)
    finally:
        conf.CONF.clear_override("http_timeout", group="notifier")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)  # accepts, never answers
        outcome = publisher.publish(_message(
            "http://127.0.0.1:%d/" % server.getsockname()[1]))
    assert not outcome.ok and "timed out" in outcome.error.lower()
