"""etc/grafana/wfengine.json queries only metrics the service exports."""
import datetime
import json
import os
import re

from prometheus_client import REGISTRY

from wfengine import metrics  # noqa: F401  (registers the metrics)
from wfengine.ops import collector

DASHBOARD = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir,
                         "etc", "grafana", "wfengine.json")


def exported_names():
    names = set()
    for family in REGISTRY.collect():
        names.update(sample.name for sample in family.samples)
        if family.type == "histogram":
            names.update(family.name + s for s in ("_bucket", "_count",
                                                   "_sum"))
        if family.type == "counter":
            names.add(family.name + "_total")
    empty = {"outbox": [], "deliveries": [], "events": (0, None),
             "heartbeats": [], "in_flight": [], "running": 0}
    for family in collector._families(empty, datetime.datetime(2026, 1, 1)):
        names.add(family.name)
    return names


def test_every_queried_metric_is_exported():
    with open(DASHBOARD) as f:
        dashboard = json.load(f)
    queried = set()
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            queried.update(re.findall(r"wfengine_[a-z_]+", target["expr"]))
    missing = queried - exported_names()
    assert not missing, "dashboard queries unknown metrics: %s" % missing
    assert len(queried) >= 15
