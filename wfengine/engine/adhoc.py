"""Ad-hoc actions: resolved to their base action when planned.

A task calls an action by name: a built-in one (found through the
``wfengine.actions`` entry points) runs as it is; an ad-hoc one (defined
in YAML with ``base`` and ``base-input``) is turned into a call of its base,
possibly through several ad-hoc layers, and its ``output`` is applied to
the base's result when it returns.
"""
from wfengine import cache
from wfengine import exceptions
from wfengine.actions import loader
from wfengine.db import definitions
from wfengine.lang import actions as lang_actions

MAX_DEPTH = 10

# An ad-hoc action's spec by (id, version): a changed definition has a
# new key.
_specs = cache.BoundedCache(256)


def _definition(session, name, namespace):
    """An ad-hoc action's ``(id, spec dict)``; cached by id and version."""
    row = definitions.get_action_definition(session, name, namespace)
    if row.is_system:
        return None
    key = (row.id, row.updated_at or row.created_at)
    spec = _specs.get_or_make(key, lambda: definitions.get_action_definition(
        session, row.id, fields=["spec"]).spec)
    return row.id, spec


def resolve(session, name, action_input, namespace, runtime):
    """``(base_name, base_input, adhoc_id)`` for a call of ``name``.

    ``adhoc_id`` is None for a built-in action (nothing to resolve).

    :raises ActionError: no such action, or too deep a chain of ad-hoc
        actions.
    :raises InputError, ExpressionError: the input does not fit.
    """
    first_id = None
    for _ in range(MAX_DEPTH):
        if loader.is_installed(name):
            return name, action_input, first_id
        try:
            found = _definition(session, name, namespace)
        except exceptions.NotFound:
            found = None
        if found is None:
            raise exceptions.ActionError(
                "Failed to find action [action_name=%s, namespace=%s]"
                % (name, namespace or ""))
        adhoc_id, spec = found
        first_id = first_id or adhoc_id
        name, action_input = lang_actions.resolve(spec, action_input,
                                                  runtime)
    raise exceptions.ActionError(
        "Ad-hoc action %s: more than %d levels of base actions"
        % (name, MAX_DEPTH))


def transform(session, adhoc_id, result, runtime=None):
    """Apply the ``output`` of ad-hoc action ``adhoc_id`` to a result of
    its base action: the ``output`` of each ad-hoc layer under it first,
    innermost first (as Mistral does)."""
    for spec in reversed(_chain(session, adhoc_id)):
        result = lang_actions.transform_output(spec, result, runtime)
    return result


def _chain(session, adhoc_id):
    """The specs of ad-hoc action ``adhoc_id`` and of the ad-hoc actions
    it is based on, outermost first."""
    chain = [_definition(session, adhoc_id, "")[1]]
    namespace = None
    for _ in range(MAX_DEPTH):
        base = chain[-1].get("base")
        if not base or loader.is_installed(base):
            break
        if namespace is None:
            namespace = definitions.get_action_definition(
                session, adhoc_id, fields=["namespace"]).namespace or ""
        try:
            found = _definition(session, base, namespace)
        except exceptions.NotFound:
            break       # deleted since the call was planned
        if found is None:
            break
        chain.append(found[1])
    return chain
