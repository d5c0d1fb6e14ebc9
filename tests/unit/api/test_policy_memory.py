"""The enforcer remembers decisions until it next looks at the policy
file (at most once a second), so an edited file still takes effect."""
import types

import os

from oslo_config import cfg
import pytest

from wfengine.api import policy


@pytest.fixture
def clock(monkeypatch):
    now = types.SimpleNamespace(value=1000.0)
    monkeypatch.setattr(policy.time, "monotonic", lambda: now.value)
    return now


@pytest.fixture
def enforcer(tmp_path, clock):
    conf = cfg.ConfigOpts()
    conf([], default_config_files=[])
    rules = tmp_path / "policy.yaml"
    rules.write_text('"workflows:create": "role:author"\n')
    enforcer = policy._Enforcer(conf, policy_file=str(rules))
    enforcer.register_defaults(policy.list_rules())
    return enforcer, rules


AUTHOR = {"project_id": "p", "user_id": "u", "roles": ["author"],
          "is_admin": False}
READER = dict(AUTHOR, roles=["reader"])


def test_a_decision_is_made_once_until_the_next_look(enforcer, monkeypatch):
    enforcer, _ = enforcer
    calls = []
    real = type(enforcer).__mro__[1].enforce
    monkeypatch.setattr(enforcer, "enforce", lambda *a, **k: calls.append(
        a) or real(enforcer, *a, **k))
    target = {"project_id": "p"}
    assert enforcer.decide("workflows:create", target, AUTHOR)
    assert enforcer.decide("workflows:create", target, AUTHOR)
    assert not enforcer.decide("workflows:create", target, READER)
    assert len(calls) == 2   # one per distinct caller


def test_an_edited_file_takes_effect_after_the_recheck(enforcer, clock):
    enforcer, rules = enforcer
    target = {"project_id": "p"}
    assert not enforcer.decide("workflows:create", target, READER)
    rules.write_text('"workflows:create": "role:reader"\n')
    # oslo.policy notices a change by the file's modification time
    later = os.stat(rules).st_mtime + 5
    os.utime(rules, (later, later))
    assert not enforcer.decide("workflows:create", target, READER)
    clock.value += policy._Enforcer.RECHECK
    assert enforcer.decide("workflows:create", target, READER)


def test_an_unhashable_value_is_decided_without_memory(enforcer):
    enforcer, _ = enforcer
    creds = dict(AUTHOR, extra={"not": "hashable"})
    assert enforcer.decide("workflows:create", {"project_id": "p"}, creds)
    assert enforcer._decisions == {}
