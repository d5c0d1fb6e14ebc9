"""WSGI middleware: refuse malformed requests before Pecan reads them.

Pecan decodes the path as UTF-8 and a JSON body into routing parameters
before any controller or hook runs, and neither survives hostile input:
a path with ``%ff%fe`` fails inside WebOb, a body of 100,000 nested
``[`` raises RecursionError in the decoder. Both would be a 500; here
they are a 400 in Mistral's error shape. The body is read once, after
:class:`wfengine.api.app.BodySizeLimit` bounded its size.
"""
import io
from urllib import parse

from wfengine.api import errors
from wfengine.core import jsonsafe
from wfengine import exceptions

_JSON_TYPES = ("application/json", "application/javascript")


class RequestGuard:
    """Answer 400 to a path or query that is not UTF-8 and to a JSON body
    nested deeper than ``[api] max_document_depth``."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        try:
            _check_text(environ, "PATH_INFO", "path")
            _check_text(environ, "QUERY_STRING", "query string")
            if _is_json(environ):
                _check_json_body(environ)
        except exceptions.InputError as e:
            errors.log_error(400, str(e), e)
            return errors.fault_response(400, str(e))(environ,
                                                      start_response)
        return self.app(environ, start_response)


def _check_text(environ, key, what):
    # WSGI hands the raw bytes of the path as a latin-1 str.
    raw = environ.get(key, "").encode("latin-1", "replace")
    if key == "QUERY_STRING":
        raw = _unquoted(raw)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise exceptions.NotUTF8(part=what,
                                 detail=" (after decoding %-escapes)") from None


def _unquoted(raw):
    return parse.unquote_to_bytes(raw.replace(b"+", b" "))


def _is_json(environ):
    content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip()
    return content_type.lower() in _JSON_TYPES


def _check_json_body(environ):
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return  # BodySizeLimit answers an invalid Content-Length
    if length <= 0:
        return
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise exceptions.NotUTF8(
            part="body", detail=" (an invalid byte at position %d)"
            % e.start) from None
    jsonsafe.check_depth(text, "The request body")
