"""Waiting a bounded time for a call that may never return.

A call into the messaging layer can block past its own timeout: with the
broker out of reach, oslo.messaging retries the publish until it gets
through. Whoever must answer or stop in time (the API at its deadline, a
stopping executor handing its actions back, a process letting go of its
transport) runs such a call in a daemon thread of its own and waits for
it at most a given time; a thread left with the call never keeps the
process from exiting.
"""
import contextvars
import threading


class Outcome:
    """What a call run by :func:`within` came to: ``finished`` (it
    returned or raised in time), and then its ``value`` or ``error``."""

    def __init__(self):
        self.finished = False
        self.value = None
        self.error = None


def within(fn, seconds, name):
    """Run ``fn()`` in a daemon thread named ``name`` (with the caller's
    context variables: its ids in the log lines) and wait for it at most
    ``seconds``.

    :returns: an :class:`Outcome`; ``finished`` False when the call was
        still under way at the end of the wait (it goes on, unwaited).
    """
    outcome = Outcome()
    done = threading.Event()

    def run():
        try:
            outcome.value = fn()
        except BaseException as e:  # handed to the waiting thread
            outcome.error = e
        finally:
            done.set()

    threading.Thread(target=contextvars.copy_context().run, args=(run,),
                     name=name, daemon=True).start()
    outcome.finished = done.wait(seconds)
    return outcome
