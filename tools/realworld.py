#!/usr/bin/env python3
"""Public Mistral workbooks: the same validation verdict on both servers.

    python tools/realworld.py --mistral URL --record
    python tools/realworld.py --wfengine URL [--mistral URL]

URLs end with ``/v2``. Sends every file of
``tests/functional/conformance/realworld/`` to the validate endpoint that
fits its shape; ``--record`` stores Mistral's verdicts as
``realworld/validation.golden.json``; without ``--mistral`` the recorded
verdicts stand for Mistral. Prints the files whose verdicts differ; exit
status 1 if any does.
"""
import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.functional import differential  # noqa: E402
from tests.functional import realworld  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mistral")
    parser.add_argument("--wfengine")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    if args.record and not args.mistral:
        parser.error("--record needs --mistral")
    if args.mistral:
        expected = realworld.verdicts(differential.Server(args.mistral))
        if args.record:
            realworld.write_golden(expected)
    else:
        expected = realworld.load_golden()
    valid = sum(1 for v in expected.values() if v["valid"])
    print("%d files, %d valid on Mistral" % (len(expected), valid))
    if not args.wfengine:
        return 0
    actual = realworld.verdicts(differential.Server(args.wfengine))
    diff = realworld.differences(expected, actual)
    print("\n".join(diff) or "same verdicts")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
