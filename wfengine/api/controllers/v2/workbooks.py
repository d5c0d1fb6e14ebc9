"""``/v2/workbooks``: workflows and ad-hoc actions defined in one text.

``POST`` and ``PUT`` take the workbook text (``Content-Type: text/plain``)
with ``namespace`` and ``scope`` in the query string and answer the one
workbook. Its workflows and actions are stored as ``<workbook>.<name>``.
"""
from pecan import rest

from wfengine.api.controllers import common
from wfengine.api.expose import expose
from wfengine.api import resources
from wfengine.api import wstypes
from wfengine.core.lang import workbooks as lang_workbooks
from wfengine.db import definitions
from wfengine.db import session
from wfengine import exceptions

SPEC = resources.WORKBOOK


def _values(text, scope, namespace):
    """``(workbook, workflows, actions)`` column values of a text."""
    if not text.strip():
        raise exceptions.EmptyBody(what="a workbook")
    wb = lang_workbooks.parse_workbook(text)
    namespace = namespace or wb.namespace
    workflows = [_workflow_values(wb, spec, scope, namespace)
                 for spec in wb.workflows]
    actions = [_action_values(wb, spec, scope, namespace)
               for spec in wb.actions]
    spec = dict(wb.to_dict(),
                workflow_names=[w["name"] for w in workflows],
                action_names=[a["name"] for a in actions])
    book = {"name": wb.name, "namespace": namespace, "definition": text,
            "spec": spec, "tags": list(wb.tags), "scope": scope}
    return book, workflows, actions


def _workflow_values(wb, wf_spec, scope, namespace):
    return {"name": wb.full_name(wf_spec.name), "namespace": namespace,
            "definition": wb.workflow_texts[wf_spec.name],
            "spec": lang_workbooks.workflow_dict(wb, wf_spec),
            "input": wf_spec.input_signature(),
            "tags": list(wf_spec.tags), "scope": scope}


def _action_values(wb, action_spec, scope, namespace):
    return {"name": wb.full_name(action_spec.name), "namespace": namespace,
            "definition": wb.action_texts[action_spec.name],
            "spec": lang_workbooks.action_dict(wb, action_spec),
            "input": action_spec.input_signature(),
            "description": action_spec.description,
            "tags": list(action_spec.tags), "scope": scope,
            "is_system": False, "workbook_name": wb.name}


def _create(sess, values):
    return SPEC.to_dict(definitions.create_workbook(sess, *values))


def _update(sess, values):
    return SPEC.to_dict(definitions.update_workbook(sess, *values))


def _get(sess, name, namespace):
    return SPEC.to_dict(definitions.get_workbook(
        sess, name, namespace, fields=SPEC.columns(SPEC.names())))


def _text_values(params):
    return _values(common.request_text(),
                   resources.check_scope(params.get("scope")),
                   params.get("namespace", ""))


class WorkbooksController(rest.RestController):
    """Create, update, read, list, delete and validate workbooks."""

    _custom_actions = {"validate": ["POST"]}

    @expose(wstypes.Workbook, wstypes.text)
    def get_one(self, name, **params):
        """One workbook by name (``namespace`` parameter)."""
        return session.reader(_get, name, params.get("namespace", ""))

    @expose(wstypes.Workbooks, direct=True)
    def get_all(self, **params):
        """Workbooks, filtered and paged."""
        return common.list_response(SPEC, params)

    @expose(wstypes.Workbook, status_code=201)
    def post(self, **params):
        """Create a workbook and its definitions; 201 with the workbook."""
        return session.unit_of_work(_create, _text_values(params))

    @expose(wstypes.Workbook)
    def put(self, **params):
        """Replace the workbook named in the text, and its definitions."""
        return session.unit_of_work(_update, _text_values(params))

    @expose(None, status_code=204)
    def delete(self, *path, **params):
        """Delete a workbook with its workflows and actions; 204."""
        session.unit_of_work(definitions.delete_workbook,
                             common.single_id(path),
                             params.get("namespace", ""))

    @expose(wstypes.Validation)
    def validate(self, **_params):
        """Check a workbook text: ``{"valid", "error"}``."""
        problems = lang_workbooks.validate_workbook(common.request_text())
        if problems:
            return {"valid": False, "error": "\n".join(problems)}
        return {"valid": True, "error": None}
