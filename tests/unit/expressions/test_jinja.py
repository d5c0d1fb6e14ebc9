"""Sandboxed Jinja2 evaluation through the expressions facade."""

import pytest

from wfengine.core import expressions
from wfengine import exceptions

CTX = {"x": 1, "name": "wf", "items": [1, 2, 3], "nested": {"a": [{"b": 2}]}}


@pytest.mark.parametrize("text, expected", [
    ("{{ _.x }}", 1),
    ("{{ _.x + 41 }}", 42),
    ("{{ _.items }}", [1, 2, 3]),
    ("{{ _.nested.a[0].b }}", 2),
    ("{{ _.items | length }}", 3),
    ("{{ _.items | map('string') | list }}", ["1", "2", "3"]),
    ("{{ {'k': _.x} }}", {"k": 1}),
    ("{{ _.x > 0 }}", True),
    ("{{ _['name'] }}", "wf"),
    ("{{ range(3) | list }}", [0, 1, 2]),
])
def test_whole_expression_returns_raw_value(text, expected):
    assert expressions.evaluate(text, CTX) == expected


def test_whitespace_around_a_whole_expression_still_gives_raw_value():
    assert expressions.evaluate(" {{ _.items }} ", CTX) == [1, 2, 3]


def test_interpolation_renders_a_string():
    assert expressions.evaluate("n={{ _.x }} l={{ _.items }}", CTX) == \
        "n=1 l=[1, 2, 3]"


def test_two_expressions_without_text_render_a_string():
    assert expressions.evaluate("{{ _.x }}{{ _.x }}", CTX) == "11"


def test_statement_blocks_render():
    text = "{% for i in _.items %}{{ i }};{% endfor %}"
    assert expressions.evaluate(text, CTX) == "1;2;3;"


def test_conditional_block():
    text = "{% if _.x == 1 %}one{% else %}other{% endif %}"
    assert expressions.evaluate(text, CTX) == "one"


def test_undefined_attribute_raises_expression_error():
    with pytest.raises(exceptions.ExpressionError) as info:
        expressions.evaluate("{{ _.missing }}", CTX)
    assert "{{ _.missing }}" in str(info.value)
    assert "missing" in str(info.value).split(":", 1)[1]


def test_undefined_in_template_raises_expression_error():
    with pytest.raises(exceptions.ExpressionError):
        expressions.evaluate("a {{ _.missing }} b", CTX)


def test_syntax_error_raises_expression_error():
    with pytest.raises(exceptions.ExpressionError) as info:
        expressions.evaluate("{{ _.x + }}", CTX)
    assert "syntax" in str(info.value)


def test_sandbox_blocks_private_attributes():
    with pytest.raises(exceptions.ExpressionError) as info:
        expressions.evaluate("{{ ''.__class__.__mro__ }}", CTX)
    assert "unsafe" in str(info.value)


def test_dict_keys_win_over_dict_methods():
    ctx = {"items": [1, 2], "keys": "k"}
    assert expressions.evaluate("{{ _.items }}", ctx) == [1, 2]
    assert expressions.evaluate("{{ _.keys }}", ctx) == "k"
    assert expressions.evaluate("{{ _.get('keys') }}", ctx) == "k"


def test_rendering_none_and_booleans_uses_str():
    assert expressions.evaluate("v={{ _.n }} {{ _.b }}",
                                {"n": None, "b": True}) == "v=None True"
