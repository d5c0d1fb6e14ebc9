"""Runaway expressions raise ExpressionError instead of eating memory."""

import time

import pytest

from wfengine.core import expressions
from wfengine import exceptions


@pytest.mark.parametrize("text", [
    "{{ range(10**9) | list }}",
    "{{ 'a' * 100000000 }}",
    "{{ [1] * 100000000 }}",
    "{{ 100000000 * 'a' }}",
    "{{ 10 ** 100000000 }}",
    "{{ '%0999999999d' % 1 }}",
    "{{ '%*d' % (999999999, 1) }}",
    "{{ '{:0999999999}'.format(1) }}",
    "{{ 'a'.ljust(10**9) }}",
    "{{ 'a'.center(10**9) }}",
    "{{ 'a' | center(10**9) }}",
    "{{ 'a\nb' | indent(10**9) }}",
    "{{ '%0999999999d' | format(1) }}",
    "{{ ('a' * 999999) | replace('a', 'bb') }}",
    "{% for i in range(10000) %}{% for j in range(10000) %}"
    "{% endfor %}{% endfor %}",
    "{% for i in range(10000) %}{{ 'x' * 1000 }}{% endfor %}",
])
def test_runaway_jinja_is_bounded(limits, text):
    limits(time_limit=0.5)
    started = time.monotonic()
    with pytest.raises(exceptions.ExpressionError):
        expressions.evaluate(text, {})
    assert time.monotonic() - started < 2


def test_reasonable_sizes_still_work():
    assert expressions.evaluate("{{ 'ab' * 3 }}", {}) == "ababab"
    assert expressions.evaluate("{{ 2 ** 10 }}", {}) == 1024
    assert expressions.evaluate("{{ '%05d' % 7 }}", {}) == "00007"
    assert len(expressions.evaluate("{{ range(5000) | list }}", {})) == 5000


def test_range_is_not_shared_between_evaluations():
    text = "{{ range(9000) | list | length }}"
    for _ in range(20):
        assert expressions.evaluate(text, {}) == 9000
