"""The engine carries an execution's project: to its tasks, action
executions, sub-workflows and events; and it resolves workflows and named
environments as the starting project sees them (SQLite and PostgreSQL)."""
import pytest

from tests.db.test_engine_service import _claim
from tests.db.test_engine_service import _succeed
from tests.db.test_engine_service import engine  # noqa: F401 (fixture)
from wfengine import exceptions
from wfengine.db import api as db_api
from wfengine.db import models
from wfengine.db import session as db_session
from wfengine.core.lang import parser
from wfengine.rpc import messages

NESTED = """
version: '2.0'
outer:
  tasks:
    call:
      workflow: inner
inner:
  tasks:
    leaf:
      action: std.echo output=1
"""
SHARED = """
version: '2.0'
shared:
  tasks:
    t:
      action: std.echo output=<% env().colour %>
"""


_ID = "5f0c3a52-7d3c-4f59-9a53-0d5b2d8f4a11"


def _define(session, text, project, scope="private"):
    for spec in parser.parse_workflows(text):
        db_api.add(session, models.WorkflowDefinition(
            id="%s-%s" % (project, spec.name), name=spec.name, namespace="",
            definition=text, spec=spec.to_dict(), input="", scope=scope,
            project_id=project))


def _projects(session, wf_ex_id):
    """Projects of every row of an execution tree (and of its events)."""
    found = set()
    for model in (models.WorkflowExecution, models.TaskExecution,
                  models.ActionExecution):
        found |= {row.project_id for row in session.query(model)}
    found |= {(e.data or {}).get("project_id")
              for e in session.query(models.Event)}
    return found - {None}


@pytest.fixture
def defined(engine):  # noqa: F811
    db_session.unit_of_work(_define, NESTED, "p-owner")
    db_session.unit_of_work(_define, SHARED, "p-owner", "public")
    db_session.unit_of_work(lambda s: s.add(models.Environment(
        id="env-owner", name="colours", variables={"colour": "red"},
        project_id="p-owner")))
    return engine


def test_sub_workflows_tasks_actions_and_events_carry_the_project(
        defined):
    defined._record_all = True
    wf = defined.start_workflow(messages.StartWorkflow(
        wf_identifier="outer", project_id="p-owner"))
    leaf = defined.executors.sent[0]
    _claim(defined, leaf)
    _succeed(defined, leaf, 1)
    assert db_session.reader(_projects, wf["id"]) == {"p-owner"}
    subs = db_session.reader(lambda s: s.query(models.WorkflowExecution)
                             .filter_by(name="inner").all())
    assert [w.project_id for w in subs] == ["p-owner"]


def test_a_shared_workflow_runs_in_the_starters_project(defined):
    wf = defined.start_workflow(messages.StartWorkflow(
        wf_identifier="shared", project_id="p-other",
        params={"env": {"colour": "blue"}}))
    msg = defined.executors.sent[0]
    assert msg.action_input == {"output": "blue"}
    row = db_session.reader(lambda s: s.get(models.WorkflowExecution,
                                            wf["id"]))
    assert row.project_id == "p-other"
    assert db_session.reader(_projects, wf["id"]) == {"p-other"}


def test_another_projects_private_workflow_is_unknown(defined):
    with pytest.raises(exceptions.InputError) as e:
        defined.start_workflow(messages.StartWorkflow(
            wf_identifier="outer", project_id="p-other"))
    assert "outer" in str(e.value)
    with pytest.raises(exceptions.InputError):
        defined.start_workflow(messages.StartWorkflow(
            wf_identifier="p-owner-outer", project_id="p-other"))


def test_a_named_environment_is_the_starting_projects(defined):
    defined.start_workflow(messages.StartWorkflow(
        wf_identifier="shared", project_id="p-owner",
        params={"env": "colours"}))
    assert defined.executors.sent[-1].action_input == {"output": "red"}
    with pytest.raises(exceptions.InputError) as e:
        defined.start_workflow(messages.StartWorkflow(
            wf_identifier="shared", project_id="p-other",
            params={"env": "colours"}))
    assert "colours" in str(e.value)


def test_each_project_runs_its_own_workflow_of_a_shared_name(defined):
    db_session.unit_of_work(_define, NESTED.replace(
        "output=1", "output=2"), "p-other")
    defined.start_workflow(messages.StartWorkflow(
        wf_identifier="outer", project_id="p-other"))
    assert defined.executors.sent[-1].action_input == {"output": 2}
    defined.start_workflow(messages.StartWorkflow(
        wf_identifier="outer", project_id="p-owner"))
    assert defined.executors.sent[-1].action_input == {"output": 1}


def test_a_projects_own_workflow_comes_before_a_shared_one_of_its_name(
        defined):
    db_session.unit_of_work(_define, SHARED.replace(
        "env().colour", "'mine'"), "p-other", "public")
    defined.start_workflow(messages.StartWorkflow(
        wf_identifier="shared", project_id="p-other",
        params={"env": {"colour": "blue"}}))
    assert defined.executors.sent[-1].action_input == {"output": "mine"}
    defined.start_workflow(messages.StartWorkflow(
        wf_identifier="shared", project_id="p-owner",
        params={"env": {"colour": "blue"}}))
    assert defined.executors.sent[-1].action_input == {"output": "blue"}
    # by id (a UUID, as Mistral looks ids up), another project's shared
    # workflow is found too
    db_session.unit_of_work(lambda s: s.add(models.WorkflowDefinition(
        id=_ID, name="by-id", namespace="", definition=SHARED,
        spec=parser.parse_workflows(SHARED)[0].to_dict(), input="",
        scope="public", project_id="p-owner")))
    defined.start_workflow(messages.StartWorkflow(
        wf_identifier=_ID, project_id="p-other",
        params={"env": {"colour": "red"}}))
    assert defined.executors.sent[-1].action_input == {"output": "red"}


def _users(session):
    """Users written on every execution row."""
    return {(type(row).__name__, row.user_id)
            for model in (models.WorkflowExecution, models.TaskExecution,
                          models.ActionExecution)
            for row in session.query(model)}


def test_every_execution_row_records_the_starting_user(defined):
    wf = defined.start_workflow(messages.StartWorkflow(
        wf_identifier="outer", project_id="p-owner", user_id="u-alice"))
    leaf = defined.executors.sent[0]
    _claim(defined, leaf)
    _succeed(defined, leaf, 1)
    assert db_session.reader(_users) == {
        ("WorkflowExecution", "u-alice"), ("TaskExecution", "u-alice"),
        ("ActionExecution", "u-alice")}
    # A start that names no user (noauth) records none.
    defined.start_workflow(messages.StartWorkflow(
        wf_identifier="shared", project_id="p-owner",
        params={"env": "colours"}))
    rows = db_session.reader(lambda s: s.query(models.WorkflowExecution)
                             .filter_by(name="shared").all())
    assert [r.user_id for r in rows] == [None]
    assert wf["id"] != rows[0].id


def test_an_action_outside_workflows_records_the_starting_user(defined):
    started = defined.run_action(messages.StartAction(
        name="std.noop", project_id="p-owner", user_id="u-bob"))
    row = db_session.reader(lambda s: s.get(models.ActionExecution,
                                            started["id"]))
    assert (row.project_id, row.user_id) == ("p-owner", "u-bob")
