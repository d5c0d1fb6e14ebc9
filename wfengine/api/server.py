"""The API's HTTP server: cheroot's multi-threaded WSGI server.

``build_server()`` makes it; ``start()`` binds and serves until
``stop()`` is called from another thread, so the launcher can run it in
a background thread next to the other services.
"""
import logging
import threading

from cheroot import wsgi

from wfengine.ops import first_contact

LOG = logging.getLogger(__name__)


class ApiServer:
    """A WSGI server bound to one address, started and stopped at will."""

    def __init__(self, app, host, port, threads):
        self._server = wsgi.Server((host, port), app, numthreads=threads,
                                   server_name="wfengine-api")
        self._ready = threading.Event()
        self._prepared = False
        self._stopped = threading.Event()

    @property
    def address(self):
        """``(host, port)`` actually bound (the port is real once ready)."""
        return self._server.bind_addr

    def start(self):
        """Bind and serve requests; returns once :meth:`stop` was called."""
        if not self._prepared:
            self._server.prepare()
        LOG.info("API listening on %s:%s", *self.address[:2])
        self._ready.set()
        try:
            self._server.serve()
        finally:
            self._stopped.set()

    def start_in_thread(self, timeout=10.0):
        """Bind, then serve in a daemon thread.

        :raises StartupError: the address can not be bound (one line).
        """
        host, port = self._server.bind_addr[:2]
        try:
            self._server.prepare()
        except OSError as e:
            raise first_contact.cannot_listen(host, port, e,
                                              "[api] host, port") from None
        self._prepared = True
        thread = threading.Thread(target=self.start, name="wfengine-api",
                                  daemon=True)
        thread.start()
        if not self.wait_ready(timeout):
            raise RuntimeError("API server did not bind within %ss" % timeout)
        return thread

    def wait_ready(self, timeout=None):
        """True once the socket is bound and requests are served."""
        return self._ready.wait(timeout)

    def stop(self):
        """Stop serving and close the socket (safe from any thread)."""
        self._server.stop()
        LOG.info("API server stopped")


def build_server(app, host, port, threads):
    """An :class:`ApiServer` for ``app`` on ``host:port`` with ``threads``
    worker threads (the ``[api]`` options)."""
    return ApiServer(app, host, port, threads)
