"""``webhook``: an HTTP request, signed, to an allowed address only.

The host is resolved and checked before every attempt and the connection
goes to the checked address (TLS still verifies the certificate against
the host name). Redirects are never followed: a 3xx is a failed attempt
like any other non-2xx answer.
"""
import time

import urllib3

from wfengine.notifier import addresses
from wfengine.notifier import publishers
from wfengine.notifier import signing

USER_AGENT = "wfengine-notifier"
_ANSWER_BYTES = 1024


class WebhookPublisher:
    """Sends each message as one HTTP request."""

    def __init__(self, conf):
        self._policy = addresses.Policy.from_conf(conf.notifier)
        timeout = conf.notifier.http_timeout
        self._timeout = urllib3.Timeout(connect=timeout, read=timeout)

    def publish(self, message):
        """Attempt one delivery; an :class:`publishers.Outcome`."""
        try:
            target = addresses.parse_url(message.url)
            address = addresses.check(target, self._policy)
        except addresses.AddressRefused as e:
            return publishers.Outcome(ok=False, error=str(e))
        except Exception as e:  # bad URL or no DNS answer: retried
            return publishers.Outcome(ok=False, error=str(e))
        return self._send(target, address, message)

    def close(self):
        pass

    def _send(self, target, address, message):
        pool = _pool(target, address, self._timeout)
        try:
            resp = pool.urlopen(
                message.method, target.path, body=message.body,
                headers=_headers(target, message), redirect=False,
                retries=False, assert_same_host=False,
                preload_content=False)
        except urllib3.exceptions.HTTPError as e:
            return publishers.Outcome(ok=False, error=_describe(e))
        finally:
            pool.close()
        try:
            resp.read(_ANSWER_BYTES)
        except urllib3.exceptions.HTTPError:
            pass
        finally:
            resp.release_conn()
        return _outcome(resp)


def _pool(target, address, timeout):
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address, target.port, timeout=timeout, maxsize=1,
            server_hostname=target.host, assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED")
    return urllib3.HTTPConnectionPool(address, target.port, timeout=timeout,
                                      maxsize=1)


def _headers(target, message):
    sent = dict(message.headers or {})
    sent.update({"Host": target.host_header, "User-Agent": USER_AGENT,
                 "Content-Type": "application/json"})
    sent.update(signing.headers(message.secret, message.delivery_id,
                                time.time(), message.body))
    return sent


def _outcome(resp):
    if 200 <= resp.status < 300:
        return publishers.Outcome(ok=True, status_code=resp.status)
    error = "HTTP %d" % resp.status
    if 300 <= resp.status < 400:
        error += " (redirects are not followed)"
    return publishers.Outcome(ok=False, status_code=resp.status, error=error)


def _describe(error):
    # urllib3 errors name the pool (address and port), never the path or
    # query, which may hold a token.
    reason = getattr(error, "reason", None) or error
    return "%s: %s" % (type(error).__name__, reason)
