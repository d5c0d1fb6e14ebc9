"""Concurrent requests served together: one call for those that wait,
each its own answer, a request alone served at once, and a refusal that
belongs to one request kept to that request."""
import threading

import pytest

from tests.functional import harness
from wfengine.engine import combine


class Refused(Exception):
    pass


class Server:
    """Serves requests (ints): doubles them; refuses negative ones. The
    first call blocks until ``release`` so that others queue behind it."""

    def __init__(self, hold_first=False):
        self.calls = []
        self.release = threading.Event()
        self._hold = hold_first
        self.combiner = combine.Combiner(self.many, self.one,
                                         lambda e: isinstance(e, Refused),
                                         limit=3)

    def _wait(self):
        if self._hold:
            self._hold = False
            assert self.release.wait(10)

    def many(self, requests):
        self.calls.append(("many", list(requests)))
        self._wait()
        if any(r < 0 for r in requests):
            raise Refused("batch")
        if any(r == 99 for r in requests):
            raise RuntimeError("database gone")
        return [2 * r for r in requests]

    def one(self, request):
        self.calls.append(("one", request))
        self._wait()
        if request < 0:
            raise Refused(request)
        return 2 * request


def _in_threads(server, requests):
    answers = {}

    def ask(request):
        try:
            answers[request] = server.combiner(request)
        except Exception as e:  # noqa: B902
            answers[request] = e
    threads = [threading.Thread(target=ask, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    return threads, answers


def _queue_behind_first(server, first, others):
    """Hold ``first`` inside the server while ``others`` queue."""
    held, answers = _in_threads(server, [first])
    harness.wait_until(lambda: server.calls, 10, "the first request")
    threads, more = _in_threads(server, others)
    harness.wait_until(
        lambda: len(server.combiner._waiting) == len(others), 10,
        "the others to queue")
    server.release.set()
    for thread in held + threads:
        thread.join(10)
        assert not thread.is_alive()
    answers.update(more)
    return answers


def test_a_request_alone_is_served_alone():
    server = Server()
    assert server.combiner(4) == 8
    assert server.calls == [("one", 4)]


def test_requests_that_wait_are_served_in_batches_of_at_most_the_limit():
    server = Server(hold_first=True)
    answers = _queue_behind_first(server, 1, [2, 3, 4, 5])
    assert answers == {1: 2, 2: 4, 3: 6, 4: 8, 5: 10}
    # All four queued behind the first: the next turn serves the three
    # that queued first (the limit) together, the last one alone.
    (first, many, last) = server.calls
    assert first == ("one", 1)
    assert many[0] == "many" and len(many[1]) == 3
    assert last[0] == "one"
    assert sorted(many[1] + [last[1]]) == [2, 3, 4, 5]


def test_a_refusal_in_a_batch_is_its_requests_own():
    server = Server(hold_first=True)
    answers = _queue_behind_first(server, 1, [2, -3, 4])
    assert answers[1] == 2 and answers[2] == 4 and answers[4] == 8
    assert isinstance(answers[-3], Refused) and str(answers[-3]) == "-3"


def test_an_error_of_the_whole_batch_is_every_requests_answer():
    server = Server(hold_first=True)
    answers = _queue_behind_first(server, 1, [99, 98])
    assert answers[1] == 2
    assert all(isinstance(answers[r], RuntimeError) for r in (99, 98))
    assert ("one", 98) not in server.calls


def test_a_request_never_waits_for_ever_when_serving_breaks():
    class Stop(BaseException):
        pass

    def many(requests):
        raise Stop()
    combiner = combine.Combiner(many, lambda r: r, lambda e: False)
    slots = [combine._Slot(r) for r in (1, 2)]
    with pytest.raises(Stop):
        combiner._serve(slots)
    for slot in slots:
        assert slot.done
        with pytest.raises(Stop):
            slot.answer()
