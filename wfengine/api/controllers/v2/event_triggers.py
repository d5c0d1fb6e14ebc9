"""``/v2/event_triggers``: start a workflow when a notification arrives.

A trigger names a workflow (by id), the ``exchange`` and ``topic`` of the
messaging transport to listen on, the ``event`` (the notification's
event type) and the workflow's input and params. The API stores it (in
the caller's project; one per exchange, topic, event and workflow) after
checking the workflow exists and its input fits; the engines' listener
(``engine/event_triggers.py``) reads the stored triggers and starts the
executions. In keystone mode the trigger holds a trust from its creator,
made here and deleted with the trigger. ``scope: public`` (an admin's, as
in Mistral) fires for every project's notifications.
"""
from pecan import rest

from wfengine.api import bodies
from wfengine.api.controllers import common
from wfengine.api.expose import expose
from wfengine.api import resources
from wfengine.api import wstypes
from wfengine import conf
from wfengine.db import definitions
from wfengine.db import event_triggers
from wfengine.db import session
from wfengine import exceptions
from wfengine import trusts

SPEC = resources.EVENT_TRIGGER


def _shown(row):
    return SPEC.to_dict(row)


def check_input(wf_def, given):
    """Refuse an input that misses a required input of the workflow or
    names one it does not declare (the check a start makes).

    :param wf_def: the workflow row, with its ``spec``.
    :raises InvalidInputNames: naming the inputs, never their values.
    """
    declared, required = [], []
    for param in (wf_def.spec or {}).get("input") or []:
        if isinstance(param, dict) and "name" in param:
            name, optional = param["name"], param.get("has_default")
        elif isinstance(param, dict):
            name, optional = next(iter(param), None), True
        else:
            name, optional = param, False
        declared.append(name)
        if not optional:
            required.append(name)
    problems = []
    missing = [n for n in required if n not in given]
    if missing:
        problems.append("missing required input: %s" % ", ".join(missing))
    unknown = sorted(set(given) - set(declared))
    if unknown:
        problems.append("unexpected input: %s (declared: %s)" % (
            ", ".join(unknown), ", ".join(sorted(declared)) or "none"))
    if problems:
        raise exceptions.InvalidInputNames(
            owner="workflow '%s'" % wf_def.name,
            problems="; ".join(problems))


def _workflow(sess, values):
    """The workflow a trigger starts (by id), its input checked."""
    wf_def = definitions.get_workflow_definition(
        sess, values["workflow_id"], fields=("spec",))
    check_input(wf_def, values.get("workflow_input") or {})
    return wf_def


def _create(sess, values):
    _workflow(sess, values)
    return _shown(event_triggers.create_event_trigger(sess, values))


def _update(sess, trigger_id, values):
    row = event_triggers.get_event_trigger(
        sess, trigger_id, ("workflow_input", "workflow_params"))
    if "workflow_id" in values or "workflow_input" in values:
        _workflow(sess, dict({"workflow_id": row.workflow_id,
                              "workflow_input": row.workflow_input},
                             **values))
    return _shown(event_triggers.update_event_trigger(sess, trigger_id,
                                                      values))


def _get(sess, trigger_id):
    return _shown(event_triggers.get_event_trigger(
        sess, trigger_id, SPEC.columns(SPEC.names())))


def _authorize_scope(values):
    if values.get("scope") == "public":
        common.authorize("event_triggers:publicize")


def _trust():
    """In keystone mode, a trust from the caller to the service user (the
    trigger starts its workflow with it); else None."""
    if not trusts.enabled(conf.CONF):
        return None
    return trusts.create(conf.CONF, common.caller())


class EventTriggersController(rest.RestController):
    """Create, read, list, change and delete event triggers."""

    @expose(wstypes.EventTrigger, wstypes.text)
    def get_one(self, trigger_id, **_params):
        """One event trigger by id."""
        return session.reader(_get, trigger_id)

    @expose(wstypes.EventTriggers, direct=True)
    def get_all(self, **params):
        """Event triggers, filtered and paged."""
        return common.list_response(SPEC, params)

    @expose(wstypes.EventTrigger, body=wstypes.EventTriggerCreate,
            status_code=201)
    def post(self, *, body, **_params):
        """Create an event trigger; 201 with it."""
        values = bodies.parse_event_trigger(wstypes.present(body))
        _authorize_scope(values)
        trust_id = _trust()
        try:
            return session.unit_of_work(_create,
                                        dict(values, trust_id=trust_id))
        except Exception:
            trusts.delete(conf.CONF, trust_id)
            raise

    @expose(wstypes.EventTrigger, wstypes.text,
            body=wstypes.EventTriggerUpdate)
    def put(self, trigger_id, *, body, **_params):
        """Change a trigger's name, workflow, input, params or scope."""
        values = bodies.parse_event_trigger(wstypes.present(body),
                                            create=False)
        _authorize_scope(values)
        return session.unit_of_work(_update, trigger_id, values)

    @expose(None, status_code=204)
    def delete(self, *path, **_params):
        """Delete one event trigger; 204."""
        trust_id = session.unit_of_work(event_triggers.delete_event_trigger,
                                        common.single_id(path))
        trusts.delete(conf.CONF, trust_id)
