"""Every validation problem is reported, each with its path."""

import textwrap

import pytest

from wfengine.core.lang import parser
from wfengine import exceptions


def problems_of(body, extra_top=""):
    text = "version: '2.0'\n%swf:\n%s" % (
        extra_top, textwrap.indent(textwrap.dedent(body), "  "))
    return parser.validate_workflows(text)


def assert_problem(problems, expected):
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("body, expected", [
    ("typo: 1\ntasks: {a: {}}\n", "workflow 'wf': unknown key 'typo'"),
    ("tasks: {a: {actoin: x}}\n", "tasks.a: unknown key 'actoin'"),
    ("tasks: {a: {}}\ntask-defaults: {action: x}\n",
     "task-defaults: unknown key 'action'"),
    ("type: sideways\ntasks: {a: {}}\n", "type: expected one of"),
    ("description: 5\ntasks: {a: {}}\n", "description: expected a string"),
    ("tags: x\ntasks: {a: {}}\n", "tags: expected a list"),
    ("vars: [1]\ntasks: {a: {}}\n", "vars: expected a mapping"),
    ("input: [1]\ntasks: {a: {}}\n", "input[0]: expected a parameter name"),
    ("input: [{a: 1, b: 2}]\ntasks: {a: {}}\n", "input[0]: expected"),
    ("input: [a, {a: 1}]\ntasks: {a: {}}\n",
     "input[1]: duplicate input 'a'"),
    ("description: x\n", "missing required key 'tasks'"),
    ("tasks: {}\n", "tasks: must not be empty"),
    ("tasks: {a: x}\n", "tasks.a: expected a mapping"),
    ("tasks: {a: {action: 1}}\n", "tasks.a.action: expected a string"),
    ("tasks: {a: {input: [1]}}\n", "tasks.a.input: expected a mapping"),
    ("tasks: {a: {publish: x}}\n", "tasks.a.publish: expected a mapping"),
    ("tasks: {a: {join: many}}\n", "tasks.a.join: expected 'all', 'one'"),
    ("tasks: {a: {join: -1}}\n", "tasks.a.join: expected"),
    ("tasks: {a: {input: ''}}\n", "tasks.a.input: expected a mapping"),
    ("tasks: {a: {timeout: -1}}\n", "tasks.a.timeout: expected a non-neg"),
    ("tasks: {a: {concurrency: -1}}\n", "tasks.a.concurrency: expected a non"),
    ("tasks: {a: {keep-result: 3}}\n", "tasks.a.keep-result: expected a bool"),
    ("tasks: {a: {retry: {delay: 1}}}\n",
     "tasks.a.retry: missing required key 'count'"),
    ("tasks: {a: {retry: {count: 1, foo: 1}}}\n",
     "tasks.a.retry: unknown key 'foo'"),
    ("tasks: {a: {retry: {count: many}}}\n",
     "tasks.a.retry.count: expected a non-negative integer or an "
     "expression, got str 'many'"),
    ("tasks: {a: {wait-before: soon}}\n",
     "tasks.a.wait-before: expected a non-negative integer or an "
     "expression"),
    ("tasks: {a: {on-success: 5}}\n", "tasks.a.on-success: expected"),
    ("tasks: {a: {on-success: [{b: 1, c: 2}]}}\n",
     "tasks.a.on-success[0]: expected a task name or a one-key"),
    ("tasks: {a: {on-error: {next: [1]}}}\n",
     "tasks.a.on-error.next[0]: expected"),
    # One {task: condition} mapping is a clause; its condition must be an
    # expression.
    ("tasks: {a: {on-error: {nxt: b}}}\n",
     "tasks.a.on-error.nxt: expected an expression"),
    ("tasks: {a: {with-items: 5}}\n", "tasks.a.with-items: expected"),
])
def test_shape_problems(body, expected):
    assert_problem(problems_of(body), expected)


@pytest.mark.parametrize("body, expected", [
    ("tasks: {a: {action: std.echo, workflow: w}}\n",
     "tasks.a: 'action' and 'workflow' are mutually exclusive"),
    ("tasks:\n  task2: {on-success: [task9]}\n",
     "tasks.task2.on-success[0]: unknown task 'task9'"),
    ("tasks:\n  a: {on-error: b}\n", "tasks.a.on-error: unknown task 'b'"),
    ("tasks:\n  a: {on-complete: {next: [x]}}\n",
     "tasks.a.on-complete.next[0]: unknown task 'x'"),
    ("tasks:\n  a: {on-success: [{zz: <% $.x %>}]}\n",
     "tasks.a.on-success[0]: unknown task 'zz'"),
    ("task-defaults: {on-error: [nowhere]}\ntasks: {a: {}}\n",
     "task-defaults.on-error[0]: unknown task 'nowhere'"),
    ("tasks:\n  a: {on-success: [b x]}\n  b: {}\n",
     "tasks.a.on-success[0]: cannot parse 'b x'"),
    ("tasks: {a: {action: std.echo oops}}\n",
     "tasks.a.action: cannot parse 'std.echo oops'"),
    ("tasks: {a: {action: 'std.echo x=\"open'}}\n",
     "tasks.a.action: cannot parse"),
    ("tasks: {a: {action: 'bad/name'}}\n",
     "tasks.a.action: invalid name 'bad/name'"),
    ("tasks: {'bad name': {}}\n", "tasks.bad name: invalid task name"),
    ("tasks: {a: {requires: [b]}, b: {}}\n",
     "tasks.a.requires: only allowed in reverse workflows"),
    ("type: reverse\ntasks: {a: {on-success: b}, b: {}}\n",
     "tasks.a.on-success: only allowed in direct workflows"),
    ("type: reverse\ntasks: {a: {join: all}}\n",
     "tasks.a.join: only allowed in direct workflows"),
    ("type: reverse\ntasks: {a: {requires: [zz]}}\n",
     "tasks.a.requires: unknown task 'zz'"),
    ("type: reverse\ntasks: {a: {requires: b}, b: {requires: a}}\n",
     "tasks: 'requires' forms a cycle: a -> b -> a"),
    ("tasks: {a: {on-success: b}, b: {on-success: a}}\n",
     "tasks: no task to start with"),
    ("tasks: {a: {with-items: 'xs'}}\n",
     "tasks.a.with-items: expected '<var> in <collection>', got 'xs'"),
    ("tasks: {a: {with-items: ['x in <% $.x %>', 'y']}}\n",
     "tasks.a.with-items[1]: expected '<var> in <collection>'"),
])
def test_semantic_problems(body, expected):
    assert_problem(problems_of(body), expected)


@pytest.mark.parametrize("body, expected", [
    ("output: <% $.x[ %>\ntasks: {a: {}}\n",
     "output: invalid YAQL expression '<% $.x[ %>'"),
    ("tasks: {a: {action: 'std.echo x=<% , %>'}}\n",
     "tasks.a.action: invalid YAQL expression '<% , %>'"),
    ("tasks: {a: {publish: {p: '{{ _.x + }}'}}}\n",
     "tasks.a.publish.p: invalid Jinja expression '{{ _.x + }}'"),
    ("tasks:\n  a: {on-success: [{b: '<% $.( %>'}]}\n  b: {}\n",
     "tasks.a.on-success[0].b: invalid YAQL expression"),
    ("input: [{a: '<% 1 + %>'}]\ntasks: {a: {}}\n",
     "input[0].a: invalid YAQL expression"),
    ("tasks: {a: {input: {'<% , %>': 1}}}\n",
     "tasks.a.input.<% , %>: invalid YAQL expression"),
    ("tasks: {a: {timeout: '<% $.t %> {{ _.t }}'}}\n",
     "tasks.a.timeout: expression"),
])
def test_expression_problems(body, expected):
    assert_problem(problems_of(body), expected)


def test_all_problems_are_collected_at_once():
    problems = problems_of("""\
        typo: 1
        tasks:
          a:
            action: std.echo
            workflow: w
            on-success: [nowhere]
            publish: {x: <% $.( %>}
          b: {join: many}
        """)
    assert len(problems) == 5, problems
    assert all(p.startswith("workflow 'wf': ") for p in problems)


@pytest.mark.parametrize("text, expected", [
    ("wf:\n  tasks: {a: {}}\n", "workflow text: version: missing"),
    ("version: '1.0'\nwf:\n  tasks: {a: {}}\n",
     "workflow text: version: expected '2.0', got '1.0'"),
    ("version: '2.0'\n", "workflow text: no workflow defined"),
    ("version: '2.0'\nwf: 5\n", "workflow 'wf': expected a mapping"),
    ("version: '2.0'\n'bad name':\n  tasks: {a: {}}\n",
     "workflow 'bad name': invalid workflow name"),
    ("version: '2.0'\nwf:\n  version: '3.0'\n  tasks: {a: {}}\n",
     "workflow 'wf': version: expected '2.0'"),
    ("- a\n- b\n", "workflow text: expected a mapping"),
    ("", "workflow text: expected a mapping"),
    ("version: '2.0'\nwf: {tasks: [\n", "workflow text: invalid YAML"),
])
def test_document_problems(text, expected):
    assert_problem(parser.validate_workflows(text), expected)


def test_parse_raises_invalid_model_exception_with_every_problem():
    text = "version: '1.0'\nwf:\n  tasks:\n    task2: {on-success: task9}\n"
    with pytest.raises(exceptions.InvalidModelException) as info:
        parser.parse_workflows(text)
    exc = info.value
    assert exc.http_code == 400
    assert len(exc.problems) == 2
    for problem in exc.problems:
        assert problem in str(exc)
    assert "tasks.task2.on-success: unknown task 'task9'" in str(exc)


def test_valid_text_has_no_problems():
    text = "version: '2.0'\nwf:\n  tasks:\n    a: {on-success: b}\n    b: {}\n"
    assert parser.validate_workflows(text) == []


def test_non_string_workflow_name_is_reported():
    problems = parser.validate_workflows(
        "version: '2.0'\n123:\n  tasks: {a: {}}\n")
    assert problems == ["workflow '123': invalid workflow name: use letters,"
                        " digits, '_', '.' or '-'"]


def test_non_text_input_is_a_problem_not_a_crash():
    problems = parser.validate_workflows(b"version: '2.0'")
    assert problems == ["workflow text: expected text, got bytes"]


def test_task_defaults_direct_only_keys_in_reverse_workflow():
    problems = problems_of("type: reverse\ntask-defaults: {on-error: [a]}\n"
                           "tasks: {a: {}}\n")
    assert_problem(problems,
                   "task-defaults.on-error: only allowed in direct workflows")
