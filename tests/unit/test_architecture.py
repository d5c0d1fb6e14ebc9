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


# The modules of wfengine outside wfengine.core that the core may import:
# leaves that import nothing of ours. Every other one is forbidden to it.
CORE_MAY_IMPORT = {"wfengine.exceptions", "wfengine.state_names",
                   "wfengine.metrics"}


def _contract(name):
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return config["importlinter:contract:" + name]


def _names(value):
    return {name.strip() for line in value.split("\n")
            for name in line.split("|") if name.strip()}


def _children(package):
    # The modules and packages directly inside a package, dotted.
    path = ROOT.joinpath(*package.split("."))
    return {package + "." + (p.stem if p.suffix == ".py" else p.name)
            for p in path.iterdir()
            if (p.suffix == ".py" and p.stem != "__init__")
            or (p / "__init__.py").exists()}


def test_every_module_of_the_tree_is_in_a_layer():
    # A module the layers contract does not name is checked by none of
    # its rules: each new one must be placed.
    layered = _names(_contract("layers")["layers"])
    tree = _children("wfengine")
    assert tree - layered == set()
    assert layered - tree == set()


def test_every_module_of_the_core_is_in_a_layer_of_the_core():
    contract = _contract("core-layers")
    assert contract["containers"].split() == ["wfengine.core"]
    layered = {"wfengine.core." + name
               for name in _names(contract["layers"])}
    tree = _children("wfengine.core")
    assert tree - layered == set()
    assert layered - tree == set()


def test_the_core_is_forbidden_every_module_but_the_leaves_it_names():
    # The pure-core contract's source is the package, and what it forbids
    # is the rest of wfengine but CORE_MAY_IMPORT: a new top-level module
    # is allowed to the core only by being added to that set here.
    contract = _contract("pure-core")
    assert contract["source_modules"].split() == ["wfengine.core"]
    forbidden = {name for name in contract["forbidden_modules"].split()
                 if name.startswith("wfengine.")}
    others = _children("wfengine") - {"wfengine.core"}
    assert others - forbidden - CORE_MAY_IMPORT == set()
    assert forbidden & CORE_MAY_IMPORT == set()
    assert forbidden - others == set()
    assert CORE_MAY_IMPORT - others == set()


def test_a_server_process_runs_without_eventlet():
    # Every service module, imported as wfengine-server imports them, in a
    # fresh interpreter (this one may have eventlet from elsewhere).
    code = ("import sys; import wfengine.cmd.launch, wfengine.cmd.services; "
            "sys.exit(0 if sys.modules.get('eventlet') is None else 1)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, "eventlet was imported: %s" % proc.stderr


def test_the_default_server_loads_no_library_it_does_not_use():
    # PyJWT with cryptography (about 9 MiB of every process) and
    # keystonemiddleware are loaded by the jwt and keystone modes only;
    # Pygments (4.6 MiB, for Mako's error pages) never; Alembic (5 MiB)
    # in a child process only (wfengine.db.migration.upgrade_apart);
    # requests (with charset_normalizer, for std.http and oslo.policy's
    # http checks) and smtplib (std.email) when first used.
    code = ("import sys; import wfengine.cmd.launch, wfengine.cmd.services; "
            "from wfengine.api import app, policy; import mako.exceptions; "
            "from wfengine.actions import loader; "
            "policy.get_enforcer(); loader.preload(import_classes=True); "
            "print(' '.join(m for m in ('jwt', 'cryptography', "
            "'keystonemiddleware', 'pygments', 'alembic', 'requests', "
            "'charset_normalizer', 'smtplib') "
            "if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == []
