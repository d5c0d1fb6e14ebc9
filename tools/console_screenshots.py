#!/usr/bin/env python3
"""Take the console's screenshots for ``doc/source/console.rst``.

    python tools/console_screenshots.py

Runs the console's browser tests (tests/functional/test_console.py: a
headless Chromium against a freshly started embedded server) with
``WFENGINE_CONSOLE_SCREENSHOTS`` pointing at ``doc/source/images``, so
the pictures in the docs are those of the pages the tests checked.
"""
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
IMAGES = ROOT / "doc" / "source" / "images"


def main():
    IMAGES.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, WFENGINE_CONSOLE_SCREENSHOTS=str(IMAGES))
    return subprocess.call(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/functional/test_console.py"], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
