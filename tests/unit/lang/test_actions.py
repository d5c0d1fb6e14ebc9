"""Ad-hoc actions: parsing, problems with their paths, resolving a call."""
import pytest

from wfengine.core.lang import actions
from wfengine import exceptions

TEXT = """---
version: '2.0'
greet:
  base: std.echo output="ignored" extra=1
  base-input:
    output: "Hello, <% $.name %><% $.punctuation %>"
  input:
    - name
    - punctuation: "!"
  output: <% $.toUpper() %>
"""


def _spec():
    return actions.parse_actions(TEXT)[0].to_dict()


def test_parse():
    spec, = actions.parse_actions(TEXT)
    assert spec.name == "greet"
    assert spec.base == "std.echo"
    assert spec.base_input["extra"] == 1
    assert spec.input_signature() == "name, punctuation=!"
    assert actions.AdhocActionSpec.from_dict(spec.to_dict()) == spec


def test_resolve_evaluates_base_input_with_defaults():
    assert actions.resolve(_spec(), {"name": "Ann"}) == (
        "std.echo", {"output": "Hello, Ann!", "extra": 1})
    assert actions.resolve(_spec(), {"name": "B", "punctuation": "?"})[1][
        "output"] == "Hello, B?"


def test_resolve_refuses_bad_input():
    with pytest.raises(exceptions.InputError, match="missing required name"):
        actions.resolve(_spec(), {})
    with pytest.raises(exceptions.InputError, match="unexpected colour"):
        actions.resolve(_spec(), {"name": "x", "colour": "red"})


def test_resolve_uses_runtime_env():
    spec = actions.parse_actions(
        "version: '2.0'\na:\n  base: std.echo\n  base-input:\n"
        "    output: <% env().greeting %>\n")[0].to_dict()
    assert actions.resolve(spec, {}, {"env": {"greeting": "hi"}}) == (
        "std.echo", {"output": "hi"})


def test_transform_output():
    assert actions.transform_output(_spec(), "abc") == "ABC"
    assert actions.transform_output({"output": None}, [1]) == [1]


@pytest.mark.parametrize("text, words", [
    ("version: '2.0'\nx: {foo: 1, base: std.noop}", ["action 'x'", "foo"]),
    ("version: '2.0'\nx: {input: [a]}", ["action 'x'", "base"]),
    ("version: '1.0'\nx: {base: std.noop}", ["version", "2.0"]),
    ("version: '2.0'\nx: {base: std.noop, input: [a, a]}",
     ["input[1]", "duplicate"]),
    ("version: '2.0'\nx:\n  base: std.echo\n  base-input: {o: <% $.( %>}",
     ["base-input.o", "YAQL"]),
    ("version: '2.0'\n", ["no action"]),
    ("[1]", ["mapping"]),
])
def test_problems_name_their_place(text, words):
    problems = actions.validate_actions(text)
    assert problems
    joined = "\n".join(problems)
    for word in words:
        assert word in joined
