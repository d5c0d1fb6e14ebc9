"""Ad-hoc action definitions: read for the conductor, applied to results.

A task calls an action by name: a built-in one (found through the
``wfengine.actions`` entry points) runs as it is; an ad-hoc one (defined
in YAML with ``base`` and ``base-input``) is turned into a call of its base,
possibly through several ad-hoc layers, and its ``output`` is applied to
the base's result when it returns. Before the conductor runs, the engine
reads the definitions a workflow may call (:func:`catalog`); the
conductor resolves its calls with them (``core.catalog``, pure). A unit of
work reads an execution's catalog once (:func:`for_execution`): the
results it takes have their ``output`` applied with the same catalog the
conductor then decides with.
"""
import functools
import types

from wfengine import cache
from wfengine import exceptions
from wfengine.actions import loader
from wfengine.db import definitions
from wfengine.db import scope as db_scope
from wfengine.core.engine import catalog as core_catalog
from wfengine.core.lang import actions as lang_actions

MAX_DEPTH = core_catalog.MAX_DEPTH

# An ad-hoc action's spec by (id, version): a changed definition has a
# new key.
_specs = cache.BoundedCache(256)


def _definition(session, name, namespace):
    """An ad-hoc action's ``(id, spec dict)``; cached by id and version."""
    row = definitions.get_action_definition(session, name, namespace)
    if row.is_system:
        return None
    return row.id, _spec(session, row)


def catalog(session, names, namespace, computed=False):
    """The ``ActionCatalog`` of the actions ``names`` (and of the bases
    of the ad-hoc ones among them), as the current project sees them:
    one query per level of base actions (none for built-in ones).

    :param computed: a name is computed when the call is planned: the
        catalog holds every action the namespace offers.
    """
    names = set(names)
    if computed:
        names |= definitions.adhoc_action_names(session, namespace)
    builtins = set(loader.names() if computed else
                   _builtins(frozenset(names)))
    named = set(names)
    found, todo, namespaces = {}, names - builtins, {}
    for _ in range(MAX_DEPTH):
        if not todo:
            break
        rows = definitions.find_actions(session, todo, namespace)
        for name, row in rows.items():
            if not row.is_system:
                found[name] = (row.id, _spec(session, row))
                namespaces[name] = row.namespace or ""
        bases = {core_catalog.base_of(found[n][1]) for n in rows
                 if n in found}
        builtins |= _builtins(frozenset(bases))
        named |= bases
        todo = bases - builtins - set(found)
    return core_catalog.ActionCatalog(
        namespace or "", frozenset(builtins), types.MappingProxyType(found),
        resolves=True, namespaces=types.MappingProxyType(namespaces),
        inputs=types.MappingProxyType(
            _signatures(frozenset(named & builtins))))


def for_execution(unit, wf_ex, spec):
    """The ``ActionCatalog`` of workflow execution ``wf_ex`` (running
    workflow ``spec``): the actions it names, as its project sees them
    (its own, shared ones, built-in ones). Read once per unit of work."""
    key = ("actions", wf_ex.id)
    if key not in unit.memo:
        names, computed = core_catalog.named_actions(spec)
        with db_scope.of_project(wf_ex.project_id):
            unit.memo[key] = catalog(unit.session, names,
                                     wf_ex.workflow_namespace, computed)
    return unit.memo[key]


def _spec(session, row):
    """An ad-hoc action's spec dict, cached by id and version."""
    key = (row.id, row.updated_at or row.created_at)
    return _specs.get_or_make(key, lambda: definitions.get_action_definition(
        session, row.id, fields=["spec"]).spec)


@functools.lru_cache(maxsize=256)
def _signatures(names):
    """``{name: (required, allowed)}`` input names of the built-in actions
    ``names``; one that can not be imported is left to fail when run."""
    found = {}
    for name in names:
        try:
            found[name] = loader.parameters(name)
        except Exception:   # an action's import error: told when it runs
            continue
    return found


@functools.lru_cache(maxsize=256)
def _builtins(names):
    """Which of ``names`` are built-in actions (the entry points are
    costly to read: the answer is kept)."""
    return frozenset(n for n in names if loader.is_installed(n))


def resolve(session, name, action_input, namespace, runtime):
    """``(base_name, base_input, adhoc_id)`` for a call of ``name``
    outside any workflow (``ActionCatalog.resolve``).

    :raises ActionError: no such action, or too deep a chain of ad-hoc
        actions.
    :raises InputError, ExpressionError: the input does not fit.
    """
    return catalog(session, [name], namespace).resolve(
        name, action_input, runtime)


def transform(session, adhoc_id, result, runtime=None, actions=None):
    """Apply the ``output`` of ad-hoc action ``adhoc_id`` to a result of
    its base action: the ``output`` of each ad-hoc layer under it first,
    innermost first (as Mistral does).

    :param actions: the ``ActionCatalog`` of the decision that takes the
        result, if any: its layers are used as they are; the definitions
        are read only for an action outside any workflow, or one whose
        layers the catalog does not hold as the action's own namespace
        finds them (``ActionCatalog.output_chain``).
    """
    chain = actions.output_chain(adhoc_id) if actions is not None else None
    if chain is None:
        chain = _chain(session, adhoc_id)
    for spec in reversed(chain):
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
