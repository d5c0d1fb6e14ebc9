"""The status endpoint of a process that runs no API.

Engines, executors and notifiers serve ``/healthz``, ``/readyz`` and
``/metrics`` on ``[monitoring] status_host:status_port`` when the port is
set, for an orchestrator's probes and Prometheus's scrapes.
"""
import logging
import threading

from cheroot import wsgi

from wfengine.ops import endpoints
from wfengine.ops import first_contact

LOG = logging.getLogger(__name__)


class StatusServer:
    """A small threaded HTTP server for the status application."""

    def __init__(self, conf, host, port):
        self._server = wsgi.Server((host, port), endpoints.status_app(conf),
                                   numthreads=2,
                                   server_name="wfengine-status")
        self._thread = None

    def start(self):
        """Bind (raising OSError if the port is taken), then serve."""
        host, port = self._server.bind_addr[:2]
        try:
            self._server.prepare()
        except OSError as e:
            raise first_contact.cannot_listen(
                host, port, e, "[monitoring] status_host, status_port") \
                from None
        self._thread = threading.Thread(target=self._server.serve,
                                        name="wfengine-status", daemon=True)
        self._thread.start()
        host, port = self._server.bind_addr[:2]
        LOG.info("Status endpoint on http://%s:%s/readyz", host, port)
        return self

    def stop(self):
        self._server.stop()


def start(conf):
    """Start the status endpoint if ``[monitoring] status_port`` is set;
    returns its ``stop`` (a no-op when there is none)."""
    if not conf.monitoring.status_port:
        return lambda: None
    server = StatusServer(conf, conf.monitoring.status_host,
                          conf.monitoring.status_port)
    return server.start().stop
