"""Wire shapes matched to Mistral 23.0.0 (issue 16)."""
import types

import pytest

from wfengine import exceptions
from wfengine.api import resources
from wfengine.api import updates
from wfengine.api import wire


def test_a_delayed_task_shows_delayed():
    row = types.SimpleNamespace(**{c: None for c in resources.TASK.names()})
    row.state = "RUNNING_DELAYED"
    row.runtime_context = {}
    shown = resources.task_dict(row, names=["state"])
    assert shown == {"state": "DELAYED"}
    row.state = "RUNNING"
    assert resources.task_dict(row, names=["state"]) == {"state": "RUNNING"}


def test_completion_output_given_as_json_text_is_decoded():
    done = updates.parse_action_completion(
        {"state": "SUCCESS", "output": '{"result": {"a": 1}}'}, "x")
    assert done["output"] == {"result": {"a": 1}}


def test_completion_output_text_that_is_not_json_stays_text():
    # wfengine only: Mistral refuses it.
    for text in ("plain words", "done", "[1, 2"):
        done = updates.parse_action_completion(
            {"state": "SUCCESS", "output": text}, "x")
        assert done["output"] == text


def test_completion_output_that_is_a_json_value_is_the_result():
    # wfengine only: ``mistral action-execution-update --output 3`` sends
    # the number, which Mistral refuses with a Python type error.
    for value in ([1, 2], 3, True):
        done = updates.parse_action_completion(
            {"state": "SUCCESS", "output": value}, "x")
        assert done["output"] == value


@pytest.mark.parametrize("output, kind", [
    ("[1, 2]", "list"), ("3", "number"), ('"quoted"', "string"),
    ("null", "null"), ("true", "boolean"),
])
def test_completion_output_json_text_of_no_object_is_refused(output, kind):
    # As Mistral: "JsonType field value must be a dictionary" (400).
    for state in ("SUCCESS", "ERROR"):
        with pytest.raises(exceptions.InvalidField) as err:
            updates.parse_action_completion(
                {"state": state, "output": output}, "x")
        assert str(err.value).startswith("JsonType field value")
        assert str(err.value).endswith("got the text of a " + kind)
        assert err.value.http_code == 400


def test_an_error_completion_output_becomes_the_state_info():
    done = updates.parse_action_completion(
        {"state": "ERROR", "output": '{"result": "remote side broke"}'}, "x")
    assert done["state_info"] == "{'result': 'remote side broke'}"
    given = updates.parse_action_completion(
        {"state": "ERROR", "output": "{}", "state_info": "mine"}, "x")
    assert given["state_info"] == "mine"


def test_runtime_context_shows_the_retry_count_as_mistral():
    assert wire.runtime_context({"retry_no": 2, "error_handled": False,
                                 "triggered_by": []}) == {
        "retry_task_policy": {"retry_no": 2}, "triggered_by": []}
    assert wire.runtime_context_text('{"retry_no": 1}') == \
        '{"retry_task_policy": {"retry_no": 1}}'
    assert wire.runtime_context_text("null") is None
