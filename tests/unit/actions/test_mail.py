"""std.email against a local SMTP sink on 127.0.0.1."""
import email
import email.policy
import socket
import threading

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
def smtp(loopback_allowed):
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


def test_unreachable_server_fails_clearly(loopback_allowed):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    action = mail.SendEmailAction(from_addr="wf@example.com",
                                  to_addrs=["a@example.com"],
                                  smtp_server="127.0.0.1:%d" % port)
    with pytest.raises(exceptions.ActionError,
                       match="SMTP server '127.0.0.1:%d': could not connect"
                       % port):
        action.run(base.ActionContext())


@pytest.mark.parametrize("server", [
    "127.0.0.1:25", "localhost", "[::1]:25", "[::ffff:127.0.0.1]:2525",
    "0.0.0.0:25", "2130706433:25", "169.254.169.254", "10.1.2.3:587"])
def test_the_address_guard_of_std_http_applies(server):
    action = mail.SendEmailAction(from_addr="wf@example.com",
                                  to_addrs=["a@example.com"],
                                  smtp_server=server)
    with pytest.raises(exceptions.ActionError,
                       match="may not connect.*denied network"):
        action.run(base.ActionContext())


def test_allowed_hosts_of_std_http_apply(http_conf):
    http_conf(allowed_hosts=["mail.example.com"])
    action = mail.SendEmailAction(from_addr="wf@example.com",
                                  to_addrs=["a@example.com"],
                                  smtp_server="other.example.com:25")
    with pytest.raises(exceptions.ActionError, match="allowed_hosts"):
        action.run(base.ActionContext())


@pytest.fixture
def banner_server():
    """A TCP server that answers with a banner full of secrets, then
    (to the second client line) with another one."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"554 SECRET-BANNER internal-db-7 ready\r\n")
                conn.recv(1024)
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield "127.0.0.1:%d" % listener.getsockname()[1]
    stop.set()
    listener.close()
    thread.join(5)


def test_errors_never_echo_what_the_server_sent(loopback_allowed,
                                                banner_server):
    action = mail.SendEmailAction(from_addr="wf@example.com",
                                  to_addrs=["a@example.com"],
                                  smtp_server=banner_server)
    with pytest.raises(exceptions.ActionError) as e:
        action.run(base.ActionContext())
    assert "SECRET" not in str(e.value) and "internal" not in str(e.value)
    assert "SMTP code 554" in str(e.value)


@pytest.mark.parametrize("server, expected", [
    ("mail.example.com", ("mail.example.com", 25)),
    ("mail.example.com:587", ("mail.example.com", 587)),
    ("[2001:db8::1]:465", ("2001:db8::1", 465)),
    ("[2001:db8::1]", ("2001:db8::1", 25)),
])
def test_split_server(server, expected):
    assert mail.split_server(server) == expected


@pytest.mark.parametrize("server", ["mail:0", "mail:x", "mail:70000", ":25",
                                    "[::1]:"])
def test_split_server_refuses_bad_ports(server):
    with pytest.raises(exceptions.ActionError, match="smtp_server"):
        mail.split_server(server)


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
