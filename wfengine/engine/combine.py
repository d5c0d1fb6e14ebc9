"""Requests that arrive together, served together.

The engine answers each start on its own RPC thread. Under load, several
starts wait at once, and each would take a unit of work of its own: a
transaction, its round trips to the database and a commit, each round
trip a wait for the interpreter among the other threads. A
:class:`Combiner` lets the first of them serve all that are waiting in
one call (one unit of work for the engine), while the others wait for
their answers; alone, a request is served as before, at once.
"""
import collections
import threading


class Combiner:
    """Serve concurrent requests in batches.

    :param serve_many: ``serve_many(requests)`` serves a batch (two or
        more) and returns one answer per request, in order; an exception
        it raises is every request's answer, unless ``retry_alone`` says
        otherwise.
    :param serve_one: ``serve_one(request)`` serves a request alone.
    :param retry_alone: ``retry_alone(error)``: True when an error of the
        batch may belong to one of its requests (a refused start), so
        that each is served again alone and gets its own answer.
    :param limit: most requests in one batch.
    """

    def __init__(self, serve_many, serve_one, retry_alone, limit=32):
        self._serve_many = serve_many
        self._serve_one = serve_one
        self._retry_alone = retry_alone
        self._limit = limit
        self._waiting = collections.deque()
        self._changed = threading.Condition()
        self._serving = False

    def __call__(self, request):
        """The answer to ``request`` (served alone or in a batch); raises
        what serving it raised."""
        mine = _Slot(request)
        with self._changed:
            self._waiting.append(mine)
            while self._serving and not mine.done:
                self._changed.wait()
            if mine.done:
                return mine.answer()
            self._serving = True
        # This thread serves what waits, its own request among it, then
        # hands the turn to a thread whose request is still waiting.
        try:
            while not mine.done:
                with self._changed:
                    batch = self._take()
                self._serve(batch)
                with self._changed:
                    self._changed.notify_all()
        finally:
            with self._changed:
                self._serving = False
                self._changed.notify_all()
        return mine.answer()

    def _take(self):
        batch = []
        while self._waiting and len(batch) < self._limit:
            batch.append(self._waiting.popleft())
        return batch

    def _serve(self, batch):
        try:
            self._answer(batch)
        except BaseException as e:
            # Not even an answer: no request of the batch may wait for
            # ever.
            for slot in batch:
                if not slot.done:
                    slot.fail(e)
            raise

    def _answer(self, batch):
        if len(batch) > 1:
            try:
                answers = self._serve_many([s.request for s in batch])
            except Exception as e:  # noqa: B902 (every request's answer)
                if not self._retry_alone(e):
                    for slot in batch:
                        slot.fail(e)
                    return
            else:
                for slot, answer in zip(batch, answers):
                    slot.succeed(answer)
                return
        for slot in batch:
            try:
                slot.succeed(self._serve_one(slot.request))
            except Exception as e:  # noqa: B902 (the request's answer)
                slot.fail(e)


class _Slot:
    """One request and, once served, its answer or its error."""

    __slots__ = ("request", "done", "_answer", "_error")

    def __init__(self, request):
        self.request = request
        self.done = False
        self._answer = self._error = None

    def succeed(self, answer):
        self._answer, self.done = answer, True

    def fail(self, error):
        self._error, self.done = error, True

    def answer(self):
        if self._error is not None:
            raise self._error
        return self._answer
