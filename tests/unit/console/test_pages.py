"""Pure parts of the pages: searches, conditional tags, validation lines,
formatting."""
import pytest

from wfengine.console import apiclient
from wfengine.console import conditional
from wfengine.console import definitions
from wfengine.console import executions
from wfengine.console import formatting


def test_search_filters():
    search = executions.Search(name="dep", since="2026-01-01T10:00")
    assert executions.api_filters(search) == {
        "workflow_name": "has:dep",
        "created_at": "gte:2026-01-01 10:00:00"}
    both = executions.Search(since="2026-01-01", until="2026-01-02T00:00")
    assert executions.api_filters(both) == {
        "created_at": "lte:2026-01-02 00:00:00"}
    rows = [{"created_at": "2026-01-01 12:00:00"},
            {"created_at": "2025-12-31 23:00:00"}]
    assert executions.keep_since(rows, both) == (rows[:1], True)


def test_tag_search_goes_through_workflow_names():
    search = executions.Search(name="mm", tag="ops")
    assert executions.api_filters(search, ["alpha", "beta", "gamma",
                                           "mmm"]) == {
        "workflow_name": "in:gamma,mmm"}
    assert executions.api_filters(search, ["beta"]) is None


def test_bad_time_is_refused():
    with pytest.raises(apiclient.ApiError) as err:
        executions.api_filters(executions.Search(until="yesterday"))
    # The field and the form it takes are named; what was typed is not
    # sent back (issue 15: messages name fields, not callers' values).
    assert err.value.status == 400
    assert err.value.message.startswith("To is not a time")
    assert "YYYY-MM-DDTHH:MM" in err.value.message
    assert "yesterday" not in err.value.message


def test_conditional_tags_round_trip():
    tag = conditional.compose(["a1", None, "c3"])
    assert conditional.decompose(tag, 3) == ["a1", None, "c3"]
    assert conditional.decompose(tag, 2) == [None, None]
    assert conditional.decompose("garbage", 1) == [None]


def test_validation_problems_get_their_lines():
    text = ("version: '2.0'\nwf:\n  tasks:\n    one:\n"
            "      action: std.noop\n      on-success: [nowhere]\n")
    error = ("Invalid workflow definition (2 problems):\n"
             "- workflow 'wf': tasks.one.on-success: unknown task 'nowhere'\n"
             "- workflow text: invalid YAML: oops (line 3, column 1)")
    assert definitions.problems_with_lines(text, error) == [
        (6, "workflow 'wf': tasks.one.on-success: unknown task 'nowhere'"),
        (3, "workflow text: invalid YAML: oops (line 3, column 1)")]


@pytest.mark.parametrize("seconds, shown", [
    (None, ""), (0.2, "< 1 s"), (4.25, "4.2 s"), (42, "42 s"),
    (185, "3 min 05 s"), (7380, "2 h 03 min"), (3 * 86400 + 7200,
                                                "3 d 2 h")])
def test_durations(seconds, shown):
    assert formatting.duration(seconds) == shown


def test_seconds_between_api_times():
    assert formatting.seconds_between("2026-01-01 00:00:00",
                                      "2026-01-01 00:01:30") == 90
    assert formatting.seconds_between(None, None) is None
