"""Alembic, driven from code: the migrations live in ``migrations/``.

Alembic (with what it loads: about 5 MiB) is imported by the functions
that run it. A server process never does: it reads the revision the
database is at without Alembic (:func:`database_heads`), compares it with
:data:`HEAD`, and when it must upgrade the database on start (the
embedded default, ``[database] auto_upgrade``), runs the upgrade in a
child process (:func:`upgrade_apart`).
"""
import logging
import os
import subprocess
import sys

import sqlalchemy as sa

LOG = logging.getLogger(__name__)

# The head revision of the migrations in migrations/versions, which a new
# migration moves on (tests/db/test_migrations.py checks it against
# Alembic's own reading of them).
HEAD = "0014"

_HERE = os.path.dirname(os.path.abspath(__file__))
_CANDIDATES = (
    # A source checkout or an editable install.
    os.path.join(_HERE, os.pardir, os.pardir, "migrations"),
    # An installed package ships them as data files.
    os.path.join(sys.prefix, "share", "wfengine", "migrations"),
)
# The child process of upgrade_apart reads the URL here, not from its
# command line, which any user of the machine can read.
_URL_VARIABLE = "WFENGINE_MIGRATE_URL"


def script_location():
    for path in _CANDIDATES:
        if os.path.isfile(os.path.join(path, "env.py")):
            return os.path.normpath(path)
    raise RuntimeError("Alembic migrations not found in %s"
                       % ", ".join(_CANDIDATES))


def alembic_cfg(url):
    from alembic import config as alembic_config
    cfg = alembic_config.Config()
    cfg.set_main_option("script_location", script_location())
    cfg.attributes["connection_url"] = url
    return cfg


def upgrade(url, revision="heads"):
    from alembic import command
    command.upgrade(alembic_cfg(url), revision)


def downgrade(url, revision):
    from alembic import command
    command.downgrade(alembic_cfg(url), revision)


def current(url):
    from alembic import command
    command.current(alembic_cfg(url), verbose=True)


def revision(url, message, autogenerate=True):
    from alembic import command
    command.revision(alembic_cfg(url), message=message,
                     autogenerate=autogenerate)


def database_heads(connection):
    """The revisions the database of ``connection`` is at, as Alembic
    records them (its ``alembic_version`` table): a set, empty for a
    database never migrated."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return set()
    return {row[0] for row in connection.execute(
        sa.text("SELECT version_num FROM alembic_version"))}


def upgrade_apart(url):
    """Upgrade the database at ``url`` to :data:`HEAD` in a child process
    (nothing to do if it is there), so that the calling server never
    holds Alembic. What the child says is logged here as warnings.

    :raises RuntimeError: the upgrade failed (with the child's last
        line; the others are logged as errors).
    """
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if database_heads(conn) == {HEAD}:
                return
    finally:
        engine.dispose()
    proc = subprocess.run(
        [sys.executable, "-m", __name__], capture_output=True, text=True,
        env=dict(os.environ, **{_URL_VARIABLE: url}), check=False)
    lines = proc.stderr.strip().splitlines()
    if proc.returncode != 0:
        for line in lines:
            LOG.error("Database upgrade: %s", line)
        raise RuntimeError("The database upgrade failed (exit code %d): %s"
                           % (proc.returncode,
                              lines[-1] if lines else "it said nothing"))
    for line in lines:
        LOG.warning("Database upgrade: %s", line)
    LOG.info("Database upgraded to revision %s", HEAD)


if __name__ == "__main__":
    # Alembic's steps are not logged (as [DEFAULT] default_log_levels
    # has it for the server), its warnings and errors are.
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    upgrade(os.environ[_URL_VARIABLE])
