"""Writes etc/grafana/wfengine.json, the sample Grafana dashboard.

    python tools/make_dashboard.py

Edit the panels here, not in the JSON. The datasource is a variable
(``${datasource}``) chosen when the dashboard is imported.
"""
import json
import os

R = "[$__rate_interval]"
PANELS = [
    ("Executions started /s by workflow", "reqps", [
        ("sum by (workflow) (rate(wfengine_executions_started_total%s))" % R,
         "{{workflow}}")]),
    ("Executions finished /s by state", "reqps", [
        ("sum by (state) (rate(wfengine_executions_finished_total%s))" % R,
         "{{state}}")]),
    ("Running executions", "short", [
        ("max(wfengine_executions_running)", "running")]),
    ("Task duration (p50, p95)", "s", [
        ("histogram_quantile(0.5, sum by (le) (rate("
         "wfengine_task_duration_seconds_bucket%s)))" % R, "p50"),
        ("histogram_quantile(0.95, sum by (le) (rate("
         "wfengine_task_duration_seconds_bucket%s)))" % R, "p95")]),
    ("Action duration p95 by action", "s", [
        ("histogram_quantile(0.95, sum by (le, action) (rate("
         "wfengine_action_duration_seconds_bucket%s)))" % R, "{{action}}")]),
    ("Unit of work p99 by operation", "s", [
        ("histogram_quantile(0.99, sum by (le, operation) (rate("
         "wfengine_unit_of_work_seconds_bucket%s)))" % R, "{{operation}}")]),
    ("Unit of work retries /s", "reqps", [
        ("sum by (operation) (rate(wfengine_unit_of_work_retries_total%s))"
         % R, "{{operation}}")]),
    ("Outbox: due rows and age of the oldest (alert: age > 60 s)", "short", [
        ("max by (kind) (wfengine_outbox_due_rows)", "due {{kind}}"),
        ("max by (kind) (wfengine_outbox_oldest_due_age_seconds)",
         "oldest {{kind}} (s)")]),
    ("Events not fanned out", "short", [
        ("max(wfengine_events_undispatched)", "events"),
        ("max(wfengine_events_oldest_undispatched_age_seconds)",
         "oldest (s)")]),
    ("Webhook deliveries /s by outcome", "reqps", [
        ("sum by (outcome) (rate(wfengine_webhook_deliveries_total%s))" % R,
         "{{outcome}}")]),
    ("Webhook delivery lag p95, pending deliveries", "s", [
        ("histogram_quantile(0.95, sum by (le) (rate("
         "wfengine_webhook_delivery_lag_seconds_bucket%s)))" % R, "lag p95"),
        ("max by (publisher) (wfengine_webhook_delivery_oldest_pending_age_"
         "seconds)", "oldest pending {{publisher}}")]),
    ("Executor heartbeat age (alert: > heartbeat timeout)", "s", [
        ("max by (executor) (wfengine_executor_heartbeat_age_seconds)",
         "{{executor}}")]),
    ("Actions in flight by executor", "short", [
        ("max by (executor) (wfengine_actions_in_flight)", "{{executor}}"),
        ("sum(wfengine_executor_actions_running)", "running (processes)")]),
    ("Expression limit hits /s", "reqps", [
        ("sum by (limit) (rate(wfengine_expression_limit_hits_total%s))" % R,
         "{{limit}}")]),
    ("API requests /s by status", "reqps", [
        ("sum by (status) (rate(wfengine_api_requests_total%s))" % R,
         "{{status}}")]),
    ("API p95 latency by route", "s", [
        ("histogram_quantile(0.95, sum by (le, route) (rate("
         "wfengine_api_request_seconds_bucket%s)))" % R, "{{route}}")]),
    ("Rows removed by retention /s", "reqps", [
        ("sum by (table) (rate(wfengine_retention_deleted_rows_total%s))" % R,
         "{{table}}")]),
]


def panel(index, title, unit, targets):
    return {
        "id": index + 1, "type": "timeseries", "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": 12 * (index % 2),
                    "y": 8 * (index // 2)},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"},
                    "tooltip": {"mode": "multi"}},
        "targets": [{"refId": chr(65 + i), "expr": expr,
                     "legendFormat": legend}
                    for i, (expr, legend) in enumerate(targets)],
    }


def dashboard():
    return {
        "title": "wfengine", "uid": "wfengine-overview",
        "tags": ["wfengine", "workflows"], "timezone": "utc",
        "schemaVersion": 39, "version": 1, "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [{
            "name": "datasource", "label": "Prometheus",
            "type": "datasource", "query": "prometheus"}]},
        "panels": [panel(i, *p) for i, p in enumerate(PANELS)],
    }


def main():
    path = os.path.join(os.path.dirname(__file__), os.pardir, "etc",
                        "grafana", "wfengine.json")
    with open(path, "w") as f:
        json.dump(dashboard(), f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
