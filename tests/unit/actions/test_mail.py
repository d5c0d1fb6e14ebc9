"""std.email against a local SMTP sink on 127.0.0.1."""
import email
import email.policy
import socket

import pytest
from aiosmtpd import controller

from wfengine import exceptions
from wfengine.actions import base
from wfengine.actions import mail

pytestmark = pytest.mark.timeout(30)


class Sink:
    """Keeps every message the SMTP server receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sink = Sink()
    server = controller.Controller(sink, hostname="127.0.0.1", port=port,
                                   ready_timeout=5)
    server.start()
    sink.address = "127.0.0.1:%d" % port
    yield sink
    server.stop()


def parsed(envelope):
    return email.message_from_bytes(envelope.content,
                                    policy=email.policy.default)


def test_plain_message(smtp):
    action = mail.SendEmailAction(
        from_addr="wf@example.com", to_addrs=["a@example.com"],
        smtp_server=smtp.address, subject="Hi ✓", body="Body text")
    assert action.run(base.ActionContext()) is None
    envelope, = smtp.envelopes
    assert envelope.mail_from == "wf@example.com"
    assert envelope.rcpt_tos == ["a@example.com"]
    message = parsed(envelope)
    assert message["Subject"] == "Hi ✓"
    assert message["To"] == "a@example.com"
    assert message.get_content().strip() == "Body text"
    assert message["Reply-To"] is None


def test_html_cc_bcc_reply_to(smtp):
    mail.SendEmailAction(
        from_addr="wf@example.com", to_addrs="a@example.com",
        cc_addrs=["c@example.com"], bcc_addrs=["hidden@example.com"],
        reply_to=["r@example.com"], smtp_server=smtp.address,
        body="text", html_body="<b>html</b>").run(base.ActionContext())
    envelope, = smtp.envelopes
    assert sorted(envelope.rcpt_tos) == ["a@example.com", "c@example.com",
                                         "hidden@example.com"]
    message = parsed(envelope)
    assert message["Cc"] == "c@example.com"
    assert message["Reply-To"] == "r@example.com"
    assert b"hidden@example.com" not in envelope.content
    assert message.get_body(("html",)).get_content().strip() \
        == "<b>html</b>"
    assert message.get_body(("plain",)).get_content().strip() == "text"


def test_defaults_like_mistral(smtp):
    mail.SendEmailAction(from_addr="wf@example.com", to_addrs=["a@x.org"],
                         smtp_server=smtp.address).run(base.ActionContext())
    message = parsed(smtp.envelopes[0])
    assert message["Subject"] == "<No subject>"
    assert message.get_content().strip() == "<No body>"


def test_password_needs_starttls_and_is_not_shown(smtp):
    action = mail.SendEmailAction(
        from_addr="wf@example.com", to_addrs=["a@example.com"],
        smtp_server=smtp.address, smtp_password="pa55word")
    with pytest.raises(exceptions.ActionError, match="STARTTLS") as e:
        action.run(base.ActionContext())
    assert "pa55word" not in str(e.value)
    assert smtp.envelopes == []


def test_unreachable_server_fails_clearly():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    action = mail.SendEmailAction(from_addr="wf@example.com",
                                  to_addrs=["a@example.com"],
                                  smtp_server="127.0.0.1:%d" % port)
    with pytest.raises(exceptions.ActionError,
                       match="SMTP server '127.0.0.1:%d'" % port):
        action.run(base.ActionContext())


@pytest.mark.parametrize("inputs, match", [
    ({"to_addrs": []}, "at least one recipient"),
    ({"to_addrs": 5}, "'to_addrs'"),
    ({"from_addr": "a@x\r\nBcc: evil@x"}, "'from_addr'"),
    ({"smtp_server": ""}, "'smtp_server'"),
])
def test_bad_inputs(inputs, match):
    values = {"from_addr": "wf@example.com", "to_addrs": ["a@example.com"],
              "smtp_server": "127.0.0.1:25", **inputs}
    with pytest.raises(exceptions.ActionError, match=match):
        mail.SendEmailAction(**values)


def test_header_injection_in_subject_is_refused():
    action = mail.SendEmailAction(
        from_addr="wf@example.com", to_addrs=["a@example.com"],
        smtp_server="127.0.0.1:25", subject="x\r\nBcc: evil@example.com")
    with pytest.raises(exceptions.ActionError, match="invalid header"):
        action.run(base.ActionContext())
