"""Generated conformance families that run workflows (issue 16, round 3).

Expression functions of YAQL and Jinja, action executions run directly and
completed by hand, policies that hold or pause tasks, and fan-out
transitions. See ``conformance_families.py`` for the refused definitions
and requests; both feed ``gen_conformance.py``.
"""
import itertools

from conformance_families import make_case as _case

OK_ACTION = 'std.echo output="done"'
FAIL_ACTION = "std.fail"

YAQL = {
    "len_list": "len([1, 2, 3])",
    "len_string": "len('abcd')",
    "str_number": "str(42)",
    "int_string": "int('7')",
    "float_string": "float('1.5')",
    "keys": "$.d.keys()",
    "values": "$.d.values()",
    "dict_build": "dict(a => 1, b => 2)",
    "dict_set": "$.d.set(c => 3)",
    "list_range": "range(0, 4).toList()",
    "order_by": "[3, 1, 2].orderBy($)",
    "where": "[1, 2, 3, 4].where($ > 2)",
    "select": "[1, 2].select($ * 10)",
    "distinct": "[1, 1, 2].distinct()",
    "sum": "[1, 2, 3].sum()",
    "max": "[4, 9, 2].max()",
    "join": "['a', 'b'].join('-')",
    "split": "'a,b,c'.split(',')",
    "replace": "'hello'.replace('l', 'L')",
    "regex": "regex('h(.)llo').search('hello')",
    "format": "'{0}-{1}'.format(1, 'x')",
    "upper": "'abc'.toUpper()",
    "concat_lists": "[1] + [2]",
    "dict_merge": "{a => 1} + {b => 2}",
    "in_list": "2 in [1, 2]",
    "ternary": "switch(1 > 2 => 'a', true => 'b')",
    "coalesce": "$.get(nothing, 'dflt')",
    "first": "[5, 6].first()",
    "last": "[5, 6].last()",
    "any": "[false, true].any($)",
    "all": "[true, true].all($)",
    "to_json": "json_dump($.d)",
    "from_json": "json_parse('{\"a\": [1]}')",
    "yaml_parse": "yaml_parse('a: 1')",
    "yaml_dump": "yaml_dump($.d)",
    "execution_input": "execution().input.d",
    "execution_state": "execution().state",
    "task_state": "task(a).state",
    "task_result": "task(a).result",
    "tasks_count": "len(tasks())",
    "env_missing": "env().get(k, 'none')",
    "string_mul": "'ab' * 2",
    "division": "7 / 2",
    "int_division": "7 div 2",
    "modulo": "7 mod 3",
    "null_eq": "null = null",
    "dict_access_missing": "$.d.get(zz)",
    "nested_select": "$.d.items().select([$[0], $[1]])",
    "to_set": "[3, 3, 1].toSet().toList()",
    "min_by": "[{n => 2}, {n => 1}].orderBy($.n).first().n",
}

JINJA = {
    "length": "{{ [1, 2, 3] | length }}",
    "upper": "{{ 'abc' | upper }}",
    "join": "{{ ['a', 'b'] | join('-') }}",
    "default": "{{ _.nothing | default('dflt') }}",
    "int": "{{ '7' | int }}",
    "sum": "{{ [1, 2, 3] | sum }}",
    "sort": "{{ [3, 1, 2] | sort }}",
    "dict_items": "{{ _.d.items() | list }}",
    "tojson": "{{ _.d | tojson }}",
    "replace": "{{ 'hello' | replace('l', 'L') }}",
    "if_else": "{{ 'yes' if 1 > 0 else 'no' }}",
    "loop": "{% for i in [1, 2] %}{{ i }}{% endfor %}",
    "math": "{{ 7 // 2 }}",
    "first": "{{ [5, 6] | first }}",
    "unique": "{{ [1, 1, 2] | unique | list }}",
    "map_attr": "{{ [{'n': 1}, {'n': 2}] | map(attribute='n') | list }}",
    "select_attr": "{{ [1, 2, 3] | select('odd') | list }}",
    "string_concat": "{{ 'a' ~ 1 }}",
    "task_state": "{{ task('a').state }}",
    "execution_input": "{{ execution().input.d }}",
    "env_missing": "{{ env().k | default('none') }}",
    "number_text": "{{ 42 }}",
    "bool_text": "{{ true }}",
    "none_text": "{{ none }}",
    "dict_literal": "{{ {'a': 1} }}",
    "json_parse": "{{ json_parse('[1, 2]') }}",
    "yaml_dump": "{{ yaml_dump(_.d) }}",
}


def _expression_case(kind, key, expression):
    name = "g2_%s_%s" % (kind, key)
    text = "<%% %s %%>" % expression if kind == "yaql" else expression
    body = {"input": [{"d": {"a": 1, "b": 2}}],
            "output": {"v": "<% $.v %>"},
            "tasks": {"a": {"action": OK_ACTION, "on-success": ["b"]},
                      "b": {"action": "std.noop", "publish": {"v": text}}}}
    return _case("expression_%s_%s" % (kind, key),
                 "The %s expression %s in a publish." % (kind, expression),
                 name, body)


def expressions():
    for key, expression in YAQL.items():
        yield _expression_case("yaql", key, expression)
    for key, expression in JINJA.items():
        yield _expression_case("jinja", key, expression)


ACTION_RUNS = {
    "echo": {"name": "std.echo", "input": '{"output": "hi"}'},
    "echo_dict": {"name": "std.echo", "input": '{"output": {"a": [1]}}'},
    "noop": {"name": "std.noop"},
    "fail": {"name": "std.fail"},
    "fail_msg": {"name": "std.fail", "input": '{"error_data": "why"}'},
    "echo_missing_input": {"name": "std.echo"},
    "echo_async": {"name": "std.echo", "input": '{"output": 1}',
                   "params": '{"run_sync": false}'},
    "echo_saved": {"name": "std.echo", "input": '{"output": 2}',
                   "params": '{"save_result": true}'},
    "async_noop": {"name": "std.async_noop"},
    "sleep": {"name": "std.sleep", "input": '{"seconds": 0}'},
    "javascript_missing": {"name": "std.js", "input": '{"script": "1"}'},
    "http_ok": {"name": "std.http", "input": '{"url": "@STUB@/ok"}'},
    "http_fail": {"name": "std.http", "input": '{"url": "@STUB@/fail"}'},
    "adhoc": {"name": "g2_adhoc_echo", "input": '{"word": "w"}'},
    "input_not_dict": {"name": "std.echo", "input": '"text"'},
}

ADHOC = ("version: '2.0'\ng2_adhoc_echo:\n  base: std.echo\n"
         "  base-input:\n    output: <% $.word %>!\n  input: [word]\n")


def action_runs():
    for key, body in ACTION_RUNS.items():
        case = {"description": "POST /action_executions: %s." % key,
                "compare": ["error_keys"],
                "steps": [{"request": {"method": "POST",
                                       "path": "/action_executions",
                                       "json": body,
                                       "fields": ["state", "output",
                                                  "name"]}}]}
        if key == "adhoc":
            case["actions"] = ADHOC
        if key == "echo_saved":
            # Run in the background: the answer shows the state at the
            # time of the answer (Mistral RUNNING; an embedded wfengine
            # may have finished std.echo already).
            case["ignore"] = ["steps.0.fields.state",
                              "steps.0.fields.output"]
        if key.startswith("http"):
            case["http"] = True     # the response's clock and timing vary
            case["ignore"] = ["steps.*.fields.output.result.elapsed",
                              "steps.*.fields.output.result.headers.Date"]
        yield "action_run_%s" % key, case


COMPLETIONS = {
    "success_dict": {"state": "SUCCESS", "output": '{"r": 1}'},
    "success_json_list": {"state": "SUCCESS", "output": "[1, 2]"},
    "success_no_output": {"state": "SUCCESS"},
    "error_dict": {"state": "ERROR", "output": '{"why": "broke"}'},
    "error_no_output": {"state": "ERROR"},
    "cancelled": {"state": "CANCELLED"},
    "paused": {"state": "PAUSED"},
    "running": {"state": "RUNNING"},
    "bogus_state": {"state": "FINE"},
    "output_only": {"output": '{"r": 2}'},
}


def completions():
    """An async action completed by hand, with each body."""
    for (key, body), handler in itertools.product(
            COMPLETIONS.items(), ("none", "on_error")):
        name = "g2_complete_%s_%s" % (key, handler)
        task = {"action": "std.async_noop",
                "publish": {"got": "<% task().result %>"}}
        if handler == "on_error":
            task["on-error"] = ["handled"]
        wf = {"output": {"got": "<% $.get(got) %>"},
              "tasks": {"a": task, "handled": {"action": "std.noop"}}}
        steps = [{"wait_task": {"name": "a", "state": "RUNNING"}},
                 {"request": {"method": "PUT",
                              "path": "/action_executions/{action:a}",
                              "json": body, "fields": ["state"]}},
                 {"sleep": 0.5},
                 {"request": {"method": "PUT", "path": "/executions/{ex}",
                              "json": {"state": "CANCELLED"}}}]
        yield _case("complete_%s_%s" % (key, handler),
                    "An async action completed with %s, handler %s." % (
                        key, handler), name, wf, steps=steps,
                    final={"timeout": 10}, compare=["error_keys"])


def held_policies():
    """pause-before, wait-after and task-defaults crossed with outcomes."""
    combos = itertools.product(("pause_before", "wait_after", "defaults"),
                               ("ok", "fails"), ("single", "items"))
    for policy, outcome, shape in combos:
        name = "g2_held_%s_%s_%s" % (policy, outcome, shape)
        task = {"action": OK_ACTION if outcome == "ok" else FAIL_ACTION,
                "on-complete": ["after"],
                "publish": {"r": "<% task().result %>"}}
        if shape == "items":
            task["with-items"] = "x in <% [1, 2] %>"
        body = {"output": {"r": "<% $.get(r) %>"},
                "tasks": {"t": task, "after": {"action": "std.noop"}}}
        steps = []
        if policy == "pause_before":
            task["pause-before"] = True
            steps = [{"wait_state": "PAUSED"},
                     {"get": {"path": "/tasks/{task:t}",
                              "fields": ["state"]}},
                     {"request": {"method": "PUT",
                                  "path": "/executions/{ex}",
                                  "json": {"state": "RUNNING"}}}]
        elif policy == "wait_after":
            task["wait-after"] = 1
        else:
            body["task-defaults"] = {"retry": {"count": 1, "delay": 0},
                                     "timeout": 10, "wait-before": 0}
        yield _case("policy_%s_%s_%s" % (policy, outcome, shape),
                    "%s on a %s task that %s." % (policy, shape, outcome),
                    name, body, steps=steps, final={"timeout": 20})


def concurrency():
    for size, limit, outcome in itertools.product((1, 4), (1, 3, 10),
                                                  ("ok", "fails")):
        name = "g2_conc_%d_%d_%s" % (size, limit, outcome)
        task = {"with-items": "x in <%% range(%d).toList() %%>" % size,
                "action": 'std.echo output="<% $.x %>"' if outcome == "ok"
                else FAIL_ACTION,
                "concurrency": limit,
                "publish": {"r": "<% task().result %>"},
                "on-complete": ["after"]}
        body = {"output": {"r": "<% $.get(r) %>"},
                "tasks": {"t": task, "after": {"action": "std.noop"}}}
        yield _case("concurrency_%d_%d_%s" % (size, limit, outcome),
                    "with-items over %d items, concurrency %d, %s." % (
                        size, limit, outcome), name, body)


FANOUTS = {
    "two_targets": {"on-success": ["b", "c"]},
    "conditional_both_true": {"on-success": [{"b": "<% true %>"},
                                             {"c": "<% 1 = 1 %>"}]},
    "conditional_none_true": {"on-success": [{"b": "<% false %>"}]},
    "success_and_complete": {"on-success": ["b"], "on-complete": ["c"]},
    "same_target_twice": {"on-success": ["b"], "on-complete": ["b"]},
    "jinja_condition": {"on-success": [{"b": "{{ 1 > 0 }}"}]},
    "condition_on_result": {"on-success": [
        {"b": "<% task().result = 'done' %>"},
        {"c": "<% task().result != 'done' %>"}]},
    "command_then_task": {"on-success": ["succeed", "b"]},
    "task_then_fail": {"on-success": ["b", "fail"]},
    "next_publish_clause": {"on-success": {"publish": {"p": 1},
                                           "next": [{"b": "<% $.p = 1 %>"}]}},
}


# Fan-outs whose clause ends the workflow: ``a`` waits before it runs, so
# that the other start branch (c, and d when it does not join) has ended
# first on both engines. Without the wait the outcome is a race between
# a's engine command and c's transition, and a recorded outcome holds for
# neither engine.
ENDS_WORKFLOW = ("command_then_task", "task_then_fail")
COMMAND_WAIT = 2


def fanouts():
    for (key, clauses), join in itertools.product(FANOUTS.items(),
                                                  (None, "all")):
        name = "g2_fan_%s_%s" % (key, join or "nojoin")
        a = dict({"action": OK_ACTION}, **clauses)
        if key in ENDS_WORKFLOW:
            a["wait-before"] = COMMAND_WAIT
        d = {"action": "std.noop"}
        if join:
            d["join"] = join
        body = {"tasks": {"a": a,
                          "b": {"action": "std.noop", "on-success": ["d"]},
                          "c": {"action": "std.noop", "on-success": ["d"]},
                          "d": d}}
        yield _case("fanout_%s_%s" % (key, join or "nojoin"),
                    "Transitions %s, the meeting task %s." % (
                        key, "joins" if join else "does not join"),
                    name, body, final={"timeout": 15})


RUN_FAMILIES = (expressions, action_runs, completions, held_policies,
                concurrency, fanouts)
