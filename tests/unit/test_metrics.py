"""wfengine.metrics: route shaping, and recording only what commits."""
import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from wfengine import exceptions
from wfengine import expressions
from wfengine import metrics
from wfengine.ops import hooks


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


@pytest.fixture
def session_factory(tmp_path):
    hooks.install()
    engine = sa.create_engine("sqlite:///%s" % (tmp_path / "m.sqlite"))
    yield orm.sessionmaker(bind=engine)
    engine.dispose()


def test_counted_after_commit_only(session_factory):
    before = _count("committed")
    with session_factory() as session, session.begin():
        metrics.execution_started(session, "committed")
        session.execute(sa.text("SELECT 1"))
        assert _count("committed") == before  # not yet: not committed
    assert _count("committed") == before + 1


def test_rolled_back_work_is_not_counted(session_factory):
    before = _count("rolled_back")
    with pytest.raises(RuntimeError):
        with session_factory() as session, session.begin():
            metrics.execution_started(session, "rolled_back")
            session.execute(sa.text("SELECT 1"))
            raise RuntimeError("retry me")
    with session_factory() as session, session.begin():
        session.execute(sa.text("SELECT 1"))
    assert _count("rolled_back") == before


def test_expression_limit_hits_are_counted():
    counter = metrics.EXPRESSION_LIMIT_HITS.labels("jinja_size")
    before = counter._value.get()
    with pytest.raises(exceptions.WFEngineException):
        expressions.evaluate("{{ range(100000) | list }}", {})
    assert counter._value.get() == before + 1
