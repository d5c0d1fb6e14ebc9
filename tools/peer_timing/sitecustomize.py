"""Time OpenStack Mistral's API requests the way wfengine times its own.

``tools/sidebyside.py`` puts this directory on ``PYTHONPATH`` when it
starts the Mistral peer, so Python imports this module at start-up in
each of Mistral's processes. It changes nothing of Mistral: it wraps the
WSGI application that Mistral hands to its HTTP server (cheroot) in
wfengine's ``ServerTiming`` middleware, loaded from
``wfengine/api/timing.py`` by path (that file imports nothing else), so
every response carries ``Server-Timing: app;dur=<ms>`` measured by the
same code on both sides.
"""
import importlib.util
import pathlib

_TIMING = (pathlib.Path(__file__).resolve().parents[2] / "wfengine" / "api"
           / "timing.py")


def _load_timing():
    spec = importlib.util.spec_from_file_location("_peer_timing", _TIMING)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wrap_cheroot():
    try:
        from cheroot import wsgi
    except ImportError:  # a process of the peer without an HTTP server
        return
    timing = _load_timing()
    serve = wsgi.Server.__init__

    def init(self, bind_addr, wsgi_app, *args, **kwargs):
        serve(self, bind_addr, timing.ServerTiming(wsgi_app), *args,
              **kwargs)

    wsgi.Server.__init__ = init


_wrap_cheroot()
