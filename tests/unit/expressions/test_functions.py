"""The custom functions, available in both YAQL and Jinja."""

import json
import uuid

import pytest

from wfengine.core import expressions
from wfengine import exceptions

RUNTIME = {
    "env": {"region": "eu"},
    "execution": {"id": "ex-1", "name": "wf", "input": {"a": 1}},
    "task": {"id": "t-2", "name": "current", "state": "RUNNING",
             "result": None, "published": {}},
    "tasks": {"first": {"id": "t-1", "name": "first", "state": "SUCCESS",
                        "result": {"out": 5}, "published": {"p": 1}}},
}
DATA = {"d": {"k": [1, 2]}, "s": '{"a": [1, 2]}', "y": "a: 1\nb: [x]\n"}


def both(yaql_text, jinja_text):
    """Evaluate the same thing in both syntaxes and check they agree."""
    yaql_value = expressions.evaluate(yaql_text, DATA, RUNTIME)
    jinja_value = expressions.evaluate(jinja_text, DATA, RUNTIME)
    assert yaql_value == jinja_value
    return yaql_value


def test_env():
    assert both("<% env() %>", "{{ env() }}") == {"region": "eu"}
    assert both("<% env().region %>", "{{ env().region }}") == "eu"


def test_env_without_runtime_is_empty():
    assert expressions.evaluate("<% env() %>", {}) == {}
    assert expressions.evaluate("{{ env() }}", {}) == {}


def test_execution():
    assert both("<% execution().id %>", "{{ execution().id }}") == "ex-1"
    assert both("<% execution().input.a %>",
                "{{ execution().input.a }}") == 1


def test_task_without_name_is_the_current_task():
    assert both("<% task().name %>", "{{ task().name }}") == "current"


def test_task_by_name():
    assert both("<% task(first).result.out %>",
                "{{ task('first').result.out }}") == 5
    assert both("<% task('first').published %>",
                "{{ task('first').published }}") == {"p": 1}


def test_task_by_name_of_the_current_task():
    assert both("<% task(current).state %>",
                "{{ task('current').state }}") == "RUNNING"


def test_unknown_task_is_none():
    assert both("<% task(nope) %>", "{{ task('nope') }}") is None


def test_json_pp():
    text = both("<% json_pp($.d) %>", "{{ json_pp(_.d) }}")
    assert text == '{\n    "k": [\n        1,\n        2\n    ]\n}'


def test_json_dump_and_parse():
    dumped = both("<% json_dump($.d) %>", "{{ json_dump(_.d) }}")
    assert json.loads(dumped) == {"k": [1, 2]}
    assert both("<% json_parse($.s) %>",
                "{{ json_parse(_.s) }}") == {"a": [1, 2]}


def test_functions_are_jinja_filters_too():
    assert expressions.evaluate("{{ _.d | json_dump }}", DATA) == \
        '{\n    "k": [\n        1,\n        2\n    ]\n}'
    assert expressions.evaluate("{{ _.s | json_parse }}", DATA) == \
        {"a": [1, 2]}


def test_yaml_dump_and_parse():
    dumped = both("<% yaml_dump($.d) %>", "{{ yaml_dump(_.d) }}")
    assert dumped == "k:\n- 1\n- 2\n"
    assert both("<% yaml_parse($.y) %>",
                "{{ yaml_parse(_.y) }}") == {"a": 1, "b": ["x"]}


def _laughs(levels, width=3):
    lines = ["l0: &l0 [%s]" % ", ".join(["lol"] * width)]
    for level in range(1, levels + 1):
        lines.append("l%d: &l%d [%s]" % (
            level, level, ", ".join(["*l%d" % (level - 1)] * width)))
    return "\n".join(lines)


def test_yaml_parse_refuses_alias_bombs_by_expanded_size():
    # About 700 bytes, 48 aliases: 3 ** 17 nodes if it were built.
    with pytest.raises(exceptions.ExpressionError) as info:
        expressions.evaluate("<% yaml_parse($.t) %>", {"t": _laughs(16)})
    assert "expands to more than" in str(info.value)


def test_yaml_parse_takes_many_aliases_of_small_nodes():
    text = "a: &a [1]\n" + "\n".join(
        "b%d: [*a, *a, *a]" % i for i in range(200))
    assert expressions.evaluate("<% yaml_parse($.t) %>",
                                {"t": text})["b199"] == [[1], [1], [1]]


@pytest.mark.parametrize("text", ["[NaN]", '{"a": Infinity}', "-Infinity",
                                  "[" * 100000 + "]" * 100000])
def test_json_parse_refuses_non_json_and_deep_nesting(text):
    with pytest.raises(exceptions.ExpressionError) as info:
        expressions.evaluate("<% json_parse($.t) %>", {"t": text})
    assert "json_parse() argument" in str(info.value)


def test_json_parse_error_is_an_expression_error():
    with pytest.raises(exceptions.ExpressionError) as info:
        expressions.evaluate("{{ json_parse('{bad') }}", {})
    assert "json_parse" in str(info.value)


def test_uuid():
    first = expressions.evaluate("<% uuid() %>", {})
    second = expressions.evaluate("{{ uuid() }}", {})
    assert uuid.UUID(first) and uuid.UUID(second)
    assert first != second


def test_task_without_runtime_is_none():
    assert expressions.evaluate("<% task() %>", {}) is None
    assert expressions.evaluate("{{ task('x') }}", {}) is None
