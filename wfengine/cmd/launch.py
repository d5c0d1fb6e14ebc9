"""wfengine-server: run the api, engine, executor and notifier services.

    wfengine-server [--config-file F] [--server all|api,engine,executor,...]

With no ``transport_url`` and every service in this process (the embedded
default) messages stay in memory; a SQLite database is created and
migrated on first start.
"""
import ctypes
import faulthandler
import gc
import logging
import os
import signal
import sys
import threading

from oslo_config import cfg

from wfengine.api import auth
from wfengine import conf as wf_conf
from wfengine import logs
from wfengine.cmd import services
from wfengine.ops import first_contact

LOG = logging.getLogger(__name__)

SERVER_OPTS = [
    cfg.ListOpt("server", default=["all"],
                help="Services to run in this process: all, or a comma "
                     "list of %s." % ", ".join(services.ALL)),
]


def parse_args(argv):
    conf = wf_conf.CONF
    conf.register_cli_opts(SERVER_OPTS)
    conf(argv, project="wfengine", prog="wfengine-server")
    names = services.expand(conf.server)
    return conf, names


# glibc's mallopt parameter for the number of malloc arenas.
_M_ARENA_MAX = -8


def _fewer_malloc_arenas(arenas=2):
    """Let the process's threads share a few malloc arenas.

    glibc gives threads up to eight arenas per core; with the API's,
    executor's and bus's threads that fragments memory (about a tenth of
    the embedded server's peak). Like MALLOC_ARENA_MAX=2, set before the
    threads start. Not glibc: nothing to do.
    """
    mallopt = _glibc("mallopt")
    if mallopt is not None:
        mallopt(_M_ARENA_MAX, arenas)


def _glibc(name):
    """The C library's function ``name``; None where it is not glibc."""
    try:
        return getattr(ctypes.CDLL("libc.so.6"), name)
    except (OSError, AttributeError):
        return None


# How often the main thread, which only waits for a signal to stop, hands
# the free pages inside the malloc heap back to the system.
TRIM_INTERVAL = 5.0


def _heap_trimmer():
    """glibc's ``malloc_trim`` (None elsewhere).

    Python frees its larger objects (a result, a context, a response body)
    to malloc, which keeps the pages; between the blocks still in use they
    stay resident until the heap's top is free, which a busy heap seldom
    is. Trimming every few seconds (a few milliseconds on a heap of a
    hundred MiB) lets a burst's leftovers stay resident a few seconds at
    most: about 6 MiB of the embedded server's RSS after wfbench's
    workloads.
    """
    trim = _glibc("malloc_trim")
    if trim is not None:
        trim.argtypes = [ctypes.c_size_t]
    return trim


def _refuse_to_start(conf, error):
    """One line on stderr (and in the log file, if there is one)."""
    LOG.error("%s", error)
    if logs.log_path(conf, "wfengine-server") or conf.log_config_append:
        sys.stderr.write("wfengine-server: %s\n" % error)


def main(argv=None):
    _fewer_malloc_arenas()
    try:
        conf, names = parse_args(sys.argv[1:] if argv is None else argv)
    except (cfg.Error, ValueError) as e:
        sys.stderr.write("wfengine-server: %s\n" % e)
        return 2
    if "api" in names:
        try:  # before any service starts
            auth.check_bind_address(conf)
        except auth.ConfigError as e:
            sys.stderr.write("wfengine-server: %s\n" % e)
            return 2
    try:
        logs.setup(conf, "wfengine-server")
    except ValueError as e:
        sys.stderr.write("wfengine-server: %s\n" % e)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    # SIGUSR2 writes every thread's stack to stderr and the process goes
    # on: what a process that does not stop, or stalls, is waiting for.
    faulthandler.register(signal.SIGUSR2, all_threads=True)
    try:
        first_contact.check(conf, names)
        running = services.start(conf, names)
    except (ValueError, first_contact.StartupError) as e:
        _refuse_to_start(conf, e)
        # A service started before the failure may hold threads that
        # would keep the process alive: leave at once.
        logging.shutdown()
        os._exit(2)
    # What start-up made (modules, classes, caches: ~130,000 objects) lives
    # as long as the process; left in the collector's generations, every
    # full collection walks it again and holds all threads for ~70 ms on
    # this kind of machine. Frozen (after one collection, so that no
    # start-up garbage is kept), collections look at new objects only.
    gc.collect()
    gc.freeze()
    LOG.info("wfengine running: %s", ", ".join(names))
    trim = _heap_trimmer()
    while not stop.wait(TRIM_INTERVAL if trim else None):
        trim(0)
    LOG.info("Stopping")
    if not services.stop(running):
        # The work is handed over; threads of the messaging layer still
        # wait for the broker and would keep the process alive.
        logging.shutdown()
        os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
