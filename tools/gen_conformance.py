#!/usr/bin/env python3
"""Write the generated conformance cases: combinations of language features.

    python tools/gen_conformance.py            # (re)writes the files
    python tools/gen_conformance.py --check    # exit 1 if they are stale

Each family below crosses a few features (transitions x task outcomes,
retry policies, with-items x concurrency, sub-workflows x handlers, engine
commands, publish forms, joins, expression errors, waits) and writes one
case file per combination under ``tests/functional/conformance/generated/``
(format: ``tests/functional/differential.py``). The cases have no
expectations of their own: ``tools/differential.py --record`` stores what
Mistral 23.0.0 does with each, and ``test_differential.py`` holds wfengine
to it. Deterministic: the same code writes the same files.
"""
import argparse
import itertools
import os
import sys

import yaml

import conformance_families
import conformance_families_run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "functional", "conformance", "generated")

OK_ACTION = 'std.echo output="done"'
FAIL_ACTION = "std.fail"


# The workflow text and the case of one combination (shared with the
# families of conformance_families*.py).
_wf = conformance_families.workflow_text
_case = conformance_families.make_case


# --------------------------------------------------------------------------
# Families
# --------------------------------------------------------------------------

HANDLERS = {
    "none": {},
    "success": {"on-success": ["next"]},
    "error": {"on-error": ["next"]},
    "complete": {"on-complete": ["next"]},
    "success_error": {"on-success": ["next"], "on-error": ["other"]},
    "error_complete": {"on-error": ["next"], "on-complete": ["other"]},
    "conditional_error": {"on-error": [{"next": "<% false %>"}]},
    "error_to_fail": {"on-error": ["fail"]},
}


def transitions():
    for (outcome, action), (hname, handlers) in itertools.product(
            (("ok", OK_ACTION), ("fails", FAIL_ACTION)), HANDLERS.items()):
        name = "g_tr_%s_%s" % (outcome, hname)
        tasks = {"first": dict({"action": action}, **handlers),
                 "next": {"action": "std.noop"},
                 "other": {"action": "std.noop"}}
        yield _case("transitions_%s_%s" % (outcome, hname),
                    "A task that %s, with handlers: %s." % (
                        "succeeds" if outcome == "ok" else "fails", hname),
                    name, {"tasks": tasks})


def retries():
    combos = itertools.product((1, 2), (("ok", OK_ACTION),
                                        ("fails", FAIL_ACTION)),
                               ("plain", "break_on", "continue_on",
                                "expression_count"))
    for count, (outcome, action), extra in combos:
        retry = {"count": count, "delay": 0}
        if extra == "break_on":
            retry["break-on"] = "<% true %>"
        elif extra == "continue_on":
            retry["continue-on"] = "<% task().result = 'done' %>"
        elif extra == "expression_count":
            retry["count"] = "<% $.n %>"
        name = "g_retry_%d_%s_%s" % (count, outcome, extra)
        body = {"input": [{"n": count}], "tasks": {
            "t": {"action": action, "retry": retry,
                  "on-complete": ["after"]},
            "after": {"action": "std.noop"}}}
        yield _case("retry_%d_%s_%s" % (count, outcome, extra),
                    "retry count %d (%s) on a task that %s." % (
                        count, extra, "succeeds" if outcome == "ok"
                        else "fails"), name, body)


def with_items():
    combos = itertools.product((0, 1, 3), (None, 1, 2),
                               ("echo", "fail", "two_lists"))
    for size, concurrency, kind in combos:
        name = "g_wi_%d_%s_%s" % (size, concurrency or "all", kind)
        items = list(range(1, size + 1))
        task = {"with-items": "x in <% $.items %>",
                "action": 'std.echo output="<% $.x %>"',
                "publish": {"got": "<% task().result %>"},
                "on-error": ["handled"]}
        if kind == "fail":
            task["action"] = FAIL_ACTION
        elif kind == "two_lists":
            task["with-items"] = ["x in <% $.items %>",
                                  "y in <% $.items.select($ * 10) %>"]
            task["action"] = 'std.echo output="<% $.x %>-<% $.y %>"'
        if concurrency:
            task["concurrency"] = concurrency
        body = {"input": ["items"], "output": {"got": "<% $.get(got) %>"},
                "tasks": {"each": task, "handled": {"action": "std.noop"}}}
        yield _case("with_items_%d_%s_%s" % (size, concurrency or "all",
                                             kind),
                    "with-items over %d item(s), concurrency %s, %s." % (
                        size, concurrency, kind), name, body,
                    start_input={"items": items})


def subworkflows():
    combos = itertools.product(("ok", "fails"),
                               ("none", "error", "complete", "publish"),
                               ("plain", "input"))
    for child, handler, form in combos:
        parent = "g_sub_%s_%s_%s" % (child, handler, form)
        child_name = parent + "_child"
        call = {"workflow": child_name}
        if form == "input":
            call["input"] = {"v": "<% $.v %>"}
        if handler == "error":
            call["on-error"] = ["handled"]
        elif handler == "complete":
            call["on-complete"] = ["handled"]
        elif handler == "publish":
            call["publish"] = {"got": "<% task().result %>"}
            call["publish-on-error"] = {"err": "<% task().state %>"}
        child_task = {"action": FAIL_ACTION if child == "fails"
                      else 'std.echo output="<% $.v %>"',
                      "publish": {"out": "<% task().result %>"}}
        child_body = {"input": [{"v": "inner"}],
                      "output": {"out": "<% $.out %>"},
                      "tasks": {"t": child_task}}
        parent_body = {"input": [{"v": "outer"}],
                       "tasks": {"call": call,
                                 "handled": {"action": "std.noop"}}}
        text = _wf(parent, parent_body) + _wf(child_name, child_body).split(
            "\n", 1)[1]
        yield "subworkflow_%s_%s_%s" % (child, handler, form), {
            "description": "A sub-workflow that %s, parent handler %s, "
                           "called %s." % (child, handler, form),
            "workflow": text, "start": {"workflow_name": parent}}


def engine_commands():
    combos = itertools.product(("succeed", "fail"),
                               ("on-success", "on-error", "on-complete"),
                               ("bare", "msg"))
    for command, clause, form in combos:
        name = "g_cmd_%s_%s_%s" % (command, clause.replace("-", "_"), form)
        action = FAIL_ACTION if clause == "on-error" else OK_ACTION
        target = command if form == "bare" else \
            '%s msg="said by %s"' % (command, clause)
        body = {"output": {"o": "<% $.get(o) %>"},
                "tasks": {"a": {"action": action, "publish": {"o": 1},
                                clause: [target, "later"]},
                          "later": {"action": "std.noop"}}}
        yield _case("command_%s_%s_%s" % (command, clause.replace("-", "_"),
                                          form),
                    "The %s command (%s) in %s." % (command, form, clause),
                    name, body)


def publishes():
    forms = {
        "task": {"publish": {"p": "<% task().result %>"}},
        "on_error_task": {"publish-on-error": {"p": "<% task().state %>"}},
        "both": {"publish": {"p": "ok"}, "publish-on-error": {"p": "bad"}},
        "clause": {"on-success": {"publish": {"p": "<% task().result %>"},
                                  "next": ["after"]}},
        "clause_error": {"on-error": {"publish": {"p": "<% task().state %>"},
                                      "next": ["after"]}},
        "clause_complete": {"on-complete": {"publish": {"p": "complete"},
                                            "next": ["after"]}},
        "expression_value": {"publish": {
            "p": "<% [1, 2, 3].select($ * 2) %>",
            "q": "{{ [1, 2] | length }}"}},
        "nested": {"publish": {"p": {"deep": ["<% 1 + 1 %>", "text"]}}},
    }
    for (fname, form), (outcome, action) in itertools.product(
            forms.items(), (("ok", OK_ACTION), ("fails", FAIL_ACTION))):
        name = "g_pub_%s_%s" % (fname, outcome)
        task = dict({"action": action}, **form)
        body = {"output": {"p": "<% $.get(p) %>", "q": "<% $.get(q) %>"},
                "tasks": {"t": task, "after": {"action": "std.noop"}}}
        yield _case("publish_%s_%s" % (fname, outcome),
                    "Publish form %s on a task that %s." % (
                        fname, "succeeds" if outcome == "ok" else "fails"),
                    name, body)


def joins():
    for join, failing in itertools.product(("all", "one", 2),
                                           ("none", "handled", "unhandled")):
        name = "g_join_%s_%s" % (join, failing)
        branch_c = {"action": FAIL_ACTION if failing != "none"
                    else OK_ACTION, "on-success": ["j"],
                    "publish": {"c": 3}}
        if failing == "handled":
            branch_c["on-error"] = ["handler"]
        body = {"output": {"seen": "<% [$.get(a), $.get(b), $.get(c)] %>"},
                "tasks": {
                    "a": {"action": OK_ACTION, "publish": {"a": 1},
                          "on-success": ["j"]},
                    "b": {"action": OK_ACTION, "publish": {"b": 2},
                          "on-success": ["j"]},
                    "c": branch_c,
                    "handler": {"action": "std.noop"},
                    "j": {"join": join, "action": "std.noop"}}}
        yield _case("join_%s_%s" % (join, failing),
                    "join %s over three branches, third %s." % (
                        join, failing), name, body)


def expression_errors():
    places = {
        "action_input": {"action": "std.echo output=<% $.no.where %>"},
        "publish": {"action": OK_ACTION, "publish": {"x": "<% $.no.where %>"}},
        "condition": {"action": OK_ACTION,
                      "on-success": [{"next": "<% $.no.where %>"}]},
        "with_items": {"with-items": "i in <% $.no.where %>",
                       "action": "std.noop"},
        "action_name": {"action": "<% $.no.where %>"},
        "jinja_input": {"action": "std.echo output={{ _.no.where }}"},
        "keep_going": {"action": OK_ACTION, "publish": {
            "x": "<% $.get(nothing, 5) %>"}},
    }
    for (pname, task), handler in itertools.product(
            places.items(), ("none", "on_error")):
        name = "g_experr_%s_%s" % (pname, handler)
        task = dict(task)
        if handler == "on_error":
            task["on-error"] = ["handled"]
        body = {"tasks": {"t": task, "next": {"action": "std.noop"},
                          "handled": {"action": "std.noop"}}}
        yield _case("expression_error_%s_%s" % (pname, handler),
                    "An expression error in %s, %s." % (pname, handler),
                    name, body)


def outputs():
    variants = {
        "literal": {"output": {"a": 1, "b": "two"}},
        "from_input": {"input": [{"x": 5}], "output": {"y": "<% $.x * 2 %>"}},
        "vars": {"vars": {"v": "<% 3 %>"}, "output": {"v": "<% $.v %>"}},
        "missing_var": {"output": {"v": "<% $.nothing %>"}},
        "on_error_spec": {"output-on-error": {"why": "broke"}},
        "jinja": {"input": [{"x": "a"}],
                  "output": {"y": "{{ _.x | upper }}"}},
        "task_function": {"output": {"s": "<% task(t).state %>"}},
        "execution_input": {"input": [{"x": 1}],
                            "output": {"i": "<% execution().input %>"}},
    }
    for (vname, extra), (outcome, action) in itertools.product(
            variants.items(), (("ok", OK_ACTION), ("fails", FAIL_ACTION))):
        name = "g_out_%s_%s" % (vname, outcome)
        body = dict(extra, tasks={"t": {"action": action}})
        yield _case("output_%s_%s" % (vname, outcome),
                    "Workflow output %s, task %s." % (vname, outcome),
                    name, body)


def waits():
    variants = {
        "wait_before": {"wait-before": 1},
        "wait_after": {"wait-after": 1},
        "timeout_ok": {"timeout": 5},
        "timeout_hit": {"timeout": 1, "action": "std.sleep seconds=3"},
        "retry_delay": {"action": FAIL_ACTION,
                        "retry": {"count": 1, "delay": 1}},
        "wait_before_expr": {"wait-before": "<% 1 %>"},
    }
    for vname, extra in variants.items():
        name = "g_wait_%s" % vname
        task = dict({"action": OK_ACTION, "on-complete": ["after"]}, **extra)
        body = {"tasks": {"t": task, "after": {"action": "std.noop"}}}
        yield _case("wait_%s" % vname, "Task policy %s." % vname, name,
                    body, final={"timeout": 20})


def policy_combos():
    combos = itertools.product((0, 1), (None, 1), ("ok", "fails"),
                               (None, 5))
    for wait, retry, outcome, timeout in combos:
        name = "g_pol_w%d_r%s_%s_t%s" % (wait, retry or 0, outcome,
                                         timeout or 0)
        task = {"action": OK_ACTION if outcome == "ok" else FAIL_ACTION,
                "on-complete": ["after"]}
        if wait:
            task["wait-before"] = wait
        if retry:
            task["retry"] = {"count": retry, "delay": 0}
        if timeout:
            task["timeout"] = timeout
        body = {"tasks": {"t": task, "after": {"action": "std.noop"}}}
        yield _case("policies_wait%d_retry%s_%s_timeout%s" % (
            wait, retry or 0, outcome, timeout or 0),
            "wait-before %d, retry %s, timeout %s on a task that %s." % (
                wait, retry, timeout, outcome), name, body,
            final={"timeout": 20})


def with_items_subworkflows():
    for size, child, concurrency in itertools.product(
            (0, 2), ("ok", "fails"), (None, 1)):
        parent = "g_wisub_%d_%s_%s" % (size, child, concurrency or "all")
        call = {"with-items": "x in <% $.xs %>",
                "workflow": parent + "_child x=<% $.x %>",
                "publish": {"got": "<% task().result %>"},
                "on-error": ["handled"]}
        if concurrency:
            call["concurrency"] = concurrency
        child_body = {"input": ["x"], "output": {"y": "<% $.x %>"},
                      "tasks": {"t": {"action": FAIL_ACTION if child ==
                                      "fails" else "std.noop"}}}
        parent_body = {"input": [{"xs": list(range(size))}],
                       "output": {"got": "<% $.get(got) %>"},
                       "tasks": {"each": call,
                                 "handled": {"action": "std.noop"}}}
        text = _wf(parent, parent_body) + _wf(
            parent + "_child", child_body).split("\n", 1)[1]
        yield "with_items_subworkflow_%d_%s_%s" % (
            size, child, concurrency or "all"), {
            "description": "with-items over %d sub-workflow(s) that %s, "
                           "concurrency %s." % (size, child, concurrency),
            "workflow": text, "start": {"workflow_name": parent}}


def with_items_retries():
    for outcome, concurrency in itertools.product(("ok", "fails"),
                                                  (None, 1)):
        name = "g_wiretry_%s_%s" % (outcome, concurrency or "all")
        task = {"with-items": "x in <% [1, 2] %>",
                "action": OK_ACTION if outcome == "ok" else FAIL_ACTION,
                "retry": {"count": 1, "delay": 0}}
        if concurrency:
            task["concurrency"] = concurrency
        yield _case("with_items_retry_%s_%s" % (outcome,
                                                concurrency or "all"),
                    "with-items with retry, items that %s, concurrency %s."
                    % (outcome, concurrency), name, {"tasks": {"t": task}})


def scoped_publishes():
    for clause, outcome in itertools.product(
            ("on-success", "on-error", "on-complete"), ("ok", "fails")):
        name = "g_scoped_%s_%s" % (clause.replace("-", "_"), outcome)
        task = {"action": OK_ACTION if outcome == "ok" else FAIL_ACTION,
                clause: {"publish": {"branch": {"b": "<% task().state %>"},
                                     "global": {"g": 1}},
                         "next": ["after"]}}
        body = {"output": {"b": "<% $.get(b) %>"},
                "tasks": {"t": task, "after": {
                    "action": "std.echo output=<% $.get(b) %>",
                    "publish": {"seen": "<% task().result %>"}}}}
        yield _case("publish_scoped_%s_%s" % (clause.replace("-", "_"),
                                              outcome),
                    "A scoped publish (branch, global) in %s, task %s." % (
                        clause, outcome), name, body)


def pause_commands():
    for clause, form in itertools.product(
            ("on-success", "on-error", "on-complete"), ("bare", "msg")):
        name = "g_pause_%s_%s" % (clause.replace("-", "_"), form)
        action = FAIL_ACTION if clause == "on-error" else OK_ACTION
        target = "pause" if form == "bare" else 'pause msg="wait here"'
        body = {"tasks": {"a": {"action": action, clause: [target, "b"]},
                          "b": {"action": "std.noop"}}}
        yield _case("command_pause_%s_%s" % (clause.replace("-", "_"),
                                             form),
                    "The pause command (%s) in %s, then a resume." % (
                        form, clause), name, body,
                    steps=[{"wait_state": "PAUSED"},
                           {"request": {"method": "PUT",
                                        "path": "/executions/{ex}",
                                        "json": {"state": "RUNNING"}}}])


def keep_results():
    for keep, items in itertools.product((True, False), (False, True)):
        name = "g_keep_%s_%s" % (str(keep).lower(),
                                 "items" if items else "single")
        task = {"action": 'std.echo output="kept"', "keep-result": keep,
                "publish": {"r": "<% task().result %>"}}
        if items:
            task["with-items"] = "x in <% [1, 2] %>"
        body = {"output": {"r": "<% $.r %>"}, "tasks": {"t": task}}
        yield _case("keep_result_%s_%s" % (str(keep).lower(),
                                           "items" if items else "single"),
                    "keep-result %s on a %s task, its result published." % (
                        keep, "with-items" if items else "single"),
                    name, body)


FAMILIES = (transitions, retries, with_items, subworkflows, engine_commands,
            publishes, joins, expression_errors, outputs, waits,
            policy_combos, with_items_subworkflows, with_items_retries,
            scoped_publishes, pause_commands, keep_results,
            conformance_families.definitions,
            conformance_families.validations,
            conformance_families.workbooks,
            conformance_families.refused_requests,
            conformance_families.lifecycle,
            conformance_families.task_reruns) + \
    conformance_families_run.RUN_FAMILIES


def cases():
    for family in FAMILIES:
        yield from family()


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the workflow texts) as literal blocks."""


def _str(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value,
                                   style=style)


_Dumper.add_representer(str, _str)


def _text(case):
    return yaml.dump(case, Dumper=_Dumper, sort_keys=False,
                     default_flow_style=False, width=200)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    wanted = {"%s.yaml" % cid: _text(case) for cid, case in cases()}
    os.makedirs(OUT, exist_ok=True)
    present = {n for n in os.listdir(OUT) if n.endswith(".yaml")}
    stale = sorted(n for n, t in wanted.items() if not os.path.exists(
        os.path.join(OUT, n)) or open(os.path.join(OUT, n)).read() != t)
    stale += sorted(present - set(wanted))
    if args.check:
        print("\n".join(stale) or "up to date")
        return 1 if stale else 0
    for name in present - set(wanted):
        os.remove(os.path.join(OUT, name))
        golden = os.path.join(OUT, name[:-5] + ".golden.json")
        if os.path.exists(golden):
            os.remove(golden)
    for name, text in wanted.items():
        with open(os.path.join(OUT, name), "w") as f:
            f.write(text)
    print("%d generated cases in %s" % (len(wanted), OUT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
