#!/usr/bin/env python3
"""The real ``mistral`` CLI against Mistral and wfengine, compared.

    python tools/cli_compare.py --mistral URL --record
    python tools/cli_compare.py --wfengine URL [--mistral URL]
    python tools/cli_compare.py --auth --keystone URL --mistral URL --record
    python tools/cli_compare.py --auth --keystone URL --wfengine URL

URLs end with ``/v2``. Runs every command of python-mistralclient's v2
shell (the script in ``tests/functional/cli_compare.py``) with
``--os-mistral-url`` in table and ``-f json`` forms, reduces the outputs
(ids, times, column widths out) and prints, per command, how wfengine's
output differs from Mistral's (``--record`` stores Mistral's as
``tests/functional/cli_compare/mistral.golden.json``; without
``--mistral`` the recorded outputs stand for Mistral). Differences listed
in ``cli_compare/known_differences.yaml`` are shown with their reason.
Exit status 1 when a command differs that is not listed there.

With ``--auth`` both servers authenticate with the Keystone at
``--keystone`` (its admin password ``admin-secret-1``, as
``tests/functional/keystone.py`` bootstraps it; the two users and
projects of ``tests/functional/cli_auth.py`` are created there if
missing), and the script is ``cli_auth.SCRIPT``: the CLI's authentication
forms (Keystone options, ``OS_*`` variables, ``--os-auth-token``, a wrong
password, another project's user, a shared workflow), recorded in
``cli_compare/mistral_auth.golden.json`` and listed in
``cli_compare/known_auth_differences.yaml``.
"""
import argparse
import os
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.functional import cli_auth  # noqa: E402
from tests.functional import cli_compare  # noqa: E402


def _outputs(cli, url, ks_url=None):
    workdir = tempfile.mkdtemp(prefix="cli-compare-")
    try:
        if ks_url:
            return cli_auth.Runner(cli, url, ks_url, workdir).run()
        return cli_compare.Runner(cli, url, workdir).run()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mistral")
    parser.add_argument("--wfengine")
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--auth", action="store_true",
                        help="compare the authentication forms")
    parser.add_argument("--keystone", help="Keystone URL (.../v3), --auth")
    parser.add_argument("--cli", default=shutil.which("mistral") or
                        os.path.join(os.path.dirname(sys.executable),
                                     "mistral"),
                        help="the mistral script (python-mistralclient)")
    args = parser.parse_args()
    if args.record and not args.mistral:
        parser.error("--record needs --mistral")
    if args.auth != bool(args.keystone):
        parser.error("--auth and --keystone go together")
    module = cli_auth if args.auth else cli_compare
    if args.auth:
        cli_auth.ensure_members(args.keystone)
    if args.mistral:
        expected = _outputs(args.cli, args.mistral, args.keystone)
        if args.record:
            import json
            with open(module.GOLDEN, "w") as f:
                json.dump(expected, f, indent=1, sort_keys=True)
                f.write("\n")
    else:
        expected = module.load_golden()
    print("%d command outputs" % len(expected))
    if not args.wfengine:
        return 0
    known = module.load_known()
    diff = module.differences(
        expected, _outputs(args.cli, args.wfengine, args.keystone))
    unexpected = 0
    for label, lines in sorted(diff.items()):
        reason = known.get(label)
        unexpected += reason is None
        print("== %s%s" % (label, " (known: %s)" % reason if reason else ""))
        for line in lines:
            print("   " + line)
    print("\nsummary: %d outputs, %d same, %d differ (%d known)" % (
        len(expected), len(expected) - len(diff), len(diff),
        len(diff) - unexpected))
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
