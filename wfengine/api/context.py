"""The request context: who is calling, in which project, with which roles.

The authentication middleware (``api.auth``) builds one per request and
puts it in the WSGI environ; :class:`ContextHook` makes it
``pecan.request.context`` and the database scope (``db.scope``) of the
request, so that every read and write of the request stays in its
project.
"""
import dataclasses

from pecan import hooks

from wfengine.api import policy
from wfengine.db import models
from wfengine.db import scope

ENVIRON_KEY = "wfengine.context"
DEFAULT_USER = "<default-user>"


@dataclasses.dataclass(frozen=True)
class RequestContext:
    """One caller. ``auth_token`` is kept for calls on the caller's behalf
    and never shown or logged."""

    project_id: str
    user_id: str | None = None
    roles: tuple = ()
    is_admin: bool = False
    auth_token: str | None = dataclasses.field(default=None, repr=False)
    project_name: str | None = None
    user_name: str | None = None

    def policy_credentials(self):
        """The credentials oslo.policy rules are checked against."""
        return {"project_id": self.project_id, "user_id": self.user_id,
                "roles": list(self.roles), "is_admin": self.is_admin}

    def scope(self, all_projects=False):
        """The database scope of this caller."""
        return scope.Scope(self.project_id, self.is_admin, all_projects,
                           self.recorded_user())

    def recorded_user(self):
        """The user written on the rows this caller creates: none in
        noauth mode (as Mistral, which knows no user without
        authentication)."""
        return None if self.user_id == DEFAULT_USER else self.user_id


def noauth_context():
    """The caller of an API without authentication: the admin of the
    default project (one user on one machine)."""
    return RequestContext(models.DEFAULT_PROJECT, DEFAULT_USER,
                          ("admin",), True)


def current(request):
    """The context of a Pecan request (set by :class:`ContextHook`)."""
    return getattr(request, "context", None)


def enter(ctx, method, path, params):
    """Check the policy rules of a request of ``ctx`` (``method`` on
    ``path`` with query ``params``) and make its project the database
    scope; returns the token ``scope.leave`` takes.

    :raises PolicyForbids: a rule refuses the request.
    """
    rules, all_projects = policy.request_rules(method, path, params)
    for rule in rules:
        policy.enforce(rule, ctx)
    return scope.enter(ctx.scope(all_projects))


class ContextHook(hooks.PecanHook):
    """Makes the environ's context the request's, checks the policy rules
    of the request, and makes its project the database scope of
    everything the request does."""

    priority = 50

    def before(self, state):
        request = state.request
        ctx = request.environ.get(ENVIRON_KEY)
        request.context = ctx
        if ctx is None:
            return
        request.environ["wfengine.scope_token"] = enter(
            ctx, request.method, request.path, request.GET)

    def after(self, state):
        _reset(state)

    def on_error(self, state, e):
        _reset(state)


def _reset(state):
    token = state.request.environ.pop("wfengine.scope_token", None)
    if token is not None:
        scope.leave(token)
