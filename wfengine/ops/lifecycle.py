"""What a wfengine process adds for its operators when it starts.

``prepare`` before the services start (the metrics gauges), then
``started`` once they run: the process reports ready from then on, a
process without the API opens its status endpoint, and any process writes
its status file if one is configured. The function
``started`` returns marks the process unready when it stops.
"""
import os

from prometheus_client import multiprocess

from wfengine.engine import retention
from wfengine.ops import checks
from wfengine.ops import endpoints
from wfengine.ops import status_file
from wfengine.ops import status_server
from wfengine.rpc import server as rpc_server


def prepare(conf):
    endpoints.install(conf)


def started(conf, names):
    """The services ``names`` run; returns the stopper of what this
    started (to be called first when the process stops)."""
    stop_status = (status_server.start(conf) if "api" not in names
                   else (lambda: None))
    stop_retention = _start_retention(conf) if "engine" in names \
        else (lambda: None)
    checks.mark_started(names)
    stop_file = status_file.start(conf)

    def stop():
        checks.mark_stopping()
        stop_file()
        stop_retention()
        stop_status()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # Its live gauges (actions running) leave the sums.
            multiprocess.mark_process_dead(os.getpid())
    return stop


def _start_retention(conf):
    """The retention passes, in an engine process (one engine at a time
    does them: see ``engine.retention``)."""
    passes = retention.Retention(conf, rpc_server.host_name())
    passes.start()
    return passes.stop
