"""``/v2/listeners``: standing webhook subscriptions and their deliveries.

An extension of Mistral's API (``spec/extensions.md`` section 2). The API
writes listeners (definitions); deliveries are the notifier's, read here.
"""
from pecan import rest

from wfengine.api.controllers import common
from wfengine.api.controllers.v2 import redeliveries
from wfengine.api.expose import expose
from wfengine.api import listener_resources
from wfengine.api import wstypes
from wfengine.db import notifications
from wfengine.db import session
from wfengine import exceptions

SPEC = listener_resources.LISTENER
DELIVERY_PARAMS = ("limit", "marker")


def _shape(sess, rows, names):
    return [listener_resources.listener_dict(row, names) for row in rows]


def _create(sess, values):
    project = common.caller_project()
    if project is not None:
        values = dict(values, project_id=project,
                      user_id=common.caller_user())
    row = notifications.create_listener(sess, values)
    return listener_resources.listener_dict(row, with_secret=True)


def _update(sess, listener_id, values):
    row = notifications.update_listener(sess, listener_id, values)
    return listener_resources.listener_dict(row)


def _get(sess, listener_id):
    return listener_resources.listener_dict(
        notifications.get_listener(sess, listener_id))


def _deliveries(sess, listener_id, limit, marker):
    notifications.get_listener(sess, listener_id)
    rows = notifications.list_deliveries(sess, listener_id, limit, marker)
    return [listener_resources.delivery_dict(row) for row in rows]


def _limit(value):
    if value in (None, ""):
        return None
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if limit <= 0:
        raise exceptions.InvalidValue(field="limit",
                                      expected="a positive integer")
    return limit


class DeliveriesController(rest.RestController):
    """``GET /v2/listeners/<id>/deliveries``: newest first, paged."""

    @expose(wstypes.Deliveries, wstypes.text)
    def get_all(self, listener_id, **params):
        """One page of a listener's deliveries (``limit``, ``marker``)."""
        unknown = sorted(set(params) - set(DELIVERY_PARAMS))
        if unknown:
            raise exceptions.UnknownFields(
                where="the query parameters of deliveries",
                fields=", ".join(unknown), allowed=", ".join(DELIVERY_PARAMS))
        limit = _limit(params.get("limit"))
        items = session.reader(_deliveries, listener_id, limit,
                               params.get("marker") or None)
        body = {"deliveries": items}
        if limit and len(items) == limit:
            body["next"] = (
                "%s/v2/listeners/%s/deliveries?limit=%d&marker=%s"
                % (common.base_url(), listener_id, limit, items[-1]["id"]))
        return body

    @expose(wstypes.Delivery, wstypes.text, wstypes.text,
            body=wstypes.Redelivery)
    def put(self, listener_id, delivery_id, *, body, **_params):
        """Send a FAILED delivery again (``{"state": "PENDING"}``)."""
        return redeliveries.put(listener_id, delivery_id,
                                wstypes.present(body))


class ListenersController(rest.RestController):
    """Create, read, list, update and delete listeners."""

    deliveries = DeliveriesController()

    @expose(wstypes.Listener, wstypes.text)
    def get_one(self, listener_id, **_params):
        """One listener (no secret, header values masked)."""
        return session.reader(_get, listener_id)

    @expose(wstypes.Listeners, direct=True)
    def get_all(self, **params):
        """Listeners, filtered (``workflow_name``) and paged."""
        return common.list_response(SPEC, params, _shape)

    @expose(wstypes.Listener, body=wstypes.ListenerCreate, status_code=201)
    def post(self, *, body, **_params):
        """Create a listener; 201 with it and its secret (only here)."""
        values = listener_resources.parse_create(wstypes.present(body))
        return session.unit_of_work(_create, values)

    @expose(wstypes.Listener, wstypes.text, body=wstypes.ListenerUpdate)
    def put(self, listener_id, *, body, **_params):
        """Change url, events, headers, method, description, enabled."""
        values = listener_resources.parse_update(wstypes.present(body))
        return session.unit_of_work(_update, listener_id, values)

    @expose(None, wstypes.text, status_code=204)
    def delete(self, listener_id, **_params):
        """Delete a listener and its delivery log; 204."""
        session.unit_of_work(notifications.delete_listener, listener_id)
