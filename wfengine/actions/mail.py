"""std.email: sends a message over SMTP (Mistral's inputs; result null).

With ``smtp_password`` the action upgrades the connection with STARTTLS
and logs in as ``from_addr`` before sending; without it, it sends as is.
Neither the password nor the message is logged or put in an error.

The SMTP server goes through the same address guard as ``std.http``
(``[action_std_http] denied_cidrs`` and ``allowed_hosts``): its host is
resolved once, every address checked, and the connection made to the
address checked (no second DNS answer). An error says what failed in a
few words of ours and the SMTP reply code, never the text the server
sent: a workflow must not read banners of whatever answers on a port.
"""
import email.message
import smtplib
import socket
import ssl

from wfengine.actions import base
from wfengine import conf
from wfengine import exceptions
from wfengine import netguard

SMTP_TIMEOUT = 60.0
SMTP_PORT = 25
_SETTING = "[action_std_http]"


class SendEmailAction(base.Action):
    """Sends an e-mail (plain text, or text and HTML) through an SMTP server.

    ``smtp_server`` is ``host`` or ``host:port``; ``to_addrs``,
    ``cc_addrs``, ``bcc_addrs`` and ``reply_to`` are lists of addresses
    (a single string is one address). Bcc recipients get the message but
    no header names them.
    """

    def __init__(self, from_addr, to_addrs, smtp_server, reply_to=None,
                 cc_addrs=None, bcc_addrs=None, smtp_password=None,
                 subject=None, body=None, html_body=None):
        self.from_addr = _address("from_addr", from_addr)
        self.to_addrs = _addresses("to_addrs", to_addrs)
        self.cc_addrs = _addresses("cc_addrs", cc_addrs)
        self.bcc_addrs = _addresses("bcc_addrs", bcc_addrs)
        self.reply_to = _addresses("reply_to", reply_to)
        if not (self.to_addrs or self.cc_addrs or self.bcc_addrs):
            raise exceptions.InvalidActionArgument(
                field="to_addrs", action="std.email", kind="all empty",
                expected="given, or cc_addrs or bcc_addrs: at least one "
                "recipient")
        if not isinstance(smtp_server, str) or not smtp_server.strip():
            raise exceptions.InvalidActionArgument(
                field="smtp_server", action="std.email",
                expected='"host" or "host:port"',
                kind=type(smtp_server).__name__)
        self.smtp_server = smtp_server.strip()
        self.smtp_password = smtp_password
        self.subject = subject or "<No subject>"
        self.body = body or "<No body>"
        self.html_body = html_body

    def run(self, context):
        message = self._message()
        recipients = self.to_addrs + self.cc_addrs + self.bcc_addrs
        host, port = split_server(self.smtp_server)
        address = _checked_address(host, port)
        try:
            with _PinnedSMTP(address, timeout=SMTP_TIMEOUT) as client:
                code, _ = client.connect(host, port)
                if code != 220:
                    raise smtplib.SMTPConnectError(code, "")
                if self.smtp_password is not None:
                    _log_in(client, self.from_addr, self.smtp_password)
                client.send_message(message, from_addr=self.from_addr,
                                    to_addrs=recipients)
        except (smtplib.SMTPException, OSError, ValueError) as e:
            raise exceptions.ActionError(
                "std.email could not send through SMTP server %r: %s"
                % (self.smtp_server, safe_summary(e))) from None
        return None

    def _message(self):
        message = email.message.EmailMessage()
        try:
            message["Subject"] = self.subject
            message["From"] = self.from_addr
            if self.to_addrs:
                message["To"] = ", ".join(self.to_addrs)
            if self.cc_addrs:
                message["Cc"] = ", ".join(self.cc_addrs)
            if self.reply_to:
                message["Reply-To"] = ", ".join(self.reply_to)
        except ValueError as e:
            raise exceptions.ActionError(
                "std.email has an invalid header value: %s" % e) from e
        message.set_content(self.body)
        if self.html_body:
            message.add_alternative(self.html_body, subtype="html")
        return message


class _PinnedSMTP(smtplib.SMTP):
    """An SMTP client that connects to the address the guard checked
    while it names the host (EHLO, STARTTLS certificate checks)."""

    def __init__(self, address, **kwargs):
        self._address = address
        super().__init__(**kwargs)

    def _get_socket(self, host, port, timeout):
        return socket.create_connection((self._address, port), timeout,
                                        self.source_address)


def split_server(server):
    """``(host, port)`` of ``host``, ``host:port`` or ``[v6]:port``."""
    host, port = server, SMTP_PORT
    if server.startswith("["):
        host, _, rest = server[1:].partition("]")
        if rest:
            port = _port(server, rest[1:] if rest.startswith(":") else "")
    elif server.count(":") == 1:
        host, text = server.split(":")
        port = _port(server, text)
    if not host:
        raise exceptions.InvalidActionArgument(
            field="smtp_server", action="std.email",
            expected='"host" or "host:port"', kind="no host")
    return host, port


def _port(server, text):
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise exceptions.InvalidActionArgument(
            field="smtp_server", action="std.email",
            expected='"host" or "host:port" with a port from 1 to 65535',
            kind="another port")
    return int(text)


def _checked_address(host, port):
    group = conf.CONF.action_std_http
    denied = netguard.parse_networks(group.denied_cidrs,
                                     "%s denied_cidrs" % _SETTING)
    try:
        return netguard.check_host(host, port, denied,
                                   tuple(group.allowed_hosts or ()),
                                   _SETTING)
    except netguard.URLRefused as e:
        raise exceptions.ActionError(
            "std.email may not connect to SMTP server %r: %s"
            % ("%s:%d" % (host, port), e)) from None


def safe_summary(error):
    """A few words on ``error`` that quote nothing a server sent."""
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "the server closed the connection"
    if isinstance(error, smtplib.SMTPResponseException):
        return "the server refused (%s, SMTP code %s)" % (
            type(error).__name__, error.smtp_code)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "the server refused every recipient"
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return "the server does not support a needed extension (STARTTLS " \
               "or AUTH)"
    if isinstance(error, smtplib.SMTPException):
        return "SMTP error (%s)" % type(error).__name__
    if isinstance(error, socket.timeout):
        return "timed out after %g seconds" % SMTP_TIMEOUT
    if isinstance(error, ssl.SSLError):
        return "TLS failed (%s)" % type(error).__name__
    if isinstance(error, OSError):
        return "could not connect (%s)" % type(error).__name__
    return "invalid exchange (%s)" % type(error).__name__


def _log_in(client, user, password):
    # STARTTLS before credentials travel (RFC 3207), then log in.
    client.ehlo()
    client.starttls(context=ssl.create_default_context())
    client.ehlo()
    client.login(user, password)


def _address(name, value):
    if not isinstance(value, str) or not value.strip() \
            or "\r" in value or "\n" in value:
        raise exceptions.InvalidActionArgument(
            field=name, action="std.email",
            expected="an e-mail address on one line",
            kind=type(value).__name__)
    return value.strip()


def _addresses(name, value):
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise exceptions.InvalidActionArgument(
            field=name, action="std.email",
            expected="a list of e-mail addresses", kind=type(value).__name__)
    return [_address(name, v) for v in value]
