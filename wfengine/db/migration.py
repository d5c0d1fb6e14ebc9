"""Alembic, driven from code: the migrations live in ``migrations/``."""
import os
import sys

from alembic import command
from alembic import config as alembic_config

_HERE = os.path.dirname(os.path.abspath(__file__))
_CANDIDATES = (
    # A source checkout or an editable install.
    os.path.join(_HERE, os.pardir, os.pardir, "migrations"),
    # An installed package ships them as data files.
    os.path.join(sys.prefix, "share", "wfengine", "migrations"),
)


def script_location():
    for path in _CANDIDATES:
        if os.path.isfile(os.path.join(path, "env.py")):
            return os.path.normpath(path)
    raise RuntimeError("Alembic migrations not found in %s"
                       % ", ".join(_CANDIDATES))


def alembic_cfg(url):
    cfg = alembic_config.Config()
    cfg.set_main_option("script_location", script_location())
    cfg.attributes["connection_url"] = url
    return cfg


def upgrade(url, revision="heads"):
    command.upgrade(alembic_cfg(url), revision)


def downgrade(url, revision):
    command.downgrade(alembic_cfg(url), revision)


def current(url):
    command.current(alembic_cfg(url), verbose=True)


def revision(url, message, autogenerate=True):
    command.revision(alembic_cfg(url), message=message,
                     autogenerate=autogenerate)
