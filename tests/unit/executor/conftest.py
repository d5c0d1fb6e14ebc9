import pytest

from wfengine.executor import runner


@pytest.fixture(autouse=True)
def _claim_every_action(request, monkeypatch):
    """Most tests here are about claims, with ``std.echo`` standing for
    any action: it is claimed like an action with effects would be. Tests
    of pure actions, run without a claim, ask for ``real_purity``."""
    if "real_purity" not in request.fixturenames:
        monkeypatch.setattr(runner, "is_pure", lambda action_name: False)


@pytest.fixture
def real_purity():
    """Actions are pure or not as their classes say."""
