"""Crash points are off unless armed, and armed only by known names."""
import pytest

from wfengine import crashpoints


def test_parse_names_and_hits():
    assert crashpoints._parse("") == {}
    assert crashpoints._parse(None) == {}
    assert crashpoints._parse(
        "engine-after-commit:3, executor-after-run") == {
            "engine-after-commit": 3, "executor-after-run": 1}


def test_unknown_point_is_refused():
    with pytest.raises(ValueError, match="unknown crash point"):
        crashpoints._parse("engine-after-comit")


def test_unarmed_points_do_nothing():
    assert crashpoints._armed == {}
    for name in crashpoints.POINTS:
        crashpoints.hit(name)
