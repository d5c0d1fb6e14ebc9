"""``/healthz``, ``/readyz`` and ``/metrics``, as plain WSGI.

The API serves them on its own port (:class:`ApiMiddleware`, in front of
every other middleware, so no authentication applies to them; with
``[monitoring] metrics_require_auth`` only the probes: ``/metrics`` is then
answered behind the API's authentication, by ``api.metrics_auth``); a process
without the API serves them on ``[monitoring] status_port``
(:class:`StatusServer`) when that is set.

- ``GET /healthz``: 200 ``{"status": "alive"}`` while the process runs.
- ``GET /readyz``: 200 ``{"status": "ready", ...}``, or 503 with
  ``{"status": "unready", "reasons": [...]}`` naming each cause.
- ``GET /metrics``: the Prometheus text exposition.
"""
import json
import os
import time

import prometheus_client as prom
from prometheus_client import multiprocess

from wfengine import metrics
from wfengine.ops import checks
from wfengine.ops import collector

_JSON = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
_database_collector = {}


def install(conf):
    """Register the database gauges (once)."""
    if "collector" not in _database_collector:
        gauges = collector.DatabaseCollector(
            conf.monitoring.database_gauges_interval)
        _database_collector["collector"] = gauges
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            prom.REGISTRY.register(gauges)


def exposition():
    """``(content_type, body)`` of ``/metrics``."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = prom.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        if "collector" in _database_collector:
            registry.register(_database_collector["collector"])
    else:
        registry = prom.REGISTRY
    return prom.CONTENT_TYPE_LATEST, prom.generate_latest(registry)


def healthz(conf):
    return "200 OK", {"status": "alive", "pid": os.getpid(),
                      "services": list(checks.services())}


def readyz(conf):
    reasons = checks.reasons(conf)
    body = {"services": list(checks.services())}
    if reasons:
        body.update(status="unready", reasons=reasons)
        return "503 Service Unavailable", body
    body["status"] = "ready"
    return "200 OK", body


_PROBES = {"/healthz": healthz, "/readyz": readyz}


def serve(conf, environ, start_response, metrics=True):
    """Answer a probe or (if ``metrics``) ``/metrics``; None if the path
    is none of those."""
    path = environ.get("PATH_INFO", "").rstrip("/") or "/"
    if path not in _PROBES and not (metrics and path == "/metrics"):
        return None
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        start_response("405 Method Not Allowed",
                       _JSON + [("Allow", "GET, HEAD")])
        return [json.dumps({"faultstring": "Method not allowed",
                            "debuginfo": None}).encode()]
    if path == "/metrics":
        content_type, body = exposition()
        start_response("200 OK", [("Content-Type", content_type)])
        return [body]
    status, body = _PROBES[path](conf)
    start_response(status, _JSON)
    return [json.dumps(body).encode()]


class ApiMiddleware:
    """Serves the probes and ``/metrics`` in front of the API, and counts
    every other request by method, route and status."""

    def __init__(self, app, conf):
        self.app = app
        self.conf = conf

    def __call__(self, environ, start_response):
        if self.conf.monitoring.api_endpoints:
            # With metrics_require_auth, /metrics goes on to the API's
            # authentication (api.metrics_auth answers it there).
            answer = serve(self.conf, environ, start_response,
                           not self.conf.monitoring.metrics_require_auth)
            if answer is not None:
                return answer
        started = time.monotonic()
        seen = {}

        def recording_start_response(status, headers, exc_info=None):
            seen["status"] = status.split(" ", 1)[0]
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, recording_start_response)
        finally:
            metrics.api_request(environ.get("REQUEST_METHOD", "GET"),
                                environ.get("PATH_INFO", "/"),
                                seen.get("status", "500"),
                                time.monotonic() - started)


def status_app(conf):
    """The WSGI application of a status endpoint."""

    def app(environ, start_response):
        answer = serve(conf, environ, start_response)
        if answer is not None:
            return answer
        start_response("404 Not Found", _JSON)
        return [json.dumps({"faultstring": "Not found: try /healthz, "
                            "/readyz or /metrics", "debuginfo": None})
                .encode()]
    return app
