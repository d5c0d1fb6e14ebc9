"""``/v2/environments``: named variables for executions' ``env``.

Bodies are JSON; ``variables`` travels as a JSON string (python-mistralclient
sends and reads it so) or an object. ``PUT /v2/environments`` names the
environment in its body, as Mistral does.
"""
from pecan import rest

from wfengine.api import bodies
from wfengine.api.controllers import common
from wfengine.api.expose import expose
from wfengine.api import resources
from wfengine.api import wstypes
from wfengine.db import definitions
from wfengine.db import session

SPEC = resources.ENVIRONMENT


def _get(sess, name):
    return SPEC.to_dict(definitions.get_environment(
        sess, name, fields=SPEC.columns(SPEC.names())))


def _create(sess, values):
    shown = SPEC.to_dict(definitions.create_environment(sess, values))
    # Mistral's answer to a creation has no ``updated_at`` (where every
    # other answer has it null): python-mistralclient prints null there,
    # "<none>" elsewhere.
    if shown["updated_at"] is None:
        del shown["updated_at"]
    return shown


def _update(sess, values):
    return SPEC.to_dict(definitions.update_environment(sess, values["name"],
                                                       values))


class EnvironmentsController(rest.RestController):
    """Create, update, read, list and delete environments."""

    @expose(wstypes.Environment, wstypes.text)
    def get_one(self, name, **_params):
        """One environment, with its variables."""
        return session.reader(_get, name)

    @expose(wstypes.Environments, direct=True)
    def get_all(self, **params):
        """Environments, filtered and paged."""
        return common.list_response(SPEC, params)

    @expose(wstypes.Environment, body=wstypes.EnvironmentBody,
            status_code=201)
    def post(self, *, body, **_params):
        """Create an environment; 201 with it."""
        return session.unit_of_work(_create, bodies.parse_environment(
            wstypes.present(body), create=True))

    @expose(wstypes.Environment, body=wstypes.EnvironmentBody)
    def put(self, *, body, **_params):
        """Change the environment named in the body."""
        return session.unit_of_work(_update, bodies.parse_environment(
            wstypes.present(body), create=False))

    @expose(None, status_code=204)
    def delete(self, *path, **_params):
        """Delete one environment; 204."""
        session.unit_of_work(definitions.delete_environment,
                             common.single_id(path))
