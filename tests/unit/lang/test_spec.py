"""Spec objects: round trip through to_dict/from_dict, helpers."""

import json
import textwrap

import pytest

from wfengine.core.lang import parser
from wfengine.core.lang import spec

FULL = textwrap.dedent("""\
    version: '2.0'
    full:
      description: everything
      tags: [t]
      input: [a, {b: 1}, {c: {nested: [1, 2]}}]
      output: {r: <% $.r %>}
      output-on-error: {e: 1}
      vars: {v: "{{ _.a }}"}
      task-defaults:
        on-error: [handler]
        retry: {count: 2, delay: 1}
      tasks:
        t1:
          action: std.echo output="hi" n=1
          tags: [x, y]
          publish: {r: <% task().result %>}
          publish-on-error: {err: 1}
          on-success:
            publish: {s: 1}
            next:
              - t2: <% $.r %>
              - fail msg="no"
        t2:
          workflow: sub
          join: all
          with-items: x in <% $.xs %>
          concurrency: 2
          keep-result: false
          target: host
          safe-rerun: true
          timeout: 5
          wait-before: 1
          wait-after: 2
          pause-before: true
          fail-on: <% $.bad %>
        handler: {}
    rev:
      type: reverse
      tasks:
        a: {}
        b: {requires: [a]}
    """)


@pytest.fixture(scope="module")
def specs():
    return parser.parse_workflows(FULL)


def test_round_trip_through_json(specs):
    for wf in specs:
        stored = json.dumps(wf.to_dict())
        rebuilt = spec.WorkflowSpec.from_dict(json.loads(stored))
        assert rebuilt == wf
        assert list(rebuilt.tasks) == list(wf.tasks)
        assert rebuilt.get_start_task_names() == wf.get_start_task_names()


def test_to_dict_is_plain_json_data(specs):
    data = specs[0].to_dict()
    assert json.loads(json.dumps(data)) == data
    assert isinstance(data["tasks"], list)
    assert data["tasks"][0]["name"] == "t1"
    assert data["tasks"][0]["on_success"][1] == {
        "name": "fail", "condition": None, "params": {"msg": "no"}}


def test_task_round_trip_alone(specs):
    task = specs[0].tasks["t1"]
    assert spec.TaskSpec.from_dict(task.to_dict()) == task


def test_a_task_keeps_its_own_tags(specs):
    tasks = specs[0].tasks
    assert tasks["t1"].tags == ("x", "y")
    assert tasks["t2"].tags == ()
    assert tasks["t1"].to_dict()["tags"] == ["x", "y"]
    # A spec stored before tasks kept their tags.
    stored = dict(tasks["t2"].to_dict())
    del stored["tags"]
    assert spec.TaskSpec.from_dict(stored).tags == ()


def test_specs_are_immutable(specs):
    with pytest.raises(AttributeError):
        specs[0].name = "other"
    with pytest.raises(AttributeError):
        specs[0].tasks["t1"].action = "x"


def test_input_helpers(specs):
    wf = specs[0]
    assert wf.required_input_names() == ["a"]
    assert wf.input_signature() == "a, b=\"1\", c=\"{'nested': [1, 2]}\""


def test_input_signature_of_a_workflow_without_input(specs):
    assert specs[1].input_signature() == ""


def test_start_tasks_direct_and_reverse(specs):
    assert specs[0].get_start_task_names() == ["t1"]
    assert specs[1].get_start_task_names() == ["a"]


def test_transition_is_engine_command():
    assert spec.Transition("fail").is_engine_command
    assert spec.Transition("succeed").is_engine_command
    assert spec.Transition("pause").is_engine_command
    assert not spec.Transition("task1").is_engine_command


def test_from_dict_of_a_hand_made_spec():
    wf = spec.WorkflowSpec.from_dict({
        "name": "w",
        "tasks": [{"name": "a", "action": "std.noop",
                   "on_success": [{"name": "b"}]},
                  {"name": "b", "action": "std.noop"}],
    })
    assert wf.get_start_task_names() == ["a"]
    assert wf.get_inbound_task_names("b") == ["a"]
    assert wf.type == "direct"
