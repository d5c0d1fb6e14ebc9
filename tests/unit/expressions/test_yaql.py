"""YAQL evaluation through the expressions facade."""

import sys
import threading
import time

import pytest

from wfengine.core import expressions
from wfengine.core.expressions import yaql_plugin
from wfengine import exceptions

CTX = {"x": 1, "name": "wf", "items": [1, 2, 3],
       "nested": {"a": {"b": [10, {"c": "deep"}]}}}


@pytest.mark.parametrize("text, expected", [
    ("<% $.x %>", 1),
    ("<% $.x + 41 %>", 42),
    ("<% $.items %>", [1, 2, 3]),
    ("<% $.nested.a.b[1].c %>", "deep"),
    ("<% $.items.select($ * 2) %>", [2, 4, 6]),
    ("<% $.items.where($ > 1).len() %>", 2),
    ("<% dict(k => $.x) %>", {"k": 1}),
    ("<% $.nested %>", {"a": {"b": [10, {"c": "deep"}]}}),
    ("<% $.get(missing) %>", None),
    ("<% true %>", True),
])
def test_whole_expression_returns_raw_value(text, expected):
    assert expressions.evaluate(text, CTX) == expected


def test_whitespace_around_a_whole_expression_still_gives_raw_value():
    assert expressions.evaluate("  <% $.items %>\n", CTX) == [1, 2, 3]


def test_interpolation_converts_values_with_str():
    result = expressions.evaluate("n=<% $.x %>, l=<% $.items %>!", CTX)
    assert result == "n=1, l=[1, 2, 3]!"


def test_interpolation_of_several_expressions():
    text = "<% $.name %>-<% $.x %>-<% $.x + 1 %>"
    assert expressions.evaluate(text, CTX) == "wf-1-2"


def test_multiline_expression():
    assert expressions.evaluate("<% $.items\n  .sum() %>", CTX) == 6


def test_distinct_over_dicts_needs_frozen_data_and_works():
    ctx = {"ld": [{"a": 1}, {"a": 1}, {"a": 2}]}
    assert expressions.evaluate("<% $.ld.distinct() %>", ctx) == [
        {"a": 1}, {"a": 2}]


def test_evaluation_does_not_modify_the_context():
    ctx = {"l": [1], "d": {"a": 1}}
    expressions.evaluate("<% $.l.append(2) %><% $.d.set(b => 2) %>", ctx)
    assert ctx == {"l": [1], "d": {"a": 1}}


def test_missing_key_raises_expression_error_naming_expression():
    with pytest.raises(exceptions.ExpressionError) as info:
        expressions.evaluate("<% $.nope.deeper %>", CTX)
    message = str(info.value)
    assert "$.nope.deeper" in message
    assert "nope" in message and "YAQL" in message


def test_syntax_error_raises_expression_error():
    with pytest.raises(exceptions.ExpressionError) as info:
        expressions.evaluate("<% $.x[ %>", CTX)
    assert "$.x[" in str(info.value)
    assert "syntax" in str(info.value)


def test_error_inside_interpolation_names_the_failing_expression():
    with pytest.raises(exceptions.ExpressionError) as info:
        expressions.evaluate("ok <% $.x %> bad <% $.missing %>", CTX)
    assert "$.missing" in str(info.value)


def test_runaway_string_multiplication_is_bounded():
    with pytest.raises(exceptions.ExpressionError) as info:
        expressions.evaluate("<% 'a' * 100000000 %>", {})
    assert "[expressions] value_size_limit" in str(info.value)


def test_runaway_collection_is_bounded():
    with pytest.raises(exceptions.ExpressionError) as info:
        expressions.evaluate("<% range(0, 2000000).select($).len() %>", {})
    # Refused at a million elements, or at the time limit on a slow machine.
    assert "limit_iterators" in str(info.value) or \
        "[expressions] time_limit" in str(info.value)


def test_a_with_items_sized_list_is_not_a_runaway():
    items = ["item-%d" % i for i in range(50000)]
    assert expressions.evaluate("<% $.items %>", {"items": items}) == items


def test_none_context_is_allowed():
    assert expressions.evaluate("<% 1 + 1 %>", None) == 2


def test_a_runaway_nested_loop_is_stopped_by_the_time_limit(limits):
    limits(time_limit=0.3)
    started = time.monotonic()
    with pytest.raises(exceptions.ExpressionError) as err:
        expressions.evaluate(
            "<% range(0, 5000).select(range(0, 5000)).flatten().len() %>",
            {})
    assert time.monotonic() - started < 3
    assert "limit of 0.3 seconds ([expressions] time_limit)" in str(err.value)


PATH_RUNTIME = {"task": {"name": "t1", "result": {"k": [1, {"v": 2}]}},
                "env": {"url": "http://x", "deep": {"token": "t"}},
                "execution": {"id": "e-1", "input": {"a": 1}}}


@pytest.mark.parametrize("expression", [
    "$", "$.x", "$.nested", "$.nested.a.b", " $ . nested . a ", "$.items",
    "task()", "task().result", "task().result.k", "task( ).name",
    "env().url", "env().deep.token", "execution().input.a",
])
def test_a_simple_path_is_read_as_yaql_reads_it(expression):
    assert yaql_plugin._path(expression) is not None
    scope = yaql_plugin.Scope(CTX, PATH_RUNTIME)
    fast = scope.evaluate(expression)
    slow = scope._run(yaql_plugin._parse(expression))
    assert fast == slow and type(fast) is type(slow)


def test_a_path_result_shares_no_container_with_the_context():
    got = expressions.evaluate("<% $.nested %>", CTX)
    got["a"]["b"].append("mine")
    assert CTX["nested"]["a"]["b"] == [10, {"c": "deep"}]


@pytest.mark.parametrize("expression", [
    "$.missing", "$.x.y", "$.items.y", "task().result.k.v", "env().nope",
])
def test_a_path_that_leaves_the_dicts_is_explained_by_yaql(expression):
    with pytest.raises(exceptions.ExpressionError) as err:
        yaql_plugin.Scope(CTX, PATH_RUNTIME).evaluate(expression)
    assert expression in str(err.value)


def test_a_path_over_a_list_of_dicts_maps_as_yaql_does():
    data = {"l": [{"a": 1}, {"a": 2}]}
    assert expressions.evaluate("<% $.l.a %>", data) == [1, 2]


@pytest.mark.parametrize("expression", [
    "$.null", "$.true", "$x", "$.x + 1", "task(t1).result", "$.a[0]",
    "env().x.y()",
])
def test_what_is_not_a_simple_path_goes_to_yaql(expression):
    assert yaql_plugin._path(expression) is None


def test_expressions_parsed_by_several_threads_at_once_all_parse():
    # yaql's one ply lexer and parser keep the parse under way on
    # themselves; unguarded, about a third of these failed with a parse
    # error naming a token of another thread's expression.
    errors = []
    start = threading.Barrier(6)

    def parse(thread):
        start.wait()
        for i in range(400):
            expression = "$.t%d_%d + len($.items) * %d" % (thread, i, i)
            error = yaql_plugin.validate(expression)
            if error:
                errors.append(error)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns inside a parse
    try:
        threads = [threading.Thread(target=parse, args=(n,))
                   for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        sys.setswitchinterval(switch)
    assert errors == []
