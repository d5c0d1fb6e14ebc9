"""The actions a decision may call, resolved before the conductor runs. Pure.

A task calls an action by name: a built-in one runs as it is; an ad-hoc
one (``base`` and ``base-input`` in YAML) is turned into a call of its
base, possibly through several ad-hoc layers. The engine service reads
the definitions of the actions a workflow names (``adhoc.catalog``) and
hands the conductor an ``ActionCatalog``; turning a call into the call
of the action that runs is then a pure function of the catalog.
"""
import dataclasses
import types
from typing import Mapping

from wfengine.core import expressions
from wfengine.core.lang import actions as lang_actions
from wfengine import exceptions

MAX_DEPTH = 10

# What resolving raises for a call that can not be made.
UNCALLABLE = (exceptions.ActionError, exceptions.InputError,
              exceptions.ExpressionError)


@dataclasses.dataclass(frozen=True)
class ActionCatalog:
    """The definitions of the actions one workflow may call.

    :ivar namespace: the namespace its ad-hoc actions were looked up in.
    :ivar builtins: names of the built-in actions it knows.
    :ivar adhoc: name -> ``(id, spec dict)`` of the ad-hoc actions it
        knows, the bases they are built on included.
    :ivar resolves: False for a catalog that resolves nothing (calls stay
        as planned: tests of the conductor alone).
    :ivar namespaces: name -> the namespace an ad-hoc action was found in
        (``namespace`` or the default one); ``namespace`` if not given.
    :ivar inputs: name -> ``(required, allowed)`` input names of the
        built-in actions the workflow names literally: a call of one with
        input it can not take fails before it runs, as in Mistral (the
        executor checks the others when it runs them).
    """

    namespace: str = ""
    builtins: frozenset = frozenset()
    adhoc: Mapping = dataclasses.field(
        default_factory=lambda: types.MappingProxyType({}))
    resolves: bool = False
    namespaces: Mapping = dataclasses.field(
        default_factory=lambda: types.MappingProxyType({}))
    inputs: Mapping = dataclasses.field(
        default_factory=lambda: types.MappingProxyType({}))

    def resolve(self, name, action_input, runtime):
        """``(base_name, base_input, adhoc_id)`` for a call of ``name``;
        ``adhoc_id`` is None for a built-in action.

        :raises ActionError: no such action, or too deep a chain of
            ad-hoc actions.
        :raises InputError, ExpressionError: the input does not fit.
        """
        first_id = None
        for _ in range(MAX_DEPTH):
            if name in self.builtins:
                if name in self.inputs:
                    lang_actions.check_input_names(name, self.inputs[name],
                                                   action_input)
                return name, action_input, first_id
            found = self.adhoc.get(name)
            if found is None:
                raise exceptions.ActionNotFound(
                    name=name, where=", namespace=%s" % (self.namespace or ""))
            adhoc_id, spec = found
            first_id = first_id or adhoc_id
            name, action_input = lang_actions.resolve(spec, action_input,
                                                      runtime)
        raise exceptions.ActionError(
            "An ad-hoc action is built on more than %d levels of base "
            "actions" % MAX_DEPTH)

    def output_chain(self, adhoc_id):
        """The specs whose ``output`` applies to a result of ad-hoc action
        ``adhoc_id`` (a call ``resolve`` made), outermost first: the
        action and the ad-hoc actions it is built on, as this catalog
        knows them. None if the catalog does not hold ``adhoc_id`` (its
        definition was deleted or replaced since the call was planned), or
        holds a base the action's own namespace would not find: an action
        of the default namespace finds its bases there only, where this
        catalog looked in its ``namespace`` first.
        """
        name = next((name for name, (found_id, _) in self.adhoc.items()
                     if found_id == adhoc_id), None)
        if name is None:
            return None
        home = self.namespaces.get(name, self.namespace)
        chain = [self.adhoc[name][1]]
        for _ in range(MAX_DEPTH):
            base = chain[-1].get("base")
            found = None if base in self.builtins else self.adhoc.get(base)
            if found is None:
                break       # a built-in base (or one gone since)
            if self.namespaces.get(base, home) not in (home, ""):
                return None
            chain.append(found[1])
        return chain


def named_actions(spec):
    """``(names, computed)``: the action names the tasks of workflow
    ``spec`` give literally, and whether any task computes its action's
    name with an expression."""
    names, computed = set(), False
    for task_spec in spec.tasks.values():
        if task_spec.workflow or not task_spec.action:
            continue
        if expressions.has_expressions(task_spec.action):
            computed = True
        else:
            names.add(task_spec.action)
    return frozenset(names), computed


def base_of(spec):
    """The name of the action an ad-hoc action's spec is built on."""
    return lang_actions.AdhocActionSpec.from_dict(spec).base
