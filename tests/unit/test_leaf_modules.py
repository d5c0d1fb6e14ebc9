"""The leaf modules every layer shares: the bounded cache, the record of
an action execution's params, the bounded wait for a call."""
import contextvars
import threading
import time

import pytest

from wfengine import action_params
from wfengine import cache
from wfengine import waiting


def test_the_cache_drops_the_least_recently_used_entry():
    c = cache.BoundedCache(2)
    c.put("a", 1)
    c.put("b", 2)
    assert c.get("a") == 1          # "a" is now the newest
    c.put("c", 3)
    assert (c.get("a"), c.get("b"), c.get("c")) == (1, None, 3)
    assert len(c) == 2


def test_the_cache_makes_a_value_once_per_key():
    c = cache.BoundedCache(4)
    made = []
    for _ in range(3):
        assert c.get_or_make("k", lambda: made.append(1) or "v") == "v"
    assert made == [1]


def test_the_cache_holds_its_bound_under_threads():
    c = cache.BoundedCache(8)

    def fill(offset):
        for i in range(500):
            c.put((offset, i), i)
            c.get((offset, i - 1))
    threads = [threading.Thread(target=fill, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(c) == 8


def test_a_cache_of_nothing_is_refused():
    with pytest.raises(ValueError):
        cache.BoundedCache(0)


def test_params_round_trip_with_only_the_keys_that_say_something():
    assert action_params.ActionParams().to_row() is None
    row = {"index": 2, "gen": 3, "safe_rerun": True, "target": "eu",
           "adhoc": {"id": "a1", "base": "std.echo",
                     "base_input": {"output": 1}}}
    record = action_params.ActionParams.from_row(row)
    assert record.to_row() == row
    assert record.action_to_run("my.echo") == "std.echo"
    assert record.input_to_run({"x": 1}) == {"output": 1}
    plain = action_params.ActionParams.from_row({"target": "eu"})
    assert plain.to_row() == {"target": "eu"}
    assert plain.action_to_run("std.noop") == "std.noop"
    assert not plain.is_item and record.is_item


def test_params_are_frozen():
    with pytest.raises(AttributeError):
        action_params.ActionParams().index = 1


def test_the_latest_run_of_each_item_of_a_generation_counts():
    runs = [({"index": 0, "gen": 1}, "ERROR", {"result": "old"}),
            ({"index": 1, "gen": 1}, "SUCCESS", {"result": "b"}),
            ({"index": 0, "gen": 2}, "SUCCESS", {"result": "new"}),
            ({"index": 0, "gen": 1}, "SUCCESS", {"result": "a"}),
            (None, "SUCCESS", {"result": "not an item"})]
    assert action_params.latest_item_runs(runs, 1) == {
        0: ("SUCCESS", {"result": "a"}), 1: ("SUCCESS", {"result": "b"})}
    assert action_params.latest_generation(r[0] for r in runs) == 2


_WHO = contextvars.ContextVar("who", default=None)


def test_a_call_that_returns_in_time_gives_its_value_and_context():
    _WHO.set("the caller")
    outcome = waiting.within(lambda: (_WHO.get(), 42), 5, "t")
    assert outcome.finished and outcome.error is None
    assert outcome.value == ("the caller", 42)


def test_a_call_that_raises_in_time_gives_its_error():
    def fail():
        raise KeyError("k")
    outcome = waiting.within(fail, 5, "t")
    assert outcome.finished and isinstance(outcome.error, KeyError)


def test_a_call_still_under_way_is_left_at_the_end_of_the_wait():
    release = threading.Event()
    started = time.monotonic()
    outcome = waiting.within(lambda: release.wait(30), 0.2, "stuck")
    assert time.monotonic() - started < 5
    assert not outcome.finished and outcome.error is None
    stuck = [t for t in threading.enumerate() if t.name == "stuck"]
    assert stuck and stuck[0].daemon  # never keeps the process alive
    release.set()
