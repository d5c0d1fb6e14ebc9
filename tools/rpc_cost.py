#!/usr/bin/env python3
"""What one oslo.messaging message costs on RabbitMQ, without wfengine.

    python tools/rpc_cost.py [--messages 800] [--url rabbit://...]

An RPC server with an endpoint that does nothing runs in a child
process (threading executor, as wfengine's services); this process
sends it ``--messages`` calls one after another, then as many casts,
each with a message the size of an action's result. Prints, per
message, the wall time of the sender and the CPU time (user + system,
from ``/proc``) of the sender's and of the server's processes: the
floor of what a lone transition pays for its messages (an engine's cast
of the action, the executor's call with the result and its reply). A
benchmark, not a test: say the load average.
"""
import argparse
import multiprocessing
import os
import time
import uuid

import oslo_messaging as messaging
from oslo_config import cfg

TOPIC = "rpc_cost_%s" % uuid.uuid4().hex[:8]


class _Endpoint:
    target = messaging.Target(version="1.0")

    def ping(self, _ctx, msg):
        return True

    def poke(self, _ctx, msg):
        return None


def _transport(url):
    if not getattr(cfg.CONF, "_rpc_cost_parsed", False):
        cfg.CONF([], project="rpc_cost")
        cfg.CONF._rpc_cost_parsed = True
    return messaging.get_rpc_transport(cfg.CONF, url=url)


def _serve(url, ready):
    server = messaging.get_rpc_server(
        _transport(url), messaging.Target(topic=TOPIC, server="one"),
        [_Endpoint()], executor="threading")
    server.start()
    ready.set()
    while True:
        time.sleep(1)


def _cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=800)
    parser.add_argument("--url",
                        default="rabbit://guest:guest@127.0.0.1:5672/")
    args = parser.parse_args()
    ready = multiprocessing.Event()
    child = multiprocessing.Process(target=_serve, args=(args.url, ready),
                                    daemon=True)
    child.start()
    try:
        if not ready.wait(60):
            raise SystemExit("the RPC server did not start")
        client = messaging.get_rpc_client(
            _transport(args.url), messaging.Target(topic=TOPIC,
                                                   version="1.0"),
            timeout=30)
        msg = {"action_ex_id": str(uuid.uuid4()), "state": "SUCCESS",
               "result": {"x": 1}, "state_info": None}
        for _ in range(50):  # connections, queues, caches
            client.call({}, "ping", msg=msg)
        n = args.messages
        print("per message, %d of each, load %.2f" % (n, os.getloadavg()[0]))
        for kind in ("call", "cast"):
            send = (lambda: client.call({}, "ping", msg=msg)) \
                if kind == "call" else \
                (lambda: client.cast({}, "poke", msg=msg))
            server0, sender0 = _cpu(child.pid), _cpu(os.getpid())
            started = time.perf_counter()
            for _ in range(n):
                send()
            took = time.perf_counter() - started
            sender1 = _cpu(os.getpid())
            time.sleep(1.0)  # the server takes the last casts
            server1 = _cpu(child.pid)
            print("  %-5s sender wall %.3f ms, sender CPU %.3f ms, "
                  "server CPU %.3f ms" % (
                      kind, took * 1000 / n, (sender1 - sender0) * 1000 / n,
                      (server1 - server0) * 1000 / n))
    finally:
        child.terminate()


if __name__ == "__main__":
    main()
