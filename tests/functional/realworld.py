"""Public Mistral definitions validated by a server (issue 16).

``conformance/realworld/<source>/*.yaml`` are workbooks and workflows that
OpenStack projects shipped (origin and licence in the README there). Each
is sent to the server's validate endpoint (``/workbooks/validate``,
``/workflows/validate`` or ``/actions/validate``, by the file's shape) and
the verdict compared with the one Mistral 23.0.0 gave, recorded in
``realworld/validation.golden.json`` by ``tools/realworld.py --record``.
The ones that use only standard actions also run as conformance cases
(``conformance/realworld_runs/``).
"""
import json
import os

import yaml

from tests.functional import differential

DIR = os.path.join(differential.CASE_DIR, differential.REALWORLD)
GOLDEN = os.path.join(DIR, "validation.golden.json")


def files():
    """``[(path relative to realworld/, text)]``, sorted."""
    found = []
    for root, _dirs, names in os.walk(DIR):
        for name in names:
            if name.endswith(".yaml") and name != "known_differences.yaml":
                path = os.path.join(root, name)
                with open(path) as f:
                    found.append((os.path.relpath(path, DIR), f.read()))
    return sorted(found)


def kind(text):
    """``workbooks``, ``actions`` or ``workflows``: the endpoint to use."""
    try:
        body = yaml.safe_load(text)
    except yaml.YAMLError:
        return "workflows"
    if not isinstance(body, dict):
        return "workflows"
    if "name" in body and ("workflows" in body or "actions" in body):
        return "workbooks"
    entries = [v for k, v in body.items() if k != "version"]
    if entries and all(isinstance(v, dict) and "base" in v for v in entries):
        return "actions"
    return "workflows"


def verdict(server, text):
    """``{"endpoint", "status", "valid"}`` of one validation request."""
    endpoint = kind(text)
    resp = server.call("POST", "/%s/validate" % endpoint, data=text.encode(),
                       headers={"Content-Type": "text/plain"}, timeout=300)
    out = {"endpoint": endpoint, "status": resp.status_code}
    try:
        out["valid"] = resp.json().get("valid")
    except ValueError:
        out["valid"] = None
    return out


def verdicts(server):
    return {rel: verdict(server, text) for rel, text in files()}


def load_known():
    """``{file: reason}`` of the verdicts known to differ."""
    path = os.path.join(DIR, "known_differences.yaml")
    with open(path) as f:
        return yaml.safe_load(f) or {}


def load_golden():
    with open(GOLDEN) as f:
        return json.load(f)


def write_golden(outcomes):
    with open(GOLDEN, "w") as f:
        json.dump(outcomes, f, indent=1, sort_keys=True)
        f.write("\n")


def differences(expected, actual):
    out = []
    for rel in sorted(set(expected) | set(actual)):
        if expected.get(rel) != actual.get(rel):
            out.append("%s: Mistral %s, wfengine %s" % (
                rel, expected.get(rel), actual.get(rel)))
    return out
