"""What every controller shares: base URL, lists, request bodies."""
import functools

import pecan
from webob import exc as webob_exc

from wfengine.api import context
from wfengine.api import listing
from wfengine.api import policy
from wfengine import conf
from wfengine import exceptions
from wfengine.db import listing as db_listing
from wfengine.db import session


def base_url():
    """The API's public base URL (``[api] public_url`` or the request's)."""
    public = conf.CONF.api.public_url
    return public.rstrip("/") if public else pecan.request.host_url


def only(*methods):
    """Refuse (405) a request whose method is not one of ``methods``."""
    if pecan.request.method not in methods:
        raise webob_exc.HTTPMethodNotAllowed()


def caller():
    """The request's context (None outside an authenticated request)."""
    return context.current(pecan.request)


def caller_project():
    """The project the request acts in (None: no context)."""
    ctx = caller()
    return None if ctx is None else ctx.project_id


def caller_user():
    """The user recorded on what the request creates (None: unknown)."""
    ctx = caller()
    return None if ctx is None else ctx.recorded_user()


def authorize(rule):
    """Refuse (403) the request unless the policy allows ``rule``."""
    policy.enforce(rule, caller())


def list_response(spec, params, shape=None, forced=None, extra=None,
                  mask=None):
    """The body of ``GET /v2/<collection>``: one page and its ``next``.

    The rows are ``spec.model``'s, read through ``db.listing.list_rows``.

    :param shape: ``shape(session, rows, names)`` -> list of dicts; by
        default ``spec.to_dicts``, which takes JSON columns as the text
        they are stored as instead of decoding them to encode them again.
    :param forced: filters fixed by the route (wire name to value).
    :param extra: with the default shape, values of computed fields.
    :param mask: ``mask(item)`` -> the item without its secrets.
    """
    page = listing.PageLimits(conf.CONF.api.default_limit,
                              conf.CONF.api.max_limit)
    query = listing.parse(spec, params, forced, page)
    json_as_text = shape is None
    shape = shape or functools.partial(_plain_shape, spec, extra)
    items = session.reader(_read_page, spec.model, shape, query,
                           json_as_text)
    if mask is not None:
        items = [mask(item) for item in items]
    body = {spec.collection: items}
    link = listing.next_link(base_url(), spec, query, items)
    if link:
        body["next"] = link
    return body


def _plain_shape(spec, extra, sess, rows, names):
    return spec.to_dicts(rows, names, extra, json_as_text=True)


def _read_page(sess, model, shape, query, json_as_text):
    rows = db_listing.list_rows(
        sess, model, filters=query.filters, limit=query.limit,
        marker=query.marker, sort_keys=query.sort_columns,
        sort_dirs=query.sort_dirs, fields=query.columns,
        json_as_text=json_as_text)
    return shape(sess, rows, query.names)


def request_text():
    """The request body as text (UTF-8)."""
    try:
        return pecan.request.body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise exceptions.NotUTF8(
            part="body", detail=" (an invalid byte at position %d)"
            % e.start) from e


def single_id(path):
    """The one path segment of ``DELETE /v2/<collection>/<id>``.

    A DELETE of the collection itself (no segment) is not allowed (405);
    extra segments name nothing (404).
    """
    if not path:
        raise webob_exc.HTTPMethodNotAllowed()
    if len(path) > 1:
        raise webob_exc.HTTPNotFound()
    return path[0]
