"""The facade: walking structures, validate, has_expressions, extract_vars."""

import pytest

from wfengine.core import expressions
from wfengine import exceptions

CTX = {"x": 1, "key": "k", "items": [1, 2]}


def test_non_strings_are_returned_as_is():
    for value in (1, 2.5, None, True):
        assert expressions.evaluate(value, CTX) is value


def test_plain_strings_are_returned_unchanged():
    assert expressions.evaluate("no expression % here {", CTX) == \
        "no expression % here {"


def test_nested_structures_keys_and_values():
    data = {
        "<% $.key %>": ["<% $.x %>", "{{ _.x + 1 }}", 3, {"n": None}],
        "plain": ("a", "t=<% $.x %>"),
    }
    assert expressions.evaluate(data, CTX) == {
        "k": [1, 2, 3, {"n": None}],
        "plain": ["a", "t=1"],
    }


def test_evaluate_returns_a_new_structure():
    data = {"a": ["<% $.x %>"]}
    expressions.evaluate(data, CTX)
    assert data == {"a": ["<% $.x %>"]}


def test_unhashable_key_raises_expression_error():
    with pytest.raises(exceptions.ExpressionError) as info:
        expressions.evaluate({"<% $.items %>": 1}, CTX)
    assert "<% $.items %>" in str(info.value)


def test_mixing_yaql_and_jinja_in_one_string_is_an_error():
    with pytest.raises(exceptions.ExpressionError) as info:
        expressions.evaluate("<% $.x %> {{ _.x }}", CTX)
    assert "mixes" in str(info.value)


def test_validate_lists_every_bad_expression_with_its_text():
    problems = expressions.validate({
        "ok": "<% $.x %> and {{ nothing }}" and "<% $.x %>",
        "bad1": "<% $.x[ %>",
        "list": ["{{ _.x + }}", "{% if %}x{% endif %}", "fine {{ _.y }}"],
        "<% , %>": 1,
        "mix": "<% $.a %> {{ _.b }}",
        "empty": "<%  %>",
    })
    assert len(problems) == 6
    assert any("<% $.x[ %>" in p for p in problems)
    assert any("{{ _.x + }}" in p for p in problems)
    assert any("{% if %}" in p for p in problems)
    assert any("<% , %>" in p for p in problems)
    assert any("mixes" in p for p in problems)
    assert any("empty" in p for p in problems)


def test_validate_accepts_good_expressions():
    assert expressions.validate(
        ["<% $.a.where($ > 1) %>", "{{ _.a | list }}", "x {% if 1 %}y"
         "{% endif %}", 5, None, {"k": "v"}]) == []


@pytest.mark.parametrize("value, expected", [
    ("<% $.x %>", True),
    ("a {{ _.x }} b", True),
    ("{% if 1 %}{% endif %}", True),
    ("plain", False),
    ("50% <sure>", False),
    ("{ not jinja }", False),
    (5, False),
    (None, False),
])
def test_has_expressions(value, expected):
    assert expressions.has_expressions(value) is expected


def test_extract_vars():
    data = {"a": "<% $.first + $.second.x %>",
            "b": ["{{ _.third }}", "{% if _.fourth %}{% endif %}",
                  "<% $.first %>", "$.not_in_expression"]}
    assert expressions.extract_vars(data) == [
        "first", "second", "third", "fourth"]


def test_parsed_expressions_are_cached():
    from wfengine.core.expressions import yaql_plugin
    expressions.evaluate("<% $.x * 7 %>", CTX)
    hits = yaql_plugin._parse.cache_info().hits
    expressions.evaluate("<% $.x * 7 %>", CTX)
    assert yaql_plugin._parse.cache_info().hits == hits + 1
