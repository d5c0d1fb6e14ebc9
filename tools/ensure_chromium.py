#!/usr/bin/env python3
"""Make Debian's Chromium available for the browser tests of the console.

Run by tox before the tests (``commands_pre``). When ``/usr/bin/chromium``
is missing and we may install system packages (running as root, or
``CI=true`` with a passwordless sudo), install it with apt-get; otherwise
say what to do and let the browser tests report it (with ``CI=true``
they fail, as every test whose service is missing does).
"""
import os
import shutil
import subprocess
import sys

CHROMIUM = "/usr/bin/chromium"


def _apt(prefix):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for argv in (["apt-get", "update", "-q"],
                 ["apt-get", "install", "-y", "-q", "chromium"]):
        subprocess.run(prefix + argv, check=True, env=env,
                       stdout=subprocess.DEVNULL)


def main():
    if os.path.exists(CHROMIUM):
        return 0
    if os.geteuid() == 0:
        prefix = []
    elif os.environ.get("CI") == "true" and shutil.which("sudo"):
        prefix = ["sudo", "-n"]
    else:
        print("ensure_chromium: %s is missing; install it with "
              "'apt-get install chromium' to run the console's browser "
              "tests" % CHROMIUM, file=sys.stderr)
        return 0
    print("ensure_chromium: installing Debian's chromium", flush=True)
    try:
        _apt(prefix)
    except (OSError, subprocess.CalledProcessError) as e:
        print("ensure_chromium: could not install chromium: %s" % e,
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
