"""First-contact mistakes end the program with one line: the cause and
the option to change; no traceback, no retries of a running service."""
import configparser
import socket
import subprocess
import sys

import pytest

from tests.functional import harness

pytestmark = pytest.mark.timeout(120)

# Bounded so that a hang fails the test; not a speed assertion.
EXIT_WITHIN = 60


def write_config(path, database, transport_url=None, port=None):
    conf = configparser.ConfigParser(interpolation=None)
    conf["DEFAULT"] = {"control_exchange": "wfe_" + harness.random_hex()}
    if transport_url:
        conf["DEFAULT"]["transport_url"] = transport_url
    conf["api"] = {"host": harness.LOOPBACK,
                   "port": str(port or harness.free_port())}
    conf["database"] = {"connection": database}
    with open(path, "w") as f:
        conf.write(f)
    return str(path)


def run(argv):
    proc = subprocess.run(argv, capture_output=True, text=True,
                          timeout=EXIT_WITHIN, stdin=subprocess.DEVNULL)
    lines = [line for line in proc.stderr.splitlines()
             if line.strip() and "Warning" not in line
             and not line.startswith(" ")]
    return proc.returncode, lines, proc.stderr


def server(config, services="all"):
    return run([sys.executable, "-m", "wfengine.cmd.launch",
                "--config-file", config, "--server", services])


def assert_one_line(result, *expected):
    rc, lines, stderr = result
    assert rc == 2, stderr
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def test_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind((harness.LOOPBACK, 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(tmp_path / "w.conf", "sqlite:///%s" % (
            tmp_path / "w.sqlite"), port=port)
        assert_one_line(server(config), "127.0.0.1:%d" % port,
                        "already in use", "[api] host, port")


def test_database_role_missing(tmp_path):
    harness.require_tcp(harness.PG_PORT, "PostgreSQL")
    role = "nobody_" + harness.random_hex()
    config = write_config(tmp_path / "w.conf",
                          "postgresql+psycopg2://%s@127.0.0.1:5432/postgres"
                          % role, transport_url=harness.RABBIT_URL)
    assert_one_line(server(config, "api"), 'role "%s" does not exist' % role,
                    "[database] connection")


def test_database_missing(tmp_path):
    harness.require_tcp(harness.PG_PORT, "PostgreSQL")
    name = "absent_" + harness.random_hex()
    config = write_config(tmp_path / "w.conf",
                          "postgresql+psycopg2://postgres@127.0.0.1:5432/%s"
                          % name, transport_url=harness.RABBIT_URL)
    assert_one_line(server(config, "engine"),
                    'database "%s" does not exist' % name, "createdb",
                    "[database] connection")
    line = assert_one_line(run([
        sys.executable, "-m", "wfengine.cmd.db_manage", "--config-file",
        config, "upgrade", "heads"]), 'database "%s" does not exist' % name)
    assert line.startswith("wfengine-db-manage: ")


@pytest.fixture
def empty_db():
    db = harness.PostgresDatabase()
    try:
        yield db
    finally:
        db.drop()


def test_database_never_migrated(tmp_path, empty_db):
    config = write_config(tmp_path / "w.conf", empty_db.url,
                          transport_url=harness.RABBIT_URL)
    assert_one_line(server(config, "api"), "no wfengine tables",
                    "wfengine-db-manage upgrade heads")


def test_broker_refuses_the_login(tmp_path, empty_db):
    harness.require_tcp(harness.RABBIT_PORT, "RabbitMQ")
    password = "Wrong" + harness.random_hex()
    config = write_config(
        tmp_path / "w.conf", empty_db.url,
        transport_url="rabbit://nobody:%s@127.0.0.1:%d/" % (
            password, harness.RABBIT_PORT))
    subprocess.run([sys.executable, "-m", "wfengine.cmd.db_manage",
                    "--config-file", config, "upgrade", "heads"],
                   check=True, capture_output=True, timeout=EXIT_WITHIN)
    line = assert_one_line(server(config, "engine"),
                           "refused the login of user 'nobody'",
                           "[DEFAULT] transport_url")
    assert password not in line


def test_broker_not_listening(tmp_path, empty_db):
    closed = harness.free_port()
    config = write_config(
        tmp_path / "w.conf", empty_db.url,
        transport_url="rabbit://guest:guest@127.0.0.1:%d/" % closed)
    subprocess.run([sys.executable, "-m", "wfengine.cmd.db_manage",
                    "--config-file", config, "upgrade", "heads"],
                   check=True, capture_output=True, timeout=EXIT_WITHIN)
    assert_one_line(server(config, "executor"),
                    "RabbitMQ at 127.0.0.1:%d does not answer" % closed,
                    "[DEFAULT] transport_url")


def test_help_lists_the_logging_and_monitoring_options():
    proc = subprocess.run([sys.executable, "-m", "wfengine.cmd.launch",
                           "--help"], capture_output=True, text=True,
                          timeout=EXIT_WITHIN)
    assert proc.returncode == 0, proc.stderr
    for option in ("--log-file", "--log-dir", "--log-config-append",
                   "--use-json", "--debug", "--monitoring-status_port"):
        assert option in proc.stdout
