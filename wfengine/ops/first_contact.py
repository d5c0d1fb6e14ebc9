"""Check what a process needs before it starts, and say what is wrong in
one line: the cause and the option to change.

The database and the broker are tried once, each bounded by a few
seconds: a role or database that does not exist, a password refused, a
server that is not there, a broker that refuses the login or knows no
such vhost, all end the program with one line instead of a traceback
after the retries of a running service.
"""
import re
import socket
import urllib.parse

import amqp
import kombu
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc


_TIMEOUT = 5
_DB_OPTION = "[database] connection"
_BROKER_OPTION = "[DEFAULT] transport_url"


class StartupError(Exception):
    """What stops the process from starting (one line)."""


def check(conf, names):
    """Raise :class:`StartupError` if the database or the broker this
    process needs is not usable."""
    if "api" in names:
        check_port(conf.api.host, conf.api.port, "[api] host, port")
    if "api" not in names and conf.monitoring.status_port:
        check_port(conf.monitoring.status_host, conf.monitoring.status_port,
                   "[monitoring] status_host, status_port")
    check_database(conf.database.connection,
                   expect_schema=not _migrates_itself(conf))
    if conf.transport_url:
        check_broker(conf.transport_url)


def _migrates_itself(conf):
    return conf.database.auto_upgrade or (
        not conf.transport_url
        and conf.database.connection.startswith("sqlite"))


def check_database(url, expect_schema=True):
    where = _db_where(url)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool,
                              **_connect_args(url))
    try:
        with engine.connect() as conn:
            has_schema = sa.inspect(conn).has_table("alembic_version")
    except sa_exc.DBAPIError as e:
        raise StartupError("%s: %s (%s)" % (
            where, _db_cause(e), _DB_OPTION)) from None
    except sa_exc.ArgumentError as e:
        raise StartupError("%s is not a database URL: %s (%s)" % (
            where, e, _DB_OPTION)) from None
    finally:
        engine.dispose()
    if expect_schema and not has_schema:
        raise StartupError(
            "%s has no wfengine tables yet: run wfengine-db-manage upgrade "
            "heads (or set [database] auto_upgrade = true)" % where)


def _connect_args(url):
    if url.startswith("postgresql"):
        return {"connect_args": {"connect_timeout": _TIMEOUT}}
    return {}


def _db_where(url):
    try:
        parsed = sa.engine.make_url(url)
    except sa_exc.ArgumentError:
        return "the database"
    if parsed.drivername.startswith("sqlite"):
        return "SQLite database %s" % (parsed.database or ":memory:")
    return "database %s at %s:%s" % (parsed.database, parsed.host,
                                     parsed.port or 5432)


_PG_CAUSES = (
    (re.compile(r'role "([^"]+)" does not exist'),
     'the role "%s" does not exist: create it (createuser) or name another'),
    (re.compile(r'database "([^"]+)" does not exist'),
     'the database "%s" does not exist: create it (createdb)'),
    (re.compile(r"password authentication failed for user \"([^\"]+)\""),
     'the password of "%s" was refused'),
    (re.compile(r"Connection refused"),
     "nothing listens there (is PostgreSQL running?)"),
)


def _db_cause(error):
    text = str(getattr(error, "orig", None) or error)
    for pattern, template in _PG_CAUSES:
        match = pattern.search(text)
        if match:
            return template % match.groups() if match.groups() else template
    return text.strip().splitlines()[0] if text.strip() else type(
        error).__name__


def check_broker(transport_url):
    parts = urllib.parse.urlsplit(transport_url)
    if parts.scheme not in ("rabbit", "amqp", "kombu"):
        return
    first = parts.netloc.split(",")[0]
    user = urllib.parse.unquote(first.rsplit("@", 1)[0].split(":")[0]) \
        if "@" in first else "guest"
    host = first.rsplit("@", 1)[-1]
    url = urllib.parse.urlunsplit(("amqp", first, parts.path or "/", "", ""))
    conn = kombu.Connection(url, connect_timeout=_TIMEOUT)
    try:
        conn.ensure_connection(max_retries=1, timeout=_TIMEOUT)
    except amqp.exceptions.AccessRefused:
        raise StartupError("RabbitMQ at %s refused the login of user %r: "
                           "check the user and password in %s"
                           % (host, user, _BROKER_OPTION)) from None
    except amqp.exceptions.NotAllowed as e:
        raise StartupError("RabbitMQ at %s: %s (%s)" % (
            host, _amqp_text(e), _BROKER_OPTION)) from None
    except Exception as e:
        raise StartupError("RabbitMQ at %s does not answer: %s (%s)" % (
            host, _short(e), _BROKER_OPTION)) from None
    finally:
        conn.release()


def check_port(host, port, option):
    """Bind ``host:port`` for a moment, as the server will."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as e:
        raise cannot_listen(host, port, e, option) from None
    finally:
        sock.close()


def cannot_listen(host, port, error, option):
    """A :class:`StartupError` for a port this process could not bind."""
    text = str(error)
    if "in use" in text:
        cause = "the address is already in use (another wfengine?)"
    elif "ermission" in text:
        cause = "permission denied (ports below 1024 need privileges)"
    elif "assign requested address" in text:
        cause = "this host has no such address"
    else:
        cause = _short(error)
    return StartupError("cannot listen on %s:%s: %s (%s)" % (
        host, port, cause, option))


def _amqp_text(error):
    text = str(error)
    return text.split(" - ", 1)[-1] if " - " in text else text


def _short(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__

