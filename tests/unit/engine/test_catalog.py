"""Resolving a call with the definitions read before the conductor runs."""
import pytest

from wfengine import exceptions
from wfengine.core.engine import catalog
from wfengine.core.engine import conductor
from wfengine.core.engine import states
from wfengine.core.engine import views
from wfengine.core.lang import actions as lang_actions
from wfengine.core.lang import parser

SPECS = {s.name: s.to_dict() for s in lang_actions.parse_actions("""
version: '2.0'
greet:
  base: std.echo
  base-input: {output: "hi <% $.name %>"}
  input: [name]
loud:
  base: greet
  base-input: {name: "<% $.who %>!"}
  input: [who]
a:
  base: b
b:
  base: a
""")}
GREET, LOUD = SPECS["greet"], SPECS["loud"]
CATALOG = catalog.ActionCatalog(
    "ns", frozenset({"std.echo"}),
    {"greet": ("g-id", GREET), "loud": ("l-id", LOUD)}, resolves=True)


def test_a_builtin_runs_as_it_is():
    assert CATALOG.resolve("std.echo", {"output": 1}, {}) == (
        "std.echo", {"output": 1}, None)


def test_an_adhoc_call_becomes_its_base_through_every_layer():
    assert CATALOG.resolve("loud", {"who": "x"}, {}) == (
        "std.echo", {"output": "hi x!"}, "l-id")


def test_an_unknown_action_keeps_mistral_wording():
    with pytest.raises(exceptions.ActionError) as e:
        CATALOG.resolve("nope", {}, {})
    assert str(e.value) == \
        "Failed to find action [action_name=nope, namespace=ns]"


def test_a_loop_of_base_actions_ends():
    loop = catalog.ActionCatalog("", frozenset(), {
        "a": ("1", SPECS["a"]), "b": ("2", SPECS["b"])}, resolves=True)
    with pytest.raises(exceptions.ActionError):
        loop.resolve("a", {}, {})


def test_the_names_a_workflow_gives_literally_and_computed():
    spec = parser.parse_workflows("""
version: '2.0'
wf:
  tasks:
    t1:
      action: greet name=a
    t2:
      action: <% $.act %>
""")[0]
    assert catalog.named_actions(spec) == (frozenset({"greet"}), True)


def test_an_uncallable_action_fails_its_task_as_it_is_planned():
    spec = parser.parse_workflows("""
version: '2.0'
wf:
  tasks:
    t1:
      action: greet
""")[0]
    wf = views.WorkflowView(id="wf", name="wf", state=states.RUNNING,
                            spec=spec, context={}, input={})
    decision = conductor.Conductor(wf, [], actions=CATALOG).decide(
        conductor.Conductor.start)
    assert decision.run_actions == ()
    (task,) = decision.tasks
    assert task.state == states.ERROR
    assert decision.workflow_change.after == states.ERROR


def test_the_output_of_a_call_applies_through_the_layers_it_was_made_of():
    # Outermost first: loud, then greet (built on std.echo).
    assert CATALOG.output_chain("l-id") == [LOUD, GREET]
    assert CATALOG.output_chain("g-id") == [GREET]


def test_an_action_the_catalog_does_not_hold_has_no_output_chain():
    # Deleted or replaced since the call was planned: read it again.
    assert CATALOG.output_chain("gone-id") is None


def test_an_action_of_the_default_namespace_finds_its_bases_there_only():
    # Called from namespace ns, found in the default one: its base greet
    # is ns's in this catalog, which the action itself would not find.
    mixed = catalog.ActionCatalog(
        "ns", frozenset({"std.echo"}),
        {"greet": ("g-id", GREET), "loud": ("l-id", LOUD)}, resolves=True,
        namespaces={"loud": "", "greet": "ns"})
    assert mixed.output_chain("l-id") is None
    same = catalog.ActionCatalog(
        "ns", frozenset({"std.echo"}),
        {"greet": ("g-id", GREET), "loud": ("l-id", LOUD)}, resolves=True,
        namespaces={"loud": "ns", "greet": ""})
    assert same.output_chain("l-id") == [LOUD, GREET]


CHECKED = catalog.ActionCatalog(
    "ns", frozenset({"std.echo"}), {"greet": ("g-id", GREET)},
    resolves=True, inputs={"std.echo": (("output",), ("output",))})


@pytest.mark.parametrize("action_input, problem", [
    ({}, "missing required output"),
    ({"output": 1, "extra": 2}, "unexpected extra (allowed: output)"),
])
def test_a_builtin_call_with_input_it_can_not_take_is_refused(
        action_input, problem):
    with pytest.raises(exceptions.InvalidInputNames) as caught:
        CHECKED.resolve("std.echo", action_input, {})
    assert str(caught.value) == (
        "Invalid input for action std.echo: %s" % problem)


def test_an_adhoc_base_input_is_checked_as_the_builtin_takes_it():
    assert CHECKED.resolve("greet", {"name": "x"}, {}) == (
        "std.echo", {"output": "hi x"}, "g-id")


def test_a_task_calling_a_builtin_with_bad_input_fails_with_its_workflow():
    spec = parser.parse_workflows("""
version: '2.0'
wf:
  tasks:
    t1:
      action: std.echo
      on-error: [t2]
    t2:
      action: std.noop
""")[0]
    wf = views.WorkflowView(id="wf", name="wf", state=states.RUNNING,
                            spec=spec, context={}, input={})
    decision = conductor.Conductor(wf, [], actions=CHECKED).decide(
        conductor.Conductor.start)
    assert decision.run_actions == ()
    (task,) = decision.tasks
    assert task.state == states.ERROR
    assert task.values["state_info"].startswith(
        "Failed to run task [error=Invalid input ")
    assert decision.workflow_change.after == states.ERROR
