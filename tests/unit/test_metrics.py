"""wfengine.metrics: route shaping, and recording only what commits."""
import pytest

from wfengine import exceptions
from wfengine.core import expressions
from wfengine import metrics
from wfengine.db import unit as db_unit


@pytest.mark.parametrize("path, route", [
    ("/v2/executions", "/v2/executions"),
    ("/v2/executions/", "/v2/executions"),
    ("/v2/executions/0b6c3e52-4d7f-4b2e-9a37-2f1c0c1d2e3f/tasks",
     "/v2/executions/{id}/tasks"),
    ("/v2/workflows/my_flow", "/v2/workflows/{id}"),
    ("/v2/executions/x/report", "/v2/executions/{id}/report"),
    ("/readyz", "/readyz"),
    ("/a/b/c/d/e/f/g", "/{id}/{id}/{id}/{id}/{id}"),
])
def test_routes_replace_variable_parts(path, route):
    assert metrics.route_of(path) == route


def _count(workflow):
    return metrics.EXECUTIONS_STARTED.labels(workflow)._value.get()


def test_counted_after_commit_only():
    before = _count("committed")
    unit = db_unit.Unit(session=None)
    metrics.execution_started(unit, "committed")
    assert _count("committed") == before  # not yet: not committed
    unit.committed()
    assert _count("committed") == before + 1
    unit.committed()  # the queue runs once
    assert _count("committed") == before + 1


def test_rolled_back_work_is_not_counted():
    """A unit that is dropped (rolled back, or run again as a new unit)
    never runs its queue."""
    before = _count("rolled_back")
    metrics.execution_started(db_unit.Unit(session=None), "rolled_back")
    assert _count("rolled_back") == before


def test_expression_limit_hits_are_counted():
    counter = metrics.EXPRESSION_LIMIT_HITS.labels("iterators")
    before = counter._value.get()
    with pytest.raises(exceptions.WFEngineException):
        expressions.evaluate("{{ range(100000000) | list }}", {})
    assert counter._value.get() == before + 1
