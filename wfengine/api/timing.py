"""WSGI middleware: the server's own time for a request, as a header.

``ServerTiming(app)`` adds ``Server-Timing: app;dur=<ms>`` to every
response: the milliseconds from the moment the WSGI server hands the
request to the application until the application starts its response
(its status and headers; the API's bodies are built by then). A client
reads it to tell the server's time from its own and the network's
(``[api] server_timing``; ``tools/sidebyside.py`` reads it).

The module imports nothing of wfengine on purpose: the side-by-side tool
loads this same file into OpenStack Mistral's API process
(``tools/peer_timing``), so both servers are timed by the same code.
"""
import time


class ServerTiming:
    """Time each request of ``app`` and report it in a header."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        started = time.perf_counter()

        def timed_start_response(status, headers, exc_info=None):
            elapsed = (time.perf_counter() - started) * 1000.0
            headers = list(headers) + [
                ("Server-Timing", "app;dur=%.3f" % elapsed)]
            return start_response(status, headers, exc_info)

        return self.app(environ, timed_start_response)
