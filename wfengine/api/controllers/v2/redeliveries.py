"""``PUT /v2/listeners/<id>/deliveries/<delivery id>``: send a failed
delivery again.

An extension (``doc/source/api-extensions.rst``). The body is
``{"state": "PENDING"}``; a delivery that is ``FAILED`` goes back to
``PENDING``, due now, and the notifier attempts it on its next round,
signed as before and with the same ``webhook-id``. The attempts made so
far are kept, so one more failure makes it ``FAILED`` again (its retry
budget was spent); the policy's age limit still counts from the event.
"""
import datetime

from wfengine.api import listener_resources
from wfengine.db import notifications
from wfengine.db import session
from wfengine import exceptions
from wfengine.notifier import policy

def parse_redelivery(data):
    """Check the body (its fields, ``wstypes.Redelivery``, checked by
    WSME); :raises InputError: anything but state PENDING."""
    if data.get("state") != policy.PENDING:
        raise exceptions.NotAllowedValue(
            field="delivery state", allowed="PENDING (a delivery is sent "
            "again with {\"state\": \"PENDING\"})")


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _redeliver(sess, listener_id, delivery_id):
    notifications.get_listener(sess, listener_id)
    target = policy.transition(policy.FAILED, policy.REDELIVER)
    row, changed = notifications.reset_delivery(
        sess, listener_id, delivery_id, policy.FAILED, target, _now())
    if not changed:
        raise exceptions.OnlyFromState(
            kind="Delivery", id=delivery_id, state=row.state,
            allowed="a %s delivery" % policy.FAILED, what="be sent again")
    return listener_resources.delivery_dict(row)


def put(listener_id, delivery_id, data):
    """The controller method's body: check, reset, answer the delivery."""
    parse_redelivery(data)
    return session.unit_of_work(_redeliver, listener_id, delivery_id)
