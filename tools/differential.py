#!/usr/bin/env python3
"""Differential conformance: the same cases on Mistral and on wfengine.

    python tools/differential.py --mistral URL --wfengine URL [CASE ...]
    python tools/differential.py --mistral URL --record [CASE ...]
    python tools/differential.py --wfengine URL [CASE ...]

URLs end with ``/v2`` (e.g. ``http://127.0.0.1:18989/v2``). CASE is an
fnmatch pattern of case ids (``join*``, ``divergences.*``); default all.
Each case (``tests/functional/conformance/**/*.yaml``, format in
``tests/functional/differential.py``) runs on each server given; the
outcomes (execution state, output, state_info presence, tasks with their
states, published values, results and action executions, sub-workflow
states, the answers to interactive requests and the status and error shape
of refused ones) are normalised (ids, times, the stub server's URL) and
compared. Without ``--mistral`` the recorded golden outcome stands for
Mistral. ``--record`` writes Mistral's outcome as the case's golden file.

Mistral: ``../shared/peers/mistral/start.sh all-in-one`` (its
``[action_std_http] denied_cidrs`` lets std.http reach 127.0.0.1).
wfengine: e.g. ``wfengine-server --server all`` with loopback allowed for
std.http. Prints one block per differing case and a summary; exit status 1
when a case differs that is not listed in known_differences.yaml.
"""
import argparse
import concurrent.futures
import json
import os
import sys
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.functional import differential  # noqa: E402
from tests.functional import harness  # noqa: E402


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cases", nargs="*", help="case id patterns")
    parser.add_argument("--mistral", help="Mistral's /v2 URL")
    parser.add_argument("--wfengine", help="wfengine's /v2 URL")
    parser.add_argument("--record", action="store_true",
                        help="write Mistral's outcomes as golden files")
    parser.add_argument("--jobs", type=int, default=None,
                        help="cases run at the same time (default 1 with "
                             "--mistral, 4 otherwise)")
    parser.add_argument("--json", help="write all outcomes to this file")
    args = parser.parse_args()
    if args.record and not args.mistral:
        parser.error("--record needs --mistral")
    if not (args.mistral or args.wfengine):
        parser.error("give --mistral, --wfengine or both")
    if args.jobs is None:
        # Mistral 23.0.0 parses definitions with a lexer that is not
        # thread-safe: uploads made at the same time fail at random
        # ("Lexical error: illegal character"), so record one at a time.
        args.jobs = 1 if args.mistral else 4
    return args


def _run(url, stub_url, case):
    try:
        return differential.run_case(
            differential.Server(url, stub_url), case)
    except Exception:  # a broken case is reported, the others carry on
        return {"harness_error": traceback.format_exc(limit=3)}


def _one(args, stub_url, case):
    result = {"id": case["id"]}
    if args.mistral:
        result["mistral"] = _run(args.mistral, stub_url, case)
        if args.record and "harness_error" not in result["mistral"]:
            differential.write_golden(case, result["mistral"])
    else:
        result["mistral"] = differential.load_golden(case)
    if args.wfengine and result["mistral"] is not None:
        result["wfengine"] = _run(args.wfengine, stub_url, case)
        result["diff"] = differential.differences(
            case, result["mistral"], result["wfengine"])
    return result


def _report(results, known):
    counts = {"cases": len(results), "match": 0, "differ": 0,
              "known": 0, "deliberate": 0, "no golden": 0, "errors": 0}
    unexpected = 0
    for res in results:
        if res["mistral"] is None:
            counts["no golden"] += 1
            continue
        if any("harness_error" in (res.get(k) or {})
               for k in ("mistral", "wfengine")):
            counts["errors"] += 1
            print("== %s: harness error\n%s" % (res["id"], json.dumps(
                res, indent=1)[:3000]))
            continue
        if "diff" not in res:
            continue
        if not res["diff"]:
            counts["match"] += 1
            if res["id"] in known:
                print("== %s: matches now; drop it from "
                      "known_differences.yaml" % res["id"])
            continue
        counts["differ"] += 1
        listed = known.get(res["id"])
        if listed:
            counts[listed.get("kind", "known")] += 1
        else:
            unexpected += 1
        print("== %s%s" % (res["id"], " (%s: %s)" % (
            listed.get("kind", "known"), listed["reason"]) if listed else ""))
        for line in res["diff"]:
            print("   " + line)
    print("\nsummary: " + ", ".join("%s %d" % kv for kv in counts.items()))
    return unexpected


def main():
    args = _parse()
    cases = differential.load_cases(args.cases or None)
    known = differential.load_known()
    with harness.StubHttpServer(routes=differential.STUB_ROUTES,
                                default=differential.stub_default) as stub:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(lambda c: _one(args, stub.url, c),
                                    cases))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
    if args.record:
        print("recorded %d golden outcomes" % sum(
            1 for r in results if "harness_error" not in r["mistral"]))
    return 1 if _report(results, known) else 0


if __name__ == "__main__":
    sys.exit(main())
