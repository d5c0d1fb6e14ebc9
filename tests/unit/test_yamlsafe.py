"""Bounded YAML loading of untrusted workflow text."""

import pytest

from wfengine import exceptions
from wfengine.core import yamlsafe
from wfengine.core.lang import parser


def test_plain_data_loads():
    assert yamlsafe.load("a: [1, {b: c}]") == {"a": [1, {"b": "c"}]}


def test_timestamps_stay_strings():
    assert yamlsafe.load("d: 2020-01-02") == {"d": "2020-01-02"}


def test_a_few_aliases_are_fine():
    assert yamlsafe.load("a: &x [1]\nb: *x\n") == {"a": [1], "b": [1]}


def test_alias_bomb_is_refused():
    text = "a: &a [1, 1]\n" + "".join(
        "b%d: &b%d [*%s, *%s]\n" % (i, i, prev, prev)
        for i, prev in enumerate(["a"] + ["b%d" % j for j in range(29)]))
    with pytest.raises(exceptions.InvalidModelException) as info:
        yamlsafe.load(text)
    assert "expands to more than %d characters" % (
        yamlsafe.current().max_expanded_size) in str(info.value)


def test_too_deep_nesting_is_refused():
    with pytest.raises(exceptions.InvalidModelException) as info:
        yamlsafe.load("[" * 100 + "]" * 100)
    assert "nesting" in str(info.value)


def test_too_long_text_is_refused():
    with pytest.raises(exceptions.InvalidModelException) as info:
        yamlsafe.load("a: '%s'" % ("x" * yamlsafe.current().max_size))
    assert "exceed" in str(info.value)


def test_python_tags_are_refused():
    with pytest.raises(exceptions.InvalidModelException):
        yamlsafe.load("a: !!python/object/apply:os.system ['true']")


def test_yaml_errors_give_the_line():
    with pytest.raises(exceptions.InvalidModelException) as info:
        yamlsafe.load("a: 1\nb: [\n")
    assert "line" in str(info.value)


def test_parser_reports_the_bound_as_a_problem():
    problems = parser.validate_workflows("[" * 100 + "]" * 100)
    assert len(problems) == 1 and "nesting" in problems[0]
