"""The architecture's import rules (setup.cfg [importlinter]) hold."""
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept():
    lint = pathlib.Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint)], cwd=ROOT, capture_output=True,
                          text=True, env=dict(os.environ, NO_COLOR="1"))
    assert proc.returncode == 0, proc.stdout[-3000:]
