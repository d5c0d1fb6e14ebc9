#!/usr/bin/env python3
"""What a client sees when no engine answers: Mistral, recorded.

    python tools/engineless_compare.py --mistral URL --run-dir DIR --record
    python tools/engineless_compare.py --mistral URL --run-dir DIR
    python tools/engineless_compare.py            (prints the recording)

Runs the scenario of ``tests/functional/engineless_compare.py`` (engine
lost by SIGTERM, then by SIGSTOP) against a Mistral multi peer
(``shared/peers/mistral/start.sh multi``: api, engine, executor,
notifier over RabbitMQ and PostgreSQL). ``--run-dir`` is the directory
start.sh ran it from (``$MISTRAL_PEER_DIR/multi-postgresql``): its
``processes.txt`` names the engine's cotyledon master and worker. Lost
by SIGTERM, the engine is started again with the command line of the one
stopped and this tool's environment (its PIDs are added to the peer's
pid file, so ``stop.sh`` stops it); frozen, it is thawed with SIGCONT.
Run the tool with the ``OS_DEFAULT__*`` variables start.sh ran with, if
any (oslo.config reads them over the config file), e.g.
``OS_DEFAULT__TRANSPORT_URL`` for a RabbitMQ vhost of one's own (start.sh
always uses ``/``, where another peer's engine would answer; ``rabbitmqctl
add_vhost`` and ``set_permissions`` for guest make one) or
``OS_DEFAULT__RPC_RESPONSE_TIMEOUT``. The engine is back once its topic
queue has a consumer again (read with kombu on that transport URL).

``--record`` writes Mistral's observations to
``tests/functional/engineless_compare/mistral.json`` (with the date, the
peer's version and the RPC timeout its API ran with), which
``test_engineless_compare.py`` holds wfengine's multi shape to. Without
``--record`` the observations and their reduction are printed.
"""
import argparse
import configparser
import datetime
import json
import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.functional import engineless_compare  # noqa: E402

TOPIC = "mistral_engine"
# A cotyledon master of mistral-server 23.0.0 often ignores SIGTERM.
TERM_GRACE = 15


def _argv(pid):
    """The command line of a mistral-server process. cotyledon rewrites
    the title (``mistral-server: master process [argv ...]``), and with
    it the environment's memory, so only the command line is read."""
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        args = [a.decode() for a in f.read().split(b"\0") if a]
    title = " ".join(args)
    if "[" in title:
        return title[title.index("[") + 1:title.rindex("]")].split()
    return args


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


class MistralEngine(engineless_compare.Engine):
    """The engine of a Mistral multi peer that start.sh started."""

    def __init__(self, run_dir, pids_file):
        self.run_dir = run_dir
        self.pids_file = pids_file
        self.master, self.worker = self._find()
        self.argv = _argv(self.master)
        # start.sh's processes got the caller's environment, and this
        # tool's caller gives the same (OS_DEFAULT__* overrides).
        self.env = dict(os.environ)
        self.transport_url = self.env.get("OS_DEFAULT__TRANSPORT_URL") or \
            self._conf_transport()

    def _find(self):
        names = {}
        with open(os.path.join(self.run_dir, "processes.txt")) as f:
            for line in f:
                name, pid = line.split()
                names[name] = int(pid)
        # The latest engine this tool started, if any, else start.sh's.
        masters = [n for n in names if n.startswith("engine-master")]
        self.restarts = len(masters) - 1
        master = names[max(masters, key=lambda n: int(
            n.rsplit("-", 1)[1]) if n[-1].isdigit() else 0)]
        worker = names.get("worker-of-%d" % master)
        if not (_alive(master) and worker and _alive(worker)):
            sys.exit("the engine (master %s, worker %s) is not running"
                     % (master, worker))
        return master, worker

    def _conf_transport(self):
        conf = configparser.ConfigParser(interpolation=None)
        conf.read(os.path.join(self.run_dir, "mistral.conf"))
        return conf["DEFAULT"]["transport_url"]

    def consumers(self):
        import kombu

        url = self.transport_url.replace("rabbit://", "amqp://", 1)
        with kombu.Connection(url, connect_timeout=5) as conn:
            channel = conn.channel()
            try:
                return channel.queue_declare(TOPIC, passive=True)[2]
            finally:
                channel.close()

    def _wait_consumers(self, count, timeout=90):
        deadline = time.monotonic() + timeout
        while self.consumers() != count:
            if time.monotonic() > deadline:
                raise AssertionError("queue %s: %d consumers, not %d" % (
                    TOPIC, self.consumers(), count))
            time.sleep(0.2)

    def stop(self, mode):
        pids = (self.master, self.worker)
        if mode == "frozen":
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
            return
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + TERM_GRACE
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        self._wait_consumers(0, 30)

    def resume(self, mode):
        if mode == "frozen":
            for pid in (self.master, self.worker):
                os.kill(pid, signal.SIGCONT)
            self._wait_consumers(1)
            return
        self.restarts += 1
        argv = list(self.argv)
        if "--log-file" in argv:
            argv[argv.index("--log-file") + 1] = os.path.join(
                self.run_dir, "engine-%d.log" % self.restarts)
        out = open(os.path.join(self.run_dir, "engine-%d.out"
                                % self.restarts), "ab")
        proc = subprocess.Popen(argv, env=self.env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.master = proc.pid
        self._wait_consumers(1)
        children = subprocess.run(["ps", "-o", "pid=", "--ppid",
                                   str(self.master)], capture_output=True,
                                  text=True).stdout.split()
        self.worker = int(children[0])
        with open(self.pids_file, "a") as f:
            f.write("%d\n%d\n" % (self.master, self.worker))
        with open(os.path.join(self.run_dir, "processes.txt"), "a") as f:
            f.write("engine-master-%d %d\nworker-of-%d %d\n" % (
                self.restarts, self.master, self.master, self.worker))

    def version(self):
        """The version of the mistral package the engine runs."""
        python = os.path.join(os.path.dirname(self.argv[0]), "python")
        return subprocess.run(
            [python, "-c", "import importlib.metadata as m;"
             "print(m.version('mistral'))"], capture_output=True,
            text=True).stdout.strip() or "?"

    def rpc_response_timeout(self):
        value = self.env.get("OS_DEFAULT__RPC_RESPONSE_TIMEOUT")
        if value:
            return int(value)
        conf = configparser.ConfigParser(interpolation=None)
        conf.read(os.path.join(self.run_dir, "mistral.conf"))
        return int(conf["DEFAULT"].get("rpc_response_timeout", 60))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mistral", help="Mistral's /v2 URL")
    parser.add_argument("--run-dir", help="start.sh's run directory")
    parser.add_argument("--pids-file", help="start.sh's pid file (default:"
                        " mistral.pids beside --run-dir)")
    parser.add_argument("--modes", default=",".join(engineless_compare.MODES))
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--output", default=engineless_compare.RECORDING,
                        help="where --record writes (default: %(default)s)")
    args = parser.parse_args()
    if not args.mistral:
        recording = engineless_compare.load_recording()
        for obs in recording["observations"]:
            print(json.dumps(engineless_compare.reduce(obs), indent=1))
        return 0
    if not args.run_dir:
        parser.error("--mistral needs --run-dir")
    pids_file = args.pids_file or os.path.join(
        os.path.dirname(os.path.abspath(args.run_dir)), "mistral.pids")
    engine = MistralEngine(args.run_dir, pids_file)
    version = engine.version()
    observations = []
    for mode in args.modes.split(","):
        print("== %s" % mode, flush=True)
        obs = engineless_compare.run(args.mistral, engine, mode)
        print(json.dumps(obs, indent=1, sort_keys=True), flush=True)
        print(json.dumps(engineless_compare.reduce(obs), indent=1,
                         sort_keys=True), flush=True)
        observations.append(obs)
    if args.record:
        recording = {
            "server": "Mistral %s multi (api, engine, executor, notifier;"
                      " RabbitMQ, PostgreSQL)" % version,
            "recorded": datetime.date.today().isoformat(),
            "rpc_response_timeout": engine.rpc_response_timeout(),
            "observations": observations}
        os.makedirs(os.path.dirname(os.path.abspath(args.output)),
                    exist_ok=True)
        with open(args.output, "w") as f:
            json.dump(recording, f, indent=1, sort_keys=True)
            f.write("\n")
        print("recorded %s" % args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
