"""Parsing valid workflow text into specs."""

import textwrap

import pytest

from wfengine.core.lang import parser
from wfengine.core.lang import spec


def parse_one(body, name="wf"):
    """Parse a single workflow given the indented YAML of its body."""
    text = "version: '2.0'\n%s:\n%s" % (
        name, textwrap.indent(textwrap.dedent(body), "  "))
    specs = parser.parse_workflows(text)
    assert len(specs) == 1
    return specs[0]


def test_minimal_workflow_and_defaults():
    wf = parse_one("tasks:\n  t1: {}\n")
    assert wf.name == "wf"
    assert wf.version == "2.0"
    assert wf.type == "direct"
    assert wf.description == ""
    assert wf.tags == ()
    assert wf.input == ()
    assert wf.output is None and wf.output_on_error is None
    assert wf.vars == {} and wf.task_defaults == {}
    task = wf.tasks["t1"]
    assert task.action == "std.noop"
    assert task.workflow is None
    assert task.type == "ACTION"
    assert task.keep_result is True
    assert task.safe_rerun is False
    assert task.join is None
    assert task.on_success == task.on_error == task.on_complete == ()


def test_several_workflows_and_ignored_name():
    text = textwrap.dedent("""\
        version: "2.0"
        name: my_workbook_like_file
        first:
          tasks: {a: {}}
        second:
          type: reverse
          tasks: {b: {}}
        """)
    specs = parser.parse_workflows(text)
    assert [s.name for s in specs] == ["first", "second"]
    assert specs[1].type == "reverse"


def test_unquoted_version_number_is_accepted():
    specs = parser.parse_workflows("version: 2.0\nwf:\n  tasks: {a: {}}\n")
    assert specs[0].version == "2.0"


def test_workflow_level_attributes():
    wf = parse_one("""\
        description: Does things
        tags: [x, y]
        vars: {counter: 0}
        output:
          result: <% $.r %>
        output-on-error:
          err: "{{ _.e }}"
        tasks:
          t1: {}
        """)
    assert wf.description == "Does things"
    assert wf.tags == ("x", "y")
    assert wf.vars == {"counter": 0}
    assert wf.output == {"result": "<% $.r %>"}
    assert wf.output_on_error == {"err": "{{ _.e }}"}


def test_the_three_input_forms():
    wf = parse_one("""\
        input:
          - required
          - number: 1
          - text: "x"
          - nothing: null
        tasks:
          t1: {}
        """)
    assert wf.input == (
        spec.InputParam("required"),
        spec.InputParam("number", 1, True),
        spec.InputParam("text", "x", True),
        spec.InputParam("nothing", None, True),
    )
    assert wf.required_input_names() == ["required"]
    # As Mistral shows it: every default quoted, printed by Python's str.
    assert wf.input_signature() == (
        'required, number="1", text="x", nothing="None"')


def test_inline_action_parameters_are_parsed_and_merged():
    wf = parse_one("""\
        tasks:
          t1:
            action: std.echo output="hi" x=<% $.y %> n=1 flag=true l=[1,2]
            input:
              extra: 2
              n: 5
        """)
    task = wf.tasks["t1"]
    assert task.action == "std.echo"
    # Inline parameters win over the input map, as Mistral merges them.
    assert task.input == {"output": "hi", "x": "<% $.y %>", "n": 1,
                          "flag": True, "l": [1, 2], "extra": 2}


def test_workflow_task():
    wf = parse_one("""\
        tasks:
          t1:
            workflow: sub_wf param=<% $.p %>
        """)
    task = wf.tasks["t1"]
    assert task.workflow == "sub_wf"
    assert task.action is None
    assert task.type == "WORKFLOW"
    assert task.input == {"param": "<% $.p %>"}


def test_dynamic_action_name():
    wf = parse_one("tasks:\n  t1:\n    action: <% $.act %> a=1\n")
    assert wf.tasks["t1"].action == "<% $.act %>"
    assert wf.tasks["t1"].input == {"a": 1}


def test_task_attributes_and_policies_are_kept_raw():
    wf = parse_one("""\
        tasks:
          t1:
            description: first
            publish: {a: <% $.x %>}
            publish-on-error: {e: <% $.err %>}
            with-items: i in <% $.items %>
            concurrency: 2
            keep-result: false
            target: <% $.host %>
            safe-rerun: true
            retry: {count: 3, delay: <% $.d %>, break-on: <% $.stop %>}
            timeout: 30
            wait-before: 1
            wait-after: <% $.w %>
            pause-before: true
            fail-on: <% $.bad %>
        """)
    task = wf.tasks["t1"]
    assert task.description == "first"
    assert task.publish == {"a": "<% $.x %>"}
    assert task.publish_on_error == {"e": "<% $.err %>"}
    assert task.with_items == "i in <% $.items %>"
    assert task.concurrency == 2
    assert task.keep_result is False
    assert task.target == "<% $.host %>"
    assert task.safe_rerun is True
    assert task.retry == {"count": 3, "delay": "<% $.d %>",
                          "break-on": "<% $.stop %>"}
    assert task.timeout == 30
    assert task.wait_before == 1
    assert task.wait_after == "<% $.w %>"
    assert task.pause_before is True
    assert task.fail_on == "<% $.bad %>"


@pytest.mark.parametrize("join", ["all", "one", 2])
def test_join_values(join):
    wf = parse_one("tasks:\n  a: {on-success: [b]}\n  b: {join: %s}\n"
                   % join)
    assert wf.tasks["b"].join == join


def test_with_items_list():
    wf = parse_one("""\
        tasks:
          t1:
            with-items:
              - x in <% $.xs %>
              - y in [1, 2]
        """)
    assert wf.tasks["t1"].with_items == ["x in <% $.xs %>", "y in [1, 2]"]


def test_reverse_workflow_requires():
    wf = parse_one("""\
        type: reverse
        tasks:
          a: {}
          b: {requires: a}
          c: {requires: [a, b]}
        """)
    assert wf.tasks["b"].requires == ("a",)
    assert wf.tasks["c"].requires == ("a", "b")
    assert wf.get_start_task_names() == ["a"]
    assert wf.get_inbound_task_names("c") == ["a", "b"]


def test_one_task_condition_mapping_is_a_clause():
    # As Mistral (and tripleo-common's stack workbook): a single
    # {target: condition} mapping, not in a list, in a clause or a next.
    wf = parse_one(
        "tasks:\n"
        "  a:\n"
        "    on-complete: {fail: '<% $.s = 1 %>'}\n"
        "    on-success: {next: {b: '<% true %>'}}\n"
        "  b: {}\n")
    task = wf.tasks["a"]
    assert [(t.name, t.condition) for t in task.on_complete] == [
        ("fail", "<% $.s = 1 %>")]
    assert [(t.name, t.condition) for t in task.on_success] == [
        ("b", "<% true %>")]
