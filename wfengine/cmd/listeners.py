"""wfengine-listeners: show listeners and their delivery log.

    wfengine-listeners [--url http://127.0.0.1:8989] list [--workflow W]
    wfengine-listeners [--url ...] show <listener id>
    wfengine-listeners [--url ...] deliveries <listener id> [--limit N]

A client of the REST API (``/v2/listeners``); ``--url`` defaults to
``$WFENGINE_URL`` or http://127.0.0.1:8989.
"""
import argparse
import json
import os
import sys

import requests

DEFAULT_URL = "http://127.0.0.1:8989"
DELIVERY_COLUMNS = ("id", "event", "workflow_execution_id", "state",
                    "attempts", "last_status_code", "last_error",
                    "created_at", "delivered_at")
LISTENER_COLUMNS = ("id", "workflow_name", "events", "url", "enabled")


def _parser():
    parser = argparse.ArgumentParser(prog="wfengine-listeners")
    parser.add_argument("--url", default=os.environ.get("WFENGINE_URL",
                                                        DEFAULT_URL))
    parser.add_argument("--json", action="store_true",
                        help="Print the API's JSON as is.")
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="List listeners.")
    listing.add_argument("--workflow")
    show = sub.add_parser("show", help="Show one listener.")
    show.add_argument("listener_id")
    log = sub.add_parser("deliveries", help="A listener's deliveries, "
                                            "newest first.")
    log.add_argument("listener_id")
    log.add_argument("--limit", type=int, default=50)
    return parser


def _get(base, path, params=None):
    resp = requests.get(base.rstrip("/") + "/v2" + path, params=params,
                        timeout=30)
    body = resp.json()
    if resp.status_code != 200:
        raise SystemExit("wfengine-listeners: %s"
                         % body.get("faultstring", resp.text))
    return body


def _table(rows, columns):
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells])
              for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    return "\n".join(lines)


def _cell(value):
    if value is None:
        return "-"
    return ",".join(value) if isinstance(value, list) else str(value)


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.command == "list":
        params = {"workflow_name": args.workflow} if args.workflow else None
        body = _get(args.url, "/listeners", params)
        rows, columns = body["listeners"], LISTENER_COLUMNS
    elif args.command == "show":
        body = _get(args.url, "/listeners/%s" % args.listener_id)
        rows, columns = [body], tuple(body)
    else:
        body = _get(args.url, "/listeners/%s/deliveries" % args.listener_id,
                    {"limit": args.limit})
        rows, columns = body["deliveries"], DELIVERY_COLUMNS
    print(json.dumps(body, indent=2) if args.json else _table(rows, columns))
    return 0


if __name__ == "__main__":
    sys.exit(main())
