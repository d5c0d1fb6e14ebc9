"""std.email: sends a message over SMTP (Mistral's inputs; result null).

With ``smtp_password`` the action upgrades the connection with STARTTLS
and logs in as ``from_addr`` before sending; without it, it sends as is.
Neither the password nor the message is logged or put in an error.
"""
import email.message
import smtplib
import ssl

from wfengine import exceptions
from wfengine.actions import base

SMTP_TIMEOUT = 60.0


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
            raise exceptions.ActionError(
                "std.email needs at least one recipient in to_addrs, "
                "cc_addrs or bcc_addrs; all are empty")
        if not isinstance(smtp_server, str) or not smtp_server.strip():
            raise exceptions.ActionError(
                "Input 'smtp_server' of std.email must be \"host\" or "
                "\"host:port\", got %r" % (smtp_server,))
        self.smtp_server = smtp_server.strip()
        self.smtp_password = smtp_password
        self.subject = subject or "<No subject>"
        self.body = body or "<No body>"
        self.html_body = html_body

    def run(self, context):
        message = self._message()
        recipients = self.to_addrs + self.cc_addrs + self.bcc_addrs
        try:
            with smtplib.SMTP(self.smtp_server,
                              timeout=SMTP_TIMEOUT) as client:
                if self.smtp_password is not None:
                    _log_in(client, self.from_addr, self.smtp_password)
                client.send_message(message, from_addr=self.from_addr,
                                    to_addrs=recipients)
        except (smtplib.SMTPException, OSError) as e:
            raise exceptions.ActionError(
                "std.email could not send through SMTP server %r: %s: %s"
                % (self.smtp_server, type(e).__name__, e)) from e
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


def _log_in(client, user, password):
    # STARTTLS before credentials travel (RFC 3207), then log in.
    client.ehlo()
    client.starttls(context=ssl.create_default_context())
    client.ehlo()
    client.login(user, password)


def _address(name, value):
    if not isinstance(value, str) or not value.strip() \
            or "\r" in value or "\n" in value:
        raise exceptions.ActionError(
            "Input %r of std.email must be an e-mail address on one line, "
            "got %r" % (name, value))
    return value.strip()


def _addresses(name, value):
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise exceptions.ActionError(
            "Input %r of std.email must be a list of e-mail addresses, "
            "got %s" % (name, type(value).__name__))
    return [_address(name, v) for v in value]
