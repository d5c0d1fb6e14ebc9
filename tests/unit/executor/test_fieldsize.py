"""Action results over [engine] execution_field_size_limit_kb fail."""
import pytest

from wfengine import conf
from wfengine.executor import fieldsize
from wfengine import jsonsafe
from wfengine.rpc import messages


@pytest.fixture
def limit_kb():
    def set_limit(kb):
        conf.CONF.set_override("execution_field_size_limit_kb", kb,
                               group="engine")
    yield set_limit
    conf.CONF.clear_override("execution_field_size_limit_kb", group="engine")


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
    assert "execution_field_size_limit_kb" in failed.state_info
    assert "limit of 1 KiB" in failed.state_info
    assert failed.result == failed.state_info


def test_the_default_limit_is_mistrals_megabyte():
    assert conf.CONF.engine.execution_field_size_limit_kb == 1024
    big = "x" * (1024 * 1024 + 1)
    assert fieldsize.checked(_result(big)).state == messages.ERROR
    assert fieldsize.checked(_result("x" * 1000000)).state == \
        messages.SUCCESS


def test_minus_one_means_no_limit(limit_kb):
    limit_kb(-1)
    result = _result("x" * 3000000)
    assert fieldsize.checked(result) is result


def test_measuring_stops_at_the_limit():
    huge = ["x" * 100] * 10000000  # a billion characters if counted out
    assert jsonsafe.size_over(huge, 1000) <= 1000 + 200


def test_none_is_no_result():
    assert fieldsize.checked(None) is None
