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


def test_db_faults_parse_sqlstates_and_shares():
    assert crashpoints._parse_db_faults("40001:0.2,40P01") == [
        ("40001", 0.2), ("40P01", 0.1)]
    with pytest.raises(ValueError, match="SQLSTATE"):
        crashpoints._parse_db_faults("deadlock:0.2")
    assert crashpoints._db_faults == []
