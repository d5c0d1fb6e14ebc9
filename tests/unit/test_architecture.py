"""The architecture's import rules (setup.cfg [importlinter]) hold."""
import configparser
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


def test_every_module_of_the_tree_is_in_a_layer():
    # A module the layers contract does not name is checked by none of
    # its rules: each new one must be placed.
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    layered = {name.strip() for line in config[
        "importlinter:contract:layers"]["layers"].split("\n")
        for name in line.split("|") if name.strip()}
    tree = {"wfengine." + (p.stem if p.suffix == ".py" else p.name)
            for p in (ROOT / "wfengine").iterdir()
            if (p.suffix == ".py" and p.stem != "__init__")
            or (p / "__init__.py").exists()}
    assert tree - layered == set()
    assert layered - tree == set()


def test_a_server_process_runs_without_eventlet():
    # Every service module, imported as wfengine-server imports them, in a
    # fresh interpreter (this one may have eventlet from elsewhere).
    code = ("import sys; import wfengine.cmd.launch, wfengine.cmd.services; "
            "sys.exit(0 if sys.modules.get('eventlet') is None else 1)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, "eventlet was imported: %s" % proc.stderr
