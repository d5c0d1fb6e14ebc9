"""Conductor scenarios written as data: workflow, results, expectations."""
import pytest

from wfengine import exceptions
from wfengine.core.engine import context as ctx_lib
from wfengine.core.engine import states
from wfengine.core.lang import parser
from tests.unit.engine import rehearsal

SEQUENCE = """
version: '2.0'
seq:
  input: [a, {b: 2}]
  output:
    sum: <% $.x + $.y %>
  tasks:
    t1:
      action: std.echo output=<% $.a %>
      publish: {x: <% task().result %>}
      on-success: [t2]
    t2:
      action: std.echo
      input: {output: "{{ _.b * 10 }}"}
      publish: {y: "{{ task().result }}"}
"""

ERROR_HANDLED = """
version: '2.0'
wf:
  tasks:
    t1:
      action: std.fail
      publish-on-error: {err: <% task().result %>}
      on-error: [cleanup]
      on-complete: [always]
    cleanup:
      action: std.noop
    always:
      action: std.noop
"""

ERROR_UNHANDLED = """
version: '2.0'
wf:
  tasks:
    t1:
      action: std.fail
      on-success: [t2]
    t2:
      action: std.noop
"""

CONDITIONS = """
version: '2.0'
wf:
  input: [n]
  tasks:
    t1:
      action: std.noop
      on-success:
        - big: <% $.n > 10 %>
        - small: "{{ _.n <= 10 }}"
    big:
      action: std.noop
    small:
      action: std.noop
"""

JOIN = """
version: '2.0'
wf:
  tasks:
    a:
      action: std.echo output=1
      publish: {a: <% task().result %>}
      on-success: [j]
    b:
      action: std.echo output=2
      publish: {b: <% task().result %>}
      on-success: [j]
    c:
      action: std.echo output=3
      publish: {c: <% task().result %>}
      on-success: [j]
    j:
      join: all
      action: std.echo output=<% $.a + $.b + $.c %>
      publish: {total: <% task().result %>}
"""

FAIL_COMMAND = """
version: '2.0'
wf:
  tasks:
    t1:
      action: std.noop
      on-success:
        - fail msg="stopped on purpose"
"""


def test_sequence_publishes_and_evaluates_output():
    out = rehearsal.rehearse(SEQUENCE, {"a": 1},
                             results={"t1": 1, "t2": 20})
    assert out.state == states.SUCCESS
    assert out.sequence == ["t1", "t2"]
    assert out.output == {"sum": 21}
    assert [a.input for a in out.actions] == [{"output": 1},
                                             {"output": 20}]


def test_handled_error_follows_on_error_and_on_complete():
    out = rehearsal.rehearse(ERROR_HANDLED, results={
        "t1": (states.ERROR, "boom")})
    assert out.state == states.SUCCESS
    assert sorted(out.sequence) == ["always", "cleanup", "t1"]
    t1 = next(t for t in out.tasks.values() if t.name == "t1")
    assert t1.state == states.ERROR
    assert t1.published == {"err": "boom"}


def test_unhandled_error_fails_the_workflow_and_skips_on_success():
    out = rehearsal.rehearse(ERROR_UNHANDLED, results={
        "t1": (states.ERROR, "boom")})
    assert out.state == states.ERROR
    assert out.sequence == ["t1"]
    assert "t1" in out.state_info and "boom" in out.state_info


@pytest.mark.parametrize("n,expected", [(50, "big"), (3, "small")])
def test_conditions_in_yaql_and_jinja(n, expected):
    out = rehearsal.rehearse(CONDITIONS, {"n": n})
    assert out.state == states.SUCCESS
    assert out.sequence == ["t1", expected]


def test_join_all_waits_for_every_branch_and_merges_contexts():
    out = rehearsal.rehearse(JOIN, results={"a": 1, "b": 2, "c": 3, "j": 6})
    assert out.state == states.SUCCESS
    assert out.sequence[-1] == "j"
    assert sorted(out.sequence[:3]) == ["a", "b", "c"]
    join_runs = [a for a in out.actions if a.task_name == "j"]
    assert len(join_runs) == 1
    assert join_runs[0].input == {"output": 6}
    assert out.output == {"a": 1, "b": 2, "c": 3, "total": 6}


def test_fail_command_fails_with_its_message():
    out = rehearsal.rehearse(FAIL_COMMAND)
    assert out.state == states.ERROR
    assert out.state_info == "stopped on purpose"


def test_expression_error_in_input_fails_only_that_task():
    text = """
version: '2.0'
wf:
  tasks:
    t1:
      action: std.echo output=<% $.missing.deeper %>
"""
    out = rehearsal.rehearse(text)
    assert out.state == states.ERROR
    assert out.actions == []
    assert "t1" in out.state_info


def test_prepare_input_names_missing_and_unknown_inputs():
    spec = parser.parse_workflows(SEQUENCE)[0]
    with pytest.raises(exceptions.InputError) as err:
        ctx_lib.prepare_input(spec, {"zzz": 1})
    assert "a" in str(err.value) and "zzz" in str(err.value)
    assert ctx_lib.prepare_input(spec, {"a": 5}) == {"a": 5, "b": 2}


REVERSE = """
version: '2.0'
rev:
  type: reverse
  output: {all: <% $.a + $.b + $.c %>}
  tasks:
    a:
      action: std.echo output=1
      publish: {a: <% task().result %>}
    b:
      action: std.echo output=2
      publish: {b: <% task().result %>}
    c:
      requires: [a, b]
      action: std.echo output=<% $.a + $.b %>
      publish: {c: <% task().result %>}
    unrelated:
      requires: [a]
      action: std.noop
"""


def test_reverse_workflow_runs_what_the_target_requires_then_it():
    r = rehearsal.Rehearsal(REVERSE, {}, {"a": 1, "b": 2, "c": 3}, None)
    r.wf.params = {"task_name": "c"}
    out = r.run()
    assert out.state == states.SUCCESS
    assert sorted(out.sequence[:2]) == ["a", "b"]
    assert out.sequence[2:] == ["c"]
    assert [a.input for a in out.actions if a.task_name == "c"] == [
        {"output": 3}]
    assert out.output == {"all": 6}


@pytest.mark.parametrize("params,needle", [
    ({}, "params.task_name"),
    ({"task_name": "zz"}, "Invalid params.task_name for workflow 'rev' "
                          "(allowed: a, b, c, unrelated)")])
def test_reverse_workflow_needs_a_known_target(params, needle):
    r = rehearsal.Rehearsal(REVERSE, {}, {}, None)
    r.wf.params = params
    with pytest.raises(exceptions.InputError) as err:
        r.run()
    assert needle in str(err.value)
    assert "zz" not in str(err.value)  # the field is named, not the value


def test_task_and_tasks_functions_see_the_executions_tasks():
    text = """
version: '2.0'
wf:
  output:
    first: <% task(a).state %>
    done: <% tasks(state => SUCCESS).select($.name).orderBy($) %>
    jinja: "{{ tasks() | length }}"
  tasks:
    a:
      action: std.noop
      on-success: [b]
    b:
      action: std.noop
"""
    out = rehearsal.rehearse(text)
    assert out.output == {"first": "SUCCESS", "done": ["a", "b"],
                          "jinja": 2}


def test_global_publish_reaches_other_branches():
    text = """
version: '2.0'
wf:
  output:
    seen: <% global(shared) %>
    jinja: "{{ global('shared') }}"
    branch_only: <% $.get(local, 'not here') %>
  tasks:
    a:
      action: std.echo output=1
      on-success:
        publish:
          branch: {local: <% task().result %>}
          global: {shared: from_a}
        next: [a2]
    a2:
      action: std.noop
    b:
      action: std.noop
      on-success: [b2]
    b2:
      action: std.echo output=<% global(shared) %>
      publish: {b_saw: <% task().result %>}
"""
    r = rehearsal.Rehearsal(text, {}, {"a": 1, "b2": "from_a"}, None)
    out = r.run()
    assert out.state == states.SUCCESS
    assert r.wf.context == {"shared": "from_a"}
    assert out.output["seen"] == "from_a"
    assert out.output["jinja"] == "from_a"


@pytest.mark.parametrize("join,runs", [("one", 1), (2, 1)])
def test_a_partial_join_runs_once(join, runs):
    text = """
version: '2.0'
wf:
  tasks:
    a:
      on-success: [j]
    b:
      on-success: [j]
    c:
      on-success: [j]
    j:
      join: %s
      action: std.noop
""" % join
    out = rehearsal.rehearse(text)
    assert out.state == states.SUCCESS
    assert out.sequence.count("j") == runs
    assert [t.name for t in out.tasks.values()].count("j") == 1
