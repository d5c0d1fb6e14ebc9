"""``/v2/workflows``: workflow definitions, written as YAML text.

``POST`` and ``PUT`` take the workflow language text itself
(``Content-Type: text/plain``) with ``namespace`` and ``scope`` in the
query string, and answer ``{"workflows": [...]}`` (``PUT
/v2/workflows/<id>`` answers the one workflow).
"""
import re

from pecan import rest
from wsme import api as wsme_api

from wfengine.api.controllers import common
from wfengine.api.expose import expose
from wfengine.api import resources
from wfengine.api import wstypes
from wfengine.core.lang import parser
from wfengine.db import definitions
from wfengine.db import session
from wfengine import exceptions

SPEC = resources.WORKFLOW
_TOP_LEVEL_KEY = re.compile(r"^(['\"]?)([^\s#'\"][^:]*?)\1\s*:")


def _parse_workflows(text):
    """The parser's workflow specs for ``text`` (a seam for tests)."""
    return parser.parse_workflows(text)


def workflow_text(text, name, count):
    """The part of ``text`` that defines workflow ``name``.

    A text with one workflow is kept whole; from a text with several, the
    workflow's own top-level section is cut, after a ``version`` line.
    """
    if count <= 1:
        return text
    lines = text.splitlines(keepends=True)
    section, inside = [], False
    for line in lines:
        match = _TOP_LEVEL_KEY.match(line)
        if match:
            inside = match.group(2).strip() == name
        if inside:
            section.append(line)
    if not section:
        return text
    return "version: '2.0'\n\n" + "".join(section)


def _definition_values(text, scope, namespace):
    if not text.strip():
        raise exceptions.EmptyBody(what="one or more workflows")
    specs = _parse_workflows(text)
    return [{"name": spec.name, "namespace": namespace or "",
             "definition": workflow_text(text, spec.name, len(specs)),
             "spec": spec.to_dict(), "input": spec.input_signature(),
             "tags": list(spec.tags or []), "scope": scope}
            for spec in specs]


def _create(sess, values_list):
    rows = definitions.create_workflow_definitions(sess, values_list)
    return [resources.workflow_dict(row) for row in rows]


def _update(sess, values_list, namespace, identifier):
    shown = []
    for values in values_list:
        row = definitions.update_workflow_definition(
            sess, identifier or values["name"], values, namespace)
        shown.append(resources.workflow_dict(row))
    return shown


def _get(sess, identifier, namespace):
    row = definitions.get_workflow_definition(
        sess, identifier, namespace, fields=SPEC.columns(SPEC.names()))
    return resources.workflow_dict(row)


def _shape(sess, rows, names):
    return [resources.workflow_dict(row, names) for row in rows]


class WorkflowsController(rest.RestController):
    """Create, update, read, list, delete and validate workflows."""

    _custom_actions = {"validate": ["POST"]}

    @expose(wstypes.Workflow, wstypes.text)
    def get_one(self, identifier, **params):
        """One workflow by id or name (``namespace`` for names)."""
        return session.reader(_get, identifier, params.get("namespace", ""))

    @expose(wstypes.Workflows, direct=True)
    def get_all(self, **params):
        """Workflows, filtered and paged."""
        return common.list_response(SPEC, params, _shape)

    @expose(wstypes.Workflows, status_code=201)
    def post(self, **params):
        """Create the workflows of the text body; 201 with them."""
        values = _definition_values(
            common.request_text(), resources.check_scope(params.get("scope")),
            params.get("namespace", ""))
        return {"workflows": session.unit_of_work(_create, values)}

    @expose(wstypes.Workflows, wstypes.text)
    def put(self, identifier=None, **params):
        """Replace workflows by the text body (matched by name, or the one
        workflow ``identifier``)."""
        namespace = params.get("namespace", "")
        values = _definition_values(
            common.request_text(), resources.check_scope(params.get("scope")),
            namespace)
        if identifier and len(values) != 1:
            raise exceptions.OneDefinitionExpected(
                kind="workflow", name=identifier, count=len(values))
        updated = session.unit_of_work(_update, values, namespace,
                                       identifier)
        if identifier:
            return wsme_api.Response(updated[0],
                                     return_type=wstypes.Workflow)
        return {"workflows": updated}

    @expose(None, wstypes.text, status_code=204)
    def delete(self, identifier, **params):
        """Delete one workflow by id or name; 204."""
        session.unit_of_work(definitions.delete_workflow_definition,
                             identifier, params.get("namespace", ""))

    @expose(wstypes.Validation)
    def validate(self, **_params):
        """Check a text without storing it: ``{"valid", "error"}``."""
        text = common.request_text()
        try:
            _definition_values(text, "private", "")
        except exceptions.InputError as e:
            return {"valid": False, "error": str(e)}
        return {"valid": True, "error": None}
