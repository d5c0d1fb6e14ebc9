"""std.noop, std.async_noop, std.echo, std.fail, std.sleep, std.test_dict,
the ActionContext and ensure_json."""
import datetime
import time

import pytest

from wfengine import exceptions
from wfengine.actions import base
from wfengine.actions import loader
from wfengine.actions import std

CONTEXT = base.ActionContext()
STANDARD = ["std.async_noop", "std.echo", "std.email", "std.fail",
            "std.http", "std.mistral_http", "std.noop", "std.sleep",
            "std.test_dict"]


def test_every_standard_action_is_an_entry_point():
    assert set(STANDARD) <= set(loader.names())
    for name in STANDARD:
        assert issubclass(loader.get_action_class(name), base.Action)


@pytest.mark.parametrize("name, sync", [
    ("std.noop", True), ("std.echo", True), ("std.http", True),
    ("std.email", True), ("std.async_noop", False),
    ("std.mistral_http", False)])
def test_is_sync(name, sync):
    assert loader.get_action_class(name).is_sync() is sync


def test_noop_and_async_noop():
    assert std.NoOpAction().run(CONTEXT) is None
    assert std.AsyncNoOpAction().run(CONTEXT) is None


def test_echo_returns_output_after_delay():
    start = time.monotonic()
    assert std.EchoAction(output={"a": [1]}, delay=0.05).run(CONTEXT) \
        == {"a": [1]}
    assert time.monotonic() - start >= 0.05
    assert std.EchoAction(output=1, delay=-3).delay == 0


@pytest.mark.parametrize("name, action_input, problems", [
    ("std.echo", {"output": 1}, None),
    ("std.echo", {"output": 1, "delay": 0}, None),
    ("std.noop", {}, None),
    # As Mistral: std.echo needs its output.
    ("std.echo", {}, ["missing required output"]),
    ("std.echo", {"nope": 1}, ["missing required output",
                               "unexpected nope (allowed: output, delay)"]),
    ("std.noop", {"x": 1}, ["unexpected x (allowed: none)"]),
    ("std.http", {}, ["missing required url"]),
])
def test_check_input(name, action_input, problems):
    if problems is None:
        loader.check_input(name, action_input)
        return
    with pytest.raises(exceptions.InvalidInputNames) as err:
        loader.check_input(name, action_input)
    assert str(err.value).startswith("Invalid input for action %s: " % name)
    for problem in problems:
        assert problem in str(err.value)
    assert err.value.http_code == 400


def test_fail_returns_error():
    assert std.FailAction(error_data={"x": 1}).run(CONTEXT).error == {"x": 1}
    assert "failed" in std.FailAction().run(CONTEXT).error


def test_sleep():
    start = time.monotonic()
    assert std.SleepAction(seconds=0.05).run(CONTEXT) is None
    assert time.monotonic() - start >= 0.05
    assert std.SleepAction(seconds=-1).seconds == 0
    assert std.SleepAction(seconds="2").seconds == 2
    assert std.SleepAction().seconds == 1


@pytest.mark.parametrize("value", ["abc", None, [1], True, float("inf")])
def test_sleep_rejects_what_is_not_seconds(value):
    with pytest.raises(exceptions.ActionError,
                       match="'seconds' of std.sleep"):
        std.SleepAction(seconds=value)


def test_test_dict():
    assert std.TestDictAction(size=3, key_prefix="k", val="v").run(
        CONTEXT) == {"k0": "v", "k1": "v", "k2": "v"}
    assert std.TestDictAction().run(CONTEXT) == {}


@pytest.mark.parametrize("size", [-1, "3", 1.5, std.MAX_TEST_DICT_SIZE + 1])
def test_test_dict_rejects_bad_size(size):
    with pytest.raises(exceptions.ActionError, match="'size' of "
                       "std.test_dict must be an integer from 0 to"):
        std.TestDictAction(size=size)


def test_action_context_callback_url():
    assert base.ActionContext().callback_url is None
    context = base.ActionContext(action_ex_id="a", callback_url="http://x/")
    assert context.callback_url == "http://x/"


@pytest.mark.parametrize("value", [
    None, 1, 1.5, "s", True, [1, (2, 3)], {"a": {"b": [None]}}, {1: "x"}])
def test_ensure_json_accepts_json(value):
    assert base.ensure_json(value) is value


@pytest.mark.parametrize("value, where, what", [
    ({"a": [1, datetime.date(2024, 1, 1)]}, '$["a"][1]', "of type date"),
    (b"bytes", "$", "of type bytes"),
    ([float("nan")], "$[0]", "NaN"),
    ({("a",): 1}, "$", "key of type tuple"),
    ({1, 2}, "$", "of type set"),
])
def test_ensure_json_names_the_problem(value, where, what):
    with pytest.raises(exceptions.ActionError) as e:
        base.ensure_json(value, "my.action")
    message = str(e.value)
    assert "my.action" in message and where in message and what in message


def test_ensure_json_finds_cycles_and_survives_depth():
    cycle = {"a": []}
    cycle["a"].append(cycle)
    with pytest.raises(exceptions.ActionError, match="cycle"):
        base.ensure_json(cycle)
    deep = []  # MAX_JSON_DEPTH lists inside each other: allowed
    for _ in range(base.MAX_JSON_DEPTH - 1):
        deep = [deep]
    assert base.ensure_json(deep) is deep
    with pytest.raises(exceptions.ActionError, match="nested deeper"):
        base.ensure_json([deep])
    deeper = []
    for _ in range(100000):
        deeper = {"a": deeper}
    with pytest.raises(exceptions.ActionError, match="nested deeper"):
        base.ensure_json(deeper)
    shared = {"x": 1}
    assert base.ensure_json([shared, shared])
