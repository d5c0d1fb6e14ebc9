"""Every form of on-success / on-error / on-complete, and task-defaults."""

import textwrap

from wfengine.core.lang import parser
from wfengine.core.lang import spec

T = spec.Transition


def parse_tasks(tasks_yaml, extra=""):
    text = "version: '2.0'\nwf:\n%s  tasks:\n%s" % (
        textwrap.indent(textwrap.dedent(extra), "  "),
        textwrap.indent(textwrap.dedent(tasks_yaml), "    "))
    return parser.parse_workflows(text)[0]


def test_single_string():
    wf = parse_tasks("a: {on-success: b}\nb: {}\n")
    assert wf.tasks["a"].on_success == (T("b"),)


def test_list_of_names_and_conditions():
    wf = parse_tasks("""\
        a:
          on-error:
            - b
            - c: <% $.x > 1 %>
            - d: "{{ _.y }}"
        b: {}
        c: {}
        d: {}
        """)
    assert wf.tasks["a"].on_error == (
        T("b"), T("c", "<% $.x > 1 %>"), T("d", "{{ _.y }}"))


def test_engine_commands_with_params_and_conditions():
    wf = parse_tasks("""\
        a:
          on-complete:
            - fail msg="boom": <% $.bad %>
            - succeed
            - pause
            - noop
        """)
    clause = wf.tasks["a"].on_complete
    assert clause == (T("fail", "<% $.bad %>", {"msg": "boom"}),
                      T("succeed"), T("pause"), T("noop"))
    assert all(t.is_engine_command for t in clause)
    assert not T("a").is_engine_command


def test_publish_next_form():
    wf = parse_tasks("""\
        a:
          on-success:
            publish:
              x: <% $.y %>
            next:
              - b: <% $.x %>
              - c
          on-error:
            publish: {e: 1}
            next: c
        b: {}
        c: {}
        """)
    task = wf.tasks["a"]
    assert task.on_success == (T("b", "<% $.x %>"), T("c"))
    assert task.on_success_publish == {"x": "<% $.y %>"}
    assert task.on_error == (T("c"),)
    assert task.on_error_publish == {"e": 1}
    assert task.on_complete_publish == {}


def test_publish_only_clause():
    wf = parse_tasks("a:\n  on-success:\n    publish: {x: 1}\n")
    assert wf.tasks["a"].on_success == ()
    assert wf.tasks["a"].on_success_publish == {"x": 1}


def test_start_and_inbound_tasks():
    wf = parse_tasks("""\
        a: {on-success: [b, c]}
        b: {on-success: d}
        c: {on-error: d, on-complete: [fail]}
        d: {join: all}
        e: {}
        """)
    assert wf.get_start_task_names() == ["a", "e"]
    assert wf.get_inbound_task_names("d") == ["b", "c"]
    assert wf.get_inbound_task_names("a") == []
    assert wf.get_outbound_task_names("a") == ["b", "c"]
    assert wf.get_outbound_task_names("c") == ["d"]


TASK_DEFAULTS = """\
task-defaults:
  on-error: [handle, fail]
  on-complete:
    publish: {done: true}
    next: [report]
  retry: {count: 2}
  timeout: 10
  safe-rerun: true
"""


def test_task_defaults_apply_when_the_task_sets_nothing():
    wf = parse_tasks("""\
        a: {}
        handle: {}
        report: {}
        """, TASK_DEFAULTS)
    task = wf.tasks["a"]
    assert task.on_error == (T("handle"), T("fail"))
    assert task.on_complete == (T("report"),)
    assert task.on_complete_publish == {"done": True}
    assert task.retry == {"count": 2}
    assert task.timeout == 10
    assert task.safe_rerun is True
    assert wf.task_defaults["timeout"] == 10


def test_task_values_win_over_task_defaults():
    wf = parse_tasks("""\
        a:
          on-error: other
          retry: {count: 9}
          timeout: 1
          safe-rerun: false
        other: {}
        handle: {}
        report: {}
        """, TASK_DEFAULTS)
    task = wf.tasks["a"]
    assert task.on_error == (T("other"),)
    assert task.retry == {"count": 9}
    assert task.timeout == 1
    assert task.safe_rerun is False


def test_task_defaults_never_send_a_task_to_itself():
    wf = parse_tasks("""\
        a: {}
        handle: {}
        report: {}
        """, TASK_DEFAULTS)
    assert wf.tasks["handle"].on_error == (T("fail"),)
    assert wf.tasks["report"].on_complete == ()


def test_task_defaults_count_for_start_tasks():
    wf = parse_tasks("""\
        a: {}
        handle: {}
        report: {}
        """, TASK_DEFAULTS)
    assert wf.get_start_task_names() == ["a"]
    assert wf.get_inbound_task_names("handle") == ["a", "report"]


def test_reverse_task_defaults_requires_are_added():
    wf = parse_tasks("""\
        init: {}
        a: {}
        b: {requires: a}
        """, "type: reverse\ntask-defaults:\n  requires: [init]\n")
    assert wf.tasks["init"].requires == ()
    assert wf.tasks["a"].requires == ("init",)
    assert wf.tasks["b"].requires == ("a", "init")
