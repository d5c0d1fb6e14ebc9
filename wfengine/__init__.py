"""wfengine: a workflow engine speaking OpenStack Mistral's v2 API."""
import importlib
import sys

from oslo_service import backend as _oslo_service_backend

# oslo.messaging imports oslo.service, whose default backend is eventlet.
# wfengine runs on plain threads: choose that before anything imports
# oslo.messaging, so eventlet is neither imported nor half-patched.
_oslo_service_backend.register_backend_default_hook(
    lambda: _oslo_service_backend.BackendType.THREADING)

# futurist (under oslo.messaging and oslo.service) still imports eventlet
# whenever it is installed, only to offer green executors that wfengine
# never uses; with dnspython that is 18 MiB in every process. A None in
# sys.modules makes that import fail as if eventlet were not installed
# (futurist then leaves green executors out). A process that did import
# eventlet before us keeps it.
sys.modules.setdefault("eventlet", None)


def _mako_without_pygments():
    """Let Mako (under Pecan and Alembic) leave Pygments out.

    Mako loads Pygments whenever it is installed (the CLI's cmd2 brings
    it), only to colour the source in its own error pages, which wfengine
    never renders: 4.6 MiB in every process. Mako's error module is
    imported first, while a None in sys.modules hides Pygments, so it
    takes its plain fallback; Pygments is visible again afterwards, for
    whoever else wants it (rich, under the CLI).
    """
    if "mako.exceptions" in sys.modules:
        return
    hidden = sys.modules.get("pygments", _ABSENT)
    sys.modules["pygments"] = None
    try:
        importlib.import_module("mako.exceptions")
    except ImportError:
        pass
    finally:
        if hidden is _ABSENT:
            del sys.modules["pygments"]
        else:
            sys.modules["pygments"] = hidden


_ABSENT = object()
_mako_without_pygments()
