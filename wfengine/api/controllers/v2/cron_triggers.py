"""``/v2/cron_triggers``: start a workflow on a schedule.

The API stores the trigger with its first ``next_execution_time``; the
engines' scheduler (``engine/cron.py``) fires it. In keystone mode the
trigger holds a trust from its creator (``wfengine.trusts``), made here
and deleted with the trigger.
"""
from pecan import rest

from wfengine.api import bodies
from wfengine.api.controllers import common
from wfengine.api.expose import expose
from wfengine.api import resources
from wfengine.api import wstypes
from wfengine import conf
from wfengine.db import definitions
from wfengine.db import models
from wfengine.db import session
from wfengine import trusts

SPEC = resources.CRON_TRIGGER


def _create(sess, values):
    identifier = values["workflow_id"] or values["workflow_name"]
    # An unknown workflow is a 404 (as in Mistral), its message naming
    # the workflow looked for.
    wf_def = definitions.get_workflow_definition(
        sess, identifier, values["workflow_namespace"])
    values = dict(values, workflow_id=wf_def.id, workflow_name=wf_def.name,
                  workflow_namespace=wf_def.namespace)
    return SPEC.to_dict(definitions.create_cron_trigger(sess, values))


def _get(sess, identifier):
    return SPEC.to_dict(definitions.get_cron_trigger(
        sess, identifier, fields=SPEC.columns(SPEC.names())))


def _trust():
    """In keystone mode, a trust from the caller to the service user (the
    trigger fires with it); else None."""
    if not trusts.enabled(conf.CONF):
        return None
    return trusts.create(conf.CONF, common.caller())


class CronTriggersController(rest.RestController):
    """Create, read, list and delete cron triggers."""

    @expose(wstypes.CronTrigger, wstypes.text)
    def get_one(self, identifier, **_params):
        """One cron trigger by name or id."""
        return session.reader(_get, identifier)

    @expose(wstypes.CronTriggers, direct=True)
    def get_all(self, **params):
        """Cron triggers, filtered and paged."""
        return common.list_response(SPEC, params)

    @expose(wstypes.CronTrigger, body=wstypes.CronTriggerCreate,
            status_code=201)
    def post(self, *, body, **_params):
        """Create a cron trigger; 201 with it."""
        values = bodies.parse_cron_trigger(wstypes.present(body),
                                           models.utcnow())
        trust_id = _trust()
        try:
            return session.unit_of_work(
                _create, dict(values, trust_id=trust_id))
        except Exception:
            trusts.delete(conf.CONF, trust_id)
            raise

    @expose(None, status_code=204)
    def delete(self, *path, **_params):
        """Delete one cron trigger; 204."""
        trust_id = session.unit_of_work(definitions.delete_cron_trigger,
                                        common.single_id(path))
        trusts.delete(conf.CONF, trust_id)
