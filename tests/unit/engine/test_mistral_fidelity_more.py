"""More behaviours matched to Mistral 23.0.0 (issue 16), one test per fix.

Each has a conformance case (tests/functional/conformance/) recorded from
the real Mistral; these tests pin the pure layer's part.
"""
import pytest

from tests.unit.engine import rehearsal
from wfengine import exceptions
from wfengine.core.engine import context as ctx_lib
from wfengine.core.engine import states

JOIN_UNHANDLED = """
version: '2.0'
wf:
  tasks:
    a:
      action: std.noop
      on-success: [j]
    c:
      action: std.fail
      on-success: [j]
    j:
      join: all
      action: std.noop
"""


def _by_name(out):
    return {t.name: t for t in out.tasks.values()}


def test_a_join_unsatisfiable_after_an_unhandled_failure_fails():
    out = rehearsal.rehearse(JOIN_UNHANDLED,
                             results={"c": (states.ERROR, "broke")})
    join = _by_name(out)["j"]
    assert join.state == states.ERROR
    assert join.state_info.startswith("Failed by tasks: ['c']")
    assert out.state == states.ERROR
    assert out.state_info.startswith("Failure caused by error in tasks: c, j")
    assert "j" not in out.sequence


def test_a_rerun_of_the_failed_branch_revives_the_join():
    r = rehearsal.Rehearsal(JOIN_UNHANDLED, {},
                            {"c": [(states.ERROR, "broke"), "fixed"]}, None)
    assert r.run().state == states.ERROR
    failed = next(t for t in r.tasks.values() if t.name == "c")
    cond = r._conductor()
    r._take(cond, cond.rerun(failed.id))
    out = r.run_pending()
    assert out.state == states.SUCCESS
    joins = [t for t in out.tasks.values() if t.name == "j"]
    assert len(joins) == 1 and joins[0].state == states.SUCCESS
    assert joins[0].runtime_context["join_arrivals"] == ["a", "c"]
    assert out.sequence.count("j") == 1


def test_start_params_carry_the_env_and_namespace_defaults():
    assert ctx_lib.start_params(None, {}) == {"env": {}, "namespace": ""}
    assert ctx_lib.start_params({"env": {"k": 1}}, {}, "ns") == {
        "env": {"k": 1}, "namespace": "ns"}


def test_env_expressions_are_evaluated_once_at_start():
    params = ctx_lib.start_params(
        {"env": {"v": "<% 1 + 1 %>", "n": {"x": "{{ _.base * 2 }}"},
                 "again": "<% env().v %>", "plain": "text"}},
        {"base": 20})
    assert params["env"] == {"v": 2, "n": {"x": 40},
                             "again": "<% 1 + 1 %>", "plain": "text"}


def test_evaluate_env_false_keeps_the_text():
    env = {"v": "<% 1 + 1 %>"}
    params = ctx_lib.start_params({"env": env, "evaluate_env": False}, {})
    assert params["env"] == env


def test_an_env_expression_error_refuses_the_start():
    with pytest.raises(exceptions.InputError) as info:
        ctx_lib.start_params({"env": {"v": "<% $.missing.deep %>"}}, {})
    assert "env" in str(info.value)


SUB_CALL = """
version: '2.0'
wf:
  tasks:
    call:
      workflow: child
"""


def test_a_cancel_message_is_the_state_info_of_the_tasks_it_cancels():
    r = rehearsal.Rehearsal(SUB_CALL, {}, {}, None)
    r.run()
    assert [s.task_ex_id for s in r.subworkflows]
    plan = r._conductor().cancel("operator stop")
    call = next(iter(r.tasks.values()))
    assert call.state == states.CANCELLED
    assert call.state_info == "operator stop"
    assert [a.state_info for a in plan.aborts] == ["operator stop"]
    assert plan.workflow_change.output == {"result": "operator stop"}


def test_a_cancel_without_message_says_the_execution_was_cancelled():
    r = rehearsal.Rehearsal(SUB_CALL, {}, {}, None)
    r.run()
    r._conductor().cancel()
    call = next(iter(r.tasks.values()))
    assert call.state_info == "Workflow execution cancelled"


EXECUTION_KEYS = """
version: '2.0'
wf:
  tasks:
    a:
      action: std.noop
      publish:
        keys: <% execution().keys().orderBy($) %>
        spec_name: <% execution().spec.name %>
        listed: <% tasks(execution().id, false, SUCCESS).select($.name) %>
"""


def test_execution_function_has_mistral_keys():
    out = rehearsal.rehearse(EXECUTION_KEYS)
    published = _by_name(out)["a"].published
    assert published["keys"] == [
        "created_at", "id", "input", "name", "params", "root_execution_id",
        "spec", "updated_at"]
    assert published["spec_name"] == "wf"
    # tasks() of the running execution lists the task whose publish reads
    # it, already ended (as in Mistral).
    assert published["listed"] == ["a"]


OWN_RESULT = """
version: '2.0'
wf:
  tasks:
    t:
      action: std.echo
      input:
        output: <% task().result %>
"""


def test_a_task_without_result_yet_reads_an_empty_list():
    out = rehearsal.rehearse(OWN_RESULT)
    assert [a.input for a in out.actions] == [{"output": []}]
