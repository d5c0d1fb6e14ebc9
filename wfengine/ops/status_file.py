"""The status file: the status endpoint's answer, written to a file.

Where an orchestrator would rather not open a port per process (or
cannot reach one), ``[monitoring] status_file`` names a file the process
rewrites every ``status_file_interval`` seconds with what ``/readyz``
would answer, as JSON: ``status`` (``ready``, ``unready``, ``stopping``),
``reasons``, ``services``, ``pid``, ``written_at`` (UTC, ISO 8601) and
``interval``. Each write is atomic (a temporary file in the same
directory, flushed, then renamed over the old one), so a reader never
sees half a file. The file's modification time is the liveness signal:
a process that stops writing is stuck or gone. On a clean stop the last
write says ``stopping``; the file is left for the orchestrator to read.
"""
import datetime
import json
import logging
import os
import tempfile

from wfengine.ops import checks
from wfengine.ops import endpoints
from wfengine.ops import first_contact
from wfengine import periodic

LOG = logging.getLogger(__name__)


def status(conf, stopping=False):
    """The document written: ``/readyz``'s body and a few facts more."""
    if stopping:
        body = {"status": "stopping", "reasons": ["stopping"],
                "services": list(checks.services())}
    else:
        _code, body = endpoints.readyz(conf)
        body.setdefault("reasons", [])
    body.update(
        pid=os.getpid(),
        written_at=datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
        interval=conf.monitoring.status_file_interval)
    return body


def write(path, document):
    """Replace ``path`` with ``document`` as JSON, atomically."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(
        dir=directory, prefix=".%s." % os.path.basename(path))
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(document, f, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def start(conf):
    """Start writing the status file if ``[monitoring] status_file`` is
    set; returns the stopper (a no-op when there is none)."""
    path = conf.monitoring.status_file
    if not path:
        return lambda: None
    try:
        write(path, status(conf))   # at once: a bad path fails the start
    except OSError as e:
        raise first_contact.StartupError(
            "cannot write the status file %s: %s ([monitoring] "
            "status_file)" % (path, e.strerror or e)) from None
    writer = periodic.Periodic("wfengine-status-file",
                               conf.monitoring.status_file_interval,
                               lambda: write(path, status(conf)))
    writer.start()
    LOG.info("Status file %s, rewritten every %ss", path,
             conf.monitoring.status_file_interval)

    def stop():
        writer.stop()
        try:
            write(path, status(conf, stopping=True))
        except OSError as e:
            LOG.warning("Status file %s not written at stop: %s", path, e)
    return stop
