"""Cheap polling: an ``ETag`` on every successful GET, and 304s.

The tag is a hash of the response body, so it changes exactly when what
the client would see changes. A GET whose ``If-None-Match`` holds the
current tag (or ``*``) gets ``304 Not Modified`` without a body.
"""
import hashlib

from pecan import hooks


def compute(body):
    """The (strong) entity tag of a response ``body`` (bytes)."""
    return hashlib.sha256(body).hexdigest()[:32]


class ETagHook(hooks.PecanHook):
    """Tags GET/HEAD answers and turns matching conditional GETs into 304."""

    # After the error hook (priority 1000) has shaped error responses,
    # which are never tagged.
    priority = 900

    def after(self, state):
        request, response = state.request, state.response
        if request.method not in ("GET", "HEAD") or \
                response.status_int != 200:
            return
        tag = compute(response.body)
        response.etag = tag
        if tag in request.if_none_match:
            response.status = 304
            response.body = b""
            response.content_type = None
