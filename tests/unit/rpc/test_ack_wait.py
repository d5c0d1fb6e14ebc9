"""``[DEFAULT] messaging_ack_wait`` reaches the RabbitMQ driver's consumer
loops when a process makes its transport (the functional tests run the
deployments over RabbitMQ with it)."""
import pytest
from oslo_messaging._drivers import amqpdriver

from wfengine.conf import CONF
from wfengine.rpc import server

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def driver_wait():
    saved = amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MIN
    yield
    amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MIN = saved


@pytest.fixture
def rabbit_url():
    # Making a transport opens no connection: none is needed here.
    CONF.set_override("transport_url", "rabbit://guest:guest@127.0.0.1:1//")
    yield
    server.cleanup()
    CONF.clear_override("transport_url")
    CONF.clear_override("messaging_ack_wait")


def test_the_consumers_first_wait_is_the_option(driver_wait, rabbit_url):
    CONF.set_override("messaging_ack_wait", 0.05)
    server.init(CONF)
    assert amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MIN == 0.05


def test_the_default_waits_longer_than_the_driver_would(driver_wait,
                                                         rabbit_url):
    server.init(CONF)
    assert amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MIN == 0.02


def test_the_in_process_bus_leaves_the_driver_alone(driver_wait):
    amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MIN = 0.001
    server.init(CONF, in_process=True)
    try:
        assert amqpdriver.ACK_REQUEUE_EVERY_SECONDS_MIN == 0.001
    finally:
        server.cleanup()
