"""wfengine-db-manage: migrate the database of ``[database] connection``.

    wfengine-db-manage [--config-file F] upgrade [head]
    wfengine-db-manage [--config-file F] downgrade <revision>
    wfengine-db-manage [--config-file F] current
    wfengine-db-manage [--config-file F] revision -m "message"
    wfengine-db-manage [--config-file F] purge [--dry-run] [--older-than M]
        [--max-finished-executions N] [--batch-size N]
        [--events-older-than H] [--deliveries-older-than H]
        [--outbox-orphans-older-than H] [--heartbeats-older-than H]
"""
import logging
import sys

from oslo_config import cfg

from wfengine.cmd import purge
from wfengine import conf as wf_conf
from wfengine.db import migration
from wfengine.db import session as db_session
from wfengine.ops import first_contact


def _add_commands(subparsers):
    up = subparsers.add_parser("upgrade", help="Migrate up to a revision.")
    up.add_argument("revision", nargs="?", default="heads")
    down = subparsers.add_parser("downgrade",
                                 help="Migrate down to a revision.")
    down.add_argument("revision")
    subparsers.add_parser("current", help="Show the current revision.")
    rev = subparsers.add_parser("revision",
                                help="Generate a new migration from models.")
    rev.add_argument("-m", "--message", required=True)
    purge.add_parser(subparsers)


COMMAND_OPT = cfg.SubCommandOpt("command", handler=_add_commands)


def _print_steps():
    """Print each migration as Alembic applies it (``Running upgrade
    0010 -> 0011, ...``), as ``mistral-db-manage`` does: an operator sees
    what an upgrade changed, and a silent one changed nothing."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(lambda record: record.getMessage().startswith(
        "Running "))
    log = logging.getLogger("alembic.runtime.migration")
    log.addHandler(handler)
    log.setLevel(logging.INFO)


def main(argv=None):
    conf = wf_conf.CONF
    conf.register_cli_opt(COMMAND_OPT)
    conf(sys.argv[1:] if argv is None else argv, project="wfengine",
         prog="wfengine-db-manage")
    url = conf.database.connection
    name = conf.command.name
    try:
        first_contact.check_database(url, expect_schema=name == "purge")
    except first_contact.StartupError as e:
        sys.stderr.write("wfengine-db-manage: %s\n" % e)
        return 2
    if name in ("upgrade", "downgrade"):
        _print_steps()
    if name == "upgrade":
        migration.upgrade(url, conf.command.revision)
    elif name == "downgrade":
        migration.downgrade(url, conf.command.revision)
    elif name == "current":
        migration.current(url)
    elif name == "revision":
        migration.revision(url, conf.command.message)
    elif name == "purge":
        db_session.configure(url)
        try:
            return purge.run(conf, sys.stdout)
        finally:
            db_session.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
