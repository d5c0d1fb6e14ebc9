"""The broker readiness check names where the broker is and never waits
to retry: a refused connection is one reason, told at once."""
import socket

from wfengine.ops import checks


def test_only_amqp_brokers_are_checked():
    assert checks.broker_address(None) is None
    assert checks.broker_address("fake://") is None
    assert checks.broker_address("kafka://h:9092/") is None


def test_the_address_is_the_first_host_without_credentials():
    url, where = checks.broker_address(
        "rabbit://user:secret@h1:5672,user:secret@h2:5672/vh")
    assert where == "h1:5672"
    assert url == "amqp://user:secret@h1:5672/vh"


def _closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_a_refused_broker_is_named_without_its_credentials():
    port = _closed_port()
    reason = checks.check_broker(
        "rabbit://guest:secret@127.0.0.1:%d/" % port, timeout=2.0)
    assert reason.startswith("broker at 127.0.0.1:%d does not take a "
                             "connection" % port), reason
    assert "secret" not in reason
