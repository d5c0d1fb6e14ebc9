"""Page parts refreshed with conditional requests.

A page part (a table's rows, an execution's live view) is built from a
few API reads. Its entity tag joins the API's tags of those reads, so
when the browser asks again with it, the console asks the API with each
tag in turn: if the API answers 304 to all of them, so does the console,
without rendering anything.
"""
import hashlib

# Changes when the markup of the parts changes (a new release).
VERSION = "c1"


def compose(tags):
    """The part's tag from the API tags of its reads (in order)."""
    return ".".join([VERSION] + [tag or "-" for tag in tags])


def decompose(tag, count):
    """The API tags held in a part's tag, or ``[None] * count``."""
    parts = (tag or "").split(".")
    if len(parts) != count + 1 or parts[0] != VERSION:
        return [None] * count
    return [None if p == "-" else p for p in parts[1:]]


class Reads:
    """The API reads of one page part, made conditionally when the
    browser holds a tag for it."""

    def __init__(self, api, held_tag, calls):
        """:param calls: ``[(path, params), ...]``, in a fixed order."""
        self._api = api
        self._calls = calls
        self._held = decompose(held_tag, len(calls))
        self.answers = None

    def unchanged(self):
        """Make the reads; True if the API says none changed (304s)."""
        answers = [self._api.get(path, params, etag=tag)
                   for (path, params), tag in zip(self._calls, self._held)]
        if all(a.unchanged for a in answers):
            self.answers = answers
            return True
        # Something changed: reads that said 304 are needed in full.
        self.answers = [
            self._api.get(path, params) if answer.unchanged else answer
            for (path, params), answer in zip(self._calls, answers)]
        return False

    @property
    def data(self):
        """The data of each read, in order."""
        return [answer.data for answer in self.answers]

    @property
    def tag(self):
        """The part's tag for the answers read."""
        return compose([answer.etag for answer in self.answers])


def digest(text):
    """A short stable hash (for tags of things the API does not tag)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

