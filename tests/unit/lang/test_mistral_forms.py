"""Definitions Mistral 23.0.0 accepts, read as Mistral reads them (issue 16).

Each has a conformance case under tests/functional/conformance/divergences/.
"""
import pytest

from tests.unit.lang.test_parse import parse_one
from tests.unit.lang.test_validation import problems_of
from wfengine.core.lang import inline


@pytest.mark.parametrize("text, expected", [
    ('fail(msg="stopped on purpose")', ("fail", {"msg": "stopped on purpose"})),
    ('succeed(msg="a, b", code=1)', ("succeed", {"msg": "a, b", "code": 1})),
    ("pause()", ("pause", {})),
    ("fail(msg=<% $.why %>)", ("fail", {"msg": "<% $.why %>"})),
    ('fail msg="plain form"', ("fail", {"msg": "plain form"})),
])
def test_engine_commands_written_as_calls(text, expected):
    assert inline.split_call(text) == expected


def test_a_call_form_command_in_a_transition():
    wf = parse_one("""\
        tasks:
          a:
            action: std.noop
            on-success:
              - fail(msg="stopped")
        """)
    (target,) = wf.tasks["a"].on_success
    assert target.is_engine_command
    assert (target.name, target.params) == ("fail", {"msg": "stopped"})


@pytest.mark.parametrize("name", ["noop", "fail", "pause", "succeed"])
def test_a_task_may_be_named_like_an_engine_command(name):
    assert problems_of("tasks: {%s: {action: std.noop}}\n" % name) == []


def test_task_level_tags_are_accepted():
    assert problems_of("tasks: {a: {action: std.noop, tags: [x, y]}}\n") == []


def test_concurrency_zero_is_accepted():
    assert problems_of(
        "tasks: {a: {with-items: 'i in <% [1] %>', concurrency: 0}}\n") == []


def test_a_whole_task_input_as_one_expression():
    wf = parse_one("""\
        tasks:
          a:
            action: std.echo
            input: <% $.args %>
        """)
    assert wf.tasks["a"].input == "<% $.args %>"


def test_a_whole_task_input_as_plain_text_is_accepted():
    # Mistral takes any non-empty text and reads it when the task runs
    # (where text that gives no mapping fails the task).
    wf = parse_one("tasks: {a: {action: std.echo, input: output}}\n")
    assert wf.tasks["a"].input == "output"


def test_join_zero_is_no_join():
    # Mistral accepts 0 and, as every check of its is "has a join",
    # treats the task as one that runs for each arrival.
    wf = parse_one("tasks:\n  a: {on-success: [b]}\n  b: {join: 0}\n")
    assert wf.tasks["b"].join is None


def test_an_input_expression_with_inline_parameters_is_refused():
    problems = problems_of(
        "tasks: {a: {action: std.echo x=1, input: '<% $.args %>'}}\n")
    assert any("tasks.a.input" in str(p) for p in problems), problems


def test_a_malformed_inline_with_items_list_is_refused():
    problems = problems_of(
        "tasks: {a: {with-items: 'i in [1,,3]', action: std.noop}}\n")
    assert any("Invalid array in 'with-items' clause" in str(p)
               for p in problems), problems
    assert problems_of(
        "tasks: {a: {with-items: 'i in [1, 2]', action: std.noop}}\n") == []
