"""Action results over [engine] execution_field_size_limit_kb fail."""
import pytest

from wfengine import conf
from wfengine.conf import limits
from wfengine.core import fieldsize as fieldsize_lib
from wfengine.executor import fieldsize
from wfengine.rpc import messages


@pytest.fixture
def limit_kb():
    def set_limit(kb):
        conf.CONF.set_override("execution_field_size_limit_kb", kb,
                               group="engine")
        limits.apply(conf.CONF)
    yield set_limit
    conf.CONF.clear_override("execution_field_size_limit_kb", group="engine")
    limits.apply(conf.CONF)


def _result(data):
    return messages.ActionResult(action_ex_id="a1", state=messages.SUCCESS,
                                 result=data)


def test_a_result_within_the_limit_is_reported_as_is(limit_kb):
    limit_kb(1)
    result = _result({"k": "v" * 900})
    assert fieldsize.checked(result) is result


@pytest.mark.parametrize("data", [
    "x" * 2000,
    {"k": ["é" * 400] * 2},
    [[[1, 2, 3]] * 100] * 10,
    {"key-%d" % i: None for i in range(200)},
])
def test_a_result_over_the_limit_fails_and_is_not_kept(limit_kb, data):
    limit_kb(1)
    failed = fieldsize.checked(_result(data))
    assert failed.state == messages.ERROR
    assert failed.state_info.startswith("Field size limit exceeded")
    assert "execution_field_size_limit_kb" in failed.state_info
    assert "over the limit of 1 KiB" in failed.state_info
    assert failed.result == failed.state_info


def test_the_default_limit_is_mistrals_megabyte(limit_kb):
    assert conf.CONF.engine.execution_field_size_limit_kb == 1024
    limits.apply(conf.CONF)
    # Its JSON text is 2 bytes longer (the quotes).
    exact = "x" * (1024 * 1024 - 2)
    assert fieldsize.checked(_result(exact)).state == messages.SUCCESS
    assert fieldsize.checked(_result(exact + "x")).state == messages.ERROR


def test_minus_one_means_no_limit(limit_kb):
    limit_kb(-1)
    result = _result("x" * 3000000)
    assert fieldsize.checked(result) is result


def test_measuring_stops_at_the_limit(limit_kb):
    limit_kb(1)
    huge = ["x" * 100] * 10000000  # a billion characters if counted out
    assert fieldsize_lib.size_over(huge) <= 1024 + 200


def test_none_is_no_result():
    assert fieldsize.checked(None) is None
