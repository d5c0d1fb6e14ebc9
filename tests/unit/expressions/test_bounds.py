"""Each bounded operation, in YAQL and in Jinja: refused before it builds
what it would, or stopped by the deadline, with a message that names the
limit and its option (DESIGN.md rule 9)."""

import threading
import time

import pytest

from wfengine.core import expressions
from wfengine.core.expressions import bounds
from wfengine import exceptions

# Generous: the deadline is 0.5 s in these tests, the machine is shared.
MARGIN = 3.0


def refused(text, data=None, option="value_size_limit"):
    started = time.monotonic()
    with pytest.raises(exceptions.ExpressionError) as info:
        expressions.evaluate(text, data or {})
    assert time.monotonic() - started < MARGIN
    message = str(info.value)
    assert "limit exceeded" in message or option in message, message
    assert "[expressions] %s" % option in message, message
    return message


@pytest.mark.parametrize("text, option", [
    ("<% pow(10, 4000000) %>", "int_bits_limit"),
    ("<% 10 * pow(10, 99999) %>", "int_bits_limit"),
    ("{{ 10 ** 4000000 }}", "int_bits_limit"),
    ("{{ 7 ** 99999 * 7 ** 99999 }}", "int_bits_limit"),
    ("<% shiftBitsLeft(1, 10000000) %>", "int_bits_limit"),
    ("<% 'ab' * 100000000 %>", "value_size_limit"),
    ("<% 100000000 * 'ab' %>", "value_size_limit"),
    ("{{ 'ab' * 100000000 }}", "value_size_limit"),
    ("{{ [1, 2] * 100000000 }}", "value_size_limit"),
    ("<% $.sep.join(range(0, 100)) %>", "value_size_limit"),
    ("<% range(0, 100).join($.sep) %>", "value_size_limit"),
    ("{{ range(100) | join(_.sep) }}", "value_size_limit"),
    ("{{ _.sep.join(['a'] * 100) }}", "value_size_limit"),
    ("<% $.sep.replace('x', $.sep) %>", "value_size_limit"),
    ("{{ _.sep.replace('x', _.sep) }}", "value_size_limit"),
    ("{{ _.sep | replace('x', _.sep) }}", "value_size_limit"),
    ("<% regex('x').replace($.sep, 'yy') %>", "value_size_limit"),
    ("{{ '%(a)300000000s' % {'a': 1} }}", "value_size_limit"),
    ("{{ '%.*f' % (999999999, 1.0) }}", "value_size_limit"),
    ("{{ '{:{}}'.format('a', 10**9) }}", "value_size_limit"),
    ("{{ '{:>999999999}'.format('a') }}", "value_size_limit"),
    ("{{ lipsum(40000) }}", "value_size_limit"),
    ("{{ _.sep ~ _.sep }}", "value_size_limit"),
    ("{{ _.sep + _.sep }}", "value_size_limit"),
    ("{% set x = _.sep %}{% set y = x ~ x %}{{ y | length }}",
     "value_size_limit"),
    ("{% set l = [1] %}{% for i in range(30) %}{% set _ = l.extend(l) %}"
     "{% endfor %}{{ l | length }}", "value_size_limit"),
    ("<% yaml_parse($.bomb) %>", None),
    ("<% $.sep %>-<% $.sep %>", "value_size_limit"),
    ("{{ _.sep }}{{ _.sep }}", "value_size_limit"),
])
def test_what_would_be_too_big_is_refused(text, option):
    data = {"sep": "x" * 600000, "bomb": _laughs(12)}
    if option is None:
        with pytest.raises(exceptions.ExpressionError,
                           match="expands to more than"):
            expressions.evaluate(text, data)
        return
    refused(text, data, option)


def _laughs(levels, width=3):
    lines = ["l0: &l0 [%s]" % ", ".join(["lol"] * width)]
    for level in range(1, levels + 1):
        lines.append("l%d: &l%d [%s]" % (
            level, level, ", ".join(["*l%d" % (level - 1)] * width)))
    return "\n".join(lines)


@pytest.mark.parametrize("text", [
    "<% regex('(a|aa)+$').matches($.s) %>",
    "<% $.s =~ '(a|aa)+$' %>",
    "<% $.s !~ '(a|aa)+$' %>",
    "<% $.s.matches('(a|aa)+$') %>",
    "<% regex('(a|aa)+$').search($.s) %>",
    "<% regex('(a|aa)+$').searchAll($.s) %>",
    "<% regex('(a|aa)+$').split($.s) %>",
    "<% regex('(a|aa)+$').replace($.s, 'x') %>",
    "<% range(0, 5000).select(range(0, 5000)).flatten().len() %>",
    "<% range(0, 1000000).select($ * 2).where($ > 0).len() %>",
    "{% for a in _.l %}{% for b in _.l %}{% endfor %}{% endfor %}",
    "{% for a in _.l %}{% for b in _.l %}{{ '' }}{% endfor %}{% endfor %}",
    "{{ _.l | map('string') | map('length') | sum }}{% for a in _.l %}"
    "{% for b in _.l %}{% if a == b %}{% endif %}{% endfor %}{% endfor %}",
])
def test_what_runs_too_long_is_stopped_by_the_deadline(limits, text):
    limits(time_limit=0.5)
    message = refused(text, {"s": "a" * 60 + "!", "l": list(range(12000))},
                      "time_limit")
    assert "limit of 0.5 seconds" in message


def test_a_runaway_regex_leaves_the_interpreter_to_other_threads(limits):
    limits(time_limit=1.0)
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.01)
    thread = threading.Thread(target=tick)
    thread.start()
    try:
        refused("<% regex('(a|aa)+$').matches($.s) %>",
                {"s": "a" * 60 + "!"}, "time_limit")
    finally:
        stop.set()
        thread.join()
    # The other thread kept running while the regex did (it would get no
    # tick at all if the regex held the interpreter lock).
    assert len(ticks) >= 10


@pytest.mark.parametrize("text, expected", [
    ("<% regex('(\\\\w+)@(\\\\w+)').search($.s, $3.value) %>", "b"),
    ("<% regex('a(b)?').searchAll('ab a', $1.value) %>", ["ab", "a"]),
    ("<% $.s =~ '^a@' %>", True),
    ("<% $.s !~ '^a@' %>", False),
    ("<% 'a,b;c'.split(regex('[,;]')) %>", ["a", "b", "c"]),
    ("<% regex('[,;]').split('a,b;c', 1) %>", ["a", "b;c"]),
    ("<% regex('b').replace('abcb', 'x') %>", "axcx"),
    ("<% 'abcb'.replace(regex('b'), 'x', 1) %>", "axcb"),
    ("<% regex('(b)').replaceBy('abc', $1.value.toUpper()) %>", "aBc"),
    ("<% 'A'.matches('a') %>", False),
    ("<% regex('a', ignoreCase => true).matches('A') %>", True),
    ("<% escapeRegex('a.b') %>", "a\\.b"),
    ("<% isRegex(regex('a')) %>", True),
    ("<% pow(2, 64) %>", 2 ** 64),
    ("<% pow(3, 1000000, 7) %>", pow(3, 1000000, 7)),
    ("<% 'ab' * 3 %>", "ababab"),
    ("<% ['a', 'b'].join('-') %>", "a-b"),
    ("<% '-'.join(['a', 'b']) %>", "a-b"),
    ("<% 'aXbX'.replace('X', '--') %>", "a--b--"),
    ("<% 'abc'.replace(dict(a => 1, b => 2)) %>", "12c"),
    ("{{ range(3) | join(',') }}", "0,1,2"),
    ("{{ 'a' ~ 1 ~ none }}", "a1None"),
    ("{{ (lipsum(2, false) | wordcount) > 0 }}", True),
    ("{% set l = [] %}{% for i in range(3) %}{% set _ = l.append(i) %}"
     "{% endfor %}{{ l | join }}", "012"),
])
def test_bounded_operations_still_compute_what_they_did(text, expected):
    assert expressions.evaluate(text, {"s": "a@b"}) == expected


def test_every_limit_is_configurable(limits):
    limits(value_size=2000, int_bits=64, iterators=1000)
    assert expressions.evaluate("<% 'x' * 1500 %>", {}) == "x" * 1500
    refused("<% 'x' * 2500 %>")
    refused("<% pow(2, 70) %>", option="int_bits_limit")
    message = refused("<% range(0, 5000).toList() %>",
                      option="limit_iterators")
    assert "1000 elements" in message


def test_a_limit_error_says_where_the_expression_sits():
    with pytest.raises(exceptions.ExpressionError) as info:
        expressions.evaluate(
            {"publish": {"a": 1, "b": ["<% pow(10, 10 ** 6) %>"]}}, {})
    assert "(at 'publish.b[0]')" in str(info.value)


def test_many_values_under_the_cap_are_capped_together():
    data = {"v": "x" * 400000}
    with pytest.raises(exceptions.ExpressionError) as info:
        expressions.evaluate({"a": "<% $.v %>", "b": "<% $.v %>",
                              "c": "{{ _.v }}"}, data)
    assert "together" in str(info.value)
    assert "value_size_limit" in str(info.value)


def test_check_value_stops_at_the_cap_on_wide_values(limits):
    limits(value_size=1000)
    wide = [0] * 10000000
    started = time.monotonic()
    with pytest.raises(bounds.LimitExceeded):
        bounds.check_value(wide)
    assert time.monotonic() - started < MARGIN


def test_nested_evaluations_share_the_outer_deadline(limits):
    limits(time_limit=0.3)
    with bounds.deadline():
        time.sleep(0.35)
        with pytest.raises(exceptions.ExpressionError, match="time_limit"):
            expressions.evaluate("<% range(0, 300).sum() %>", {})


def test_check_value_counts_subclasses_of_containers_and_text(limits):
    import collections
    limits(value_size=1000)
    for value in (collections.OrderedDict(a="x" * 2000),
                  [type("Text", (str,), {})("x" * 2000)],
                  (1, [2, {"k": ["x" * 600, "y" * 600]}])):
        with pytest.raises(bounds.LimitExceeded):
            bounds.check_value(value)
    assert bounds.check_value({"a": [1, 2.5, None, True, "x" * 100]})


@pytest.mark.parametrize("text", ["<% float('nan') %>",
                                  "<% [1, float('inf')] %>",
                                  "{{ _.n | float }}",
                                  "{{ {'a': _.i | float} }}"])
def test_values_that_are_not_json_are_refused(text):
    with pytest.raises(exceptions.ExpressionError, match="not a JSON number"):
        expressions.evaluate(text, {"n": "nan", "i": "-inf"})
