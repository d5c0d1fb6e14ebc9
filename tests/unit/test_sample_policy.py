"""etc/policy.yaml.sample is what oslopolicy-sample-generator makes today,
and it names every rule the API checks."""
import pathlib
import subprocess
import sys

from wfengine.api import policy

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_sample_policy_is_current(tmp_path):
    out = tmp_path / "policy.yaml.sample"
    subprocess.run(
        [sys.executable, "-c",
         "from oslo_policy import generator; generator.generate_sample()",
         "--config-file",
         str(ROOT / "etc" / "oslo-policy-generator" / "wfengine.conf"),
         "--output-file", str(out)],
        check=True, cwd=ROOT, capture_output=True)
    current = (ROOT / "etc" / "policy.yaml.sample").read_text()
    assert out.read_text() == current, (
        "etc/policy.yaml.sample is stale: run 'tox -e genpolicy'")


def test_the_sample_names_mistrals_rules_and_the_extensions():
    text = (ROOT / "etc" / "policy.yaml.sample").read_text()
    for rule in ("workflows:create", "executions:list:all_projects",
                 "environments:update", "cron_triggers:delete",
                 "listeners:deliveries", "tasks:mark", "executions:resume",
                 "action_executions:update"):
        assert '#"%s"' % rule in text


def test_every_rule_a_request_can_check_is_registered():
    names = {r.name for r in policy.list_rules()}
    for method in ("GET", "POST", "PUT", "DELETE"):
        for path in ("/v2/workflows", "/v2/workflows/x", "/v2/executions/x/"
                     "report", "/v2/executions/x/tasks",
                     "/v2/tasks/x/action_executions",
                     "/v2/tasks/x/workflow_executions",
                     "/v2/listeners/x/deliveries", "/v2/action-executions/x",
                     "/v2/cron_triggers", "/v2/workbooks/validate",
                     "/v2/actions/std.noop/ns"):
            rules, _ = policy.request_rules(
                method, path, {"all_projects": "true", "scope": "public"})
            assert set(rules) <= names, (method, path, rules)
