"""``/v2/actions``: built-in actions (read-only) and ad-hoc actions.

Ad-hoc actions are written as workflow-language text (``Content-Type:
text/plain``) with ``scope`` and ``namespace`` in the query string, as
``/v2/workflows``. python-mistralclient reads one action at
``/v2/actions/<name>/<namespace>`` (an empty namespace leaves a trailing
slash), so both the path and the ``namespace`` parameter are accepted.
"""
import weakref

from pecan import rest

from wfengine.api import builtin_actions
from wfengine.api.controllers import common
from wfengine.api.controllers.v2 import workflows
from wfengine.api.expose import expose
from wfengine.api import resources
from wfengine.api import wstypes
from wfengine.core.lang import actions as lang_actions
from wfengine.db import definitions
from wfengine.db import session
from wfengine import exceptions

SPEC = resources.ACTION

# Databases whose built-in action rows are known to be current.
_synced = weakref.WeakSet()


def ensure_system_actions():
    """Mirror the installed built-in actions into the database, once per
    database engine and process."""
    engine = session.get_engine()
    if engine not in _synced:
        session.unit_of_work(definitions.sync_system_actions,
                             builtin_actions.values())
        _synced.add(engine)


def _definition_values(text, scope, namespace):
    if not text.strip():
        raise exceptions.EmptyBody(what="one or more ad-hoc actions")
    specs = lang_actions.parse_actions(text)
    return [{"name": spec.name, "namespace": namespace or "",
             "definition": workflows.workflow_text(text, spec.name,
                                                   len(specs)),
             "spec": spec.to_dict(),
             "input": spec.input_signature(),
             "description": spec.description, "tags": list(spec.tags),
             "scope": scope, "is_system": False}
            for spec in specs]


def _namespace(path_rest, params):
    """The namespace from ``/<name>/<namespace>`` or the query string."""
    if len(path_rest) > 1:
        raise exceptions.NotFound(
            "Action not found: unexpected path after the namespace")
    path_namespace = path_rest[0] if path_rest else ""
    return path_namespace or params.get("namespace", "") or ""


def _get(sess, identifier, namespace):
    return SPEC.to_dict(definitions.get_action_definition(
        sess, identifier, namespace, fields=SPEC.columns(SPEC.names())))


def _create(sess, values_list):
    rows = definitions.create_action_definitions(sess, values_list)
    return [SPEC.to_dict(row) for row in rows]


def _update(sess, values_list, namespace, identifier):
    return [SPEC.to_dict(definitions.update_action_definition(
        sess, identifier or values["name"], values, namespace))
        for values in values_list]


class ActionsController(rest.RestController):
    """Read every action; create, update, delete and validate ad-hoc ones."""

    _custom_actions = {"validate": ["POST"]}

    @expose(wstypes.Action, wstypes.text)
    def get_one(self, identifier, *namespace, **params):
        """One action by id or name."""
        ensure_system_actions()
        return session.reader(_get, identifier,
                              _namespace(namespace, params))

    @expose(wstypes.Actions, direct=True)
    def get_all(self, **params):
        """Actions, built-in and ad-hoc, filtered and paged."""
        ensure_system_actions()
        return common.list_response(SPEC, params)

    @expose(wstypes.Actions, status_code=201)
    def post(self, **params):
        """Create the ad-hoc actions of the text body; 201 with them."""
        ensure_system_actions()
        values = _definition_values(
            common.request_text(), resources.check_scope(params.get("scope")),
            params.get("namespace", ""))
        return {"actions": session.unit_of_work(_create, values)}

    @expose(wstypes.Actions, wstypes.text)
    def put(self, identifier=None, **params):
        """Replace ad-hoc actions by the text body (matched by name, or
        the one action ``identifier``)."""
        ensure_system_actions()
        namespace = params.get("namespace", "")
        values = _definition_values(
            common.request_text(), resources.check_scope(params.get("scope")),
            namespace)
        if identifier and len(values) != 1:
            raise exceptions.OneDefinitionExpected(
                kind="action", name=identifier, count=len(values))
        return {"actions": session.unit_of_work(_update, values, namespace,
                                                identifier)}

    @expose(None, status_code=204)
    def delete(self, *path, **params):
        """Delete one ad-hoc action (``/<name>[/<namespace>]``); 204."""
        ensure_system_actions()
        if not path:
            common.single_id(path)
        session.unit_of_work(definitions.delete_action_definition, path[0],
                             _namespace(path[1:], params))

    @expose(wstypes.Validation)
    def validate(self, **_params):
        """Check an ad-hoc action text: ``{"valid", "error"}``."""
        problems = lang_actions.validate_actions(common.request_text())
        if problems:
            return {"valid": False, "error": "\n".join(problems)}
        return {"valid": True, "error": None}
