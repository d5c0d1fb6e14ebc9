"""A stopping process does not wait for ever on the messaging layer
(issue 17): with the broker out of reach, an RPC server's ``wait`` or a
transport's ``cleanup`` wait for a reconnection that may never come."""
import threading

from wfengine.cmd import services


def test_a_step_that_returns_in_time_let_go():
    ran = []
    assert services.bounded(lambda: ran.append(1), "a quick step", 5)
    assert ran == [1]


def test_a_step_still_waiting_is_left_behind_and_said(caplog):
    release = threading.Event()
    try:
        assert not services.bounded(release.wait, "the stuck step", 0.2)
    finally:
        release.set()
    assert "the stuck step did not let go" in caplog.text


def test_a_step_that_fails_is_logged_not_raised(caplog):
    assert services.bounded(lambda: 1 / 0, "a failing step", 5)
    assert "Error while stopping a failing step" in caplog.text
