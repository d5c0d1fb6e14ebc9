"""Limits on what untrusted input may cost: expressions, documents,
stored fields and lists (DESIGN.md rule 9).

Options keep Mistral's names where Mistral has the limit
(``[engine] execution_field_size_limit_kb``, ``[api] max_limit``).
:func:`apply` hands the values to the pure modules that enforce them
(they read no configuration themselves); services call it at start-up.
"""
from oslo_config import cfg

from wfengine.core import expressions
from wfengine.core import fieldsize
from wfengine.core import yamlsafe

EXPRESSIONS_GROUP = cfg.OptGroup(
    "expressions", title="Limits of YAQL and Jinja expressions")

EXPRESSIONS_OPTS = [
    cfg.FloatOpt("time_limit", default=5.0, min=0.01,
                 help="Seconds of wall-clock time one evaluation may take "
                      "(all the expressions of one field: a task's input, "
                      "its publish, a condition). Work inside C code "
                      "(regular expressions, big numbers, joins) is bounded "
                      "too. An expression over it fails its task, or its "
                      "request at validation."),
    cfg.IntOpt("value_size_limit", default=1024 * 1024, min=1024,
               help="Largest value an expression may build or return, in "
                    "characters of text (numbers and containers count a "
                    "few each), while it runs. What is stored (published "
                    "variables, output) is bounded by [engine] "
                    "execution_field_size_limit_kb, in bytes of JSON."),
    cfg.IntOpt("limit_iterators", default=1000000, min=1000,
               help="Most elements of one collection a YAQL expression "
                    "may walk."),
    cfg.IntOpt("int_bits_limit", default=100000, min=64,
               help="Most bits of an integer an expression may build "
                    "(pow, **, *, shifts)."),
]

ENGINE_OPTS = [
    cfg.IntOpt("execution_field_size_limit_kb", default=1024, min=-1,
               help="Largest stored field of an execution, in KiB of the "
                    "JSON text it is stored as: an action's input and "
                    "result, a task's published variables, an execution's "
                    "input, params and output. A value over it is never "
                    "stored: it fails its action or task (an asynchronous "
                    "action's output too), or its request with 400. -1: "
                    "no limit (as in Mistral)."),
]

API_OPTS = [
    cfg.IntOpt("max_limit", default=1000, min=1,
               help="Largest page a list request may ask for with "
                    "'limit' (as Mistral's option of the same name)."),
    cfg.IntOpt("default_limit", default=100, min=1,
               help="Page size of a list request without 'limit'; a full "
                    "page has a 'next' link to the rest."),
    cfg.IntOpt("max_yaml_expanded_size", default=10 * 1024 * 1024,
               min=1024,
               help="Largest size a YAML document (a workflow, workbook or "
                    "action text, yaml_parse()) may expand to, in "
                    "characters plus 8 per node: an alias counts the whole "
                    "node it repeats."),
    cfg.IntOpt("max_document_depth", default=64, min=8,
               help="Deepest nesting of collections in a YAML document or "
                    "a JSON body (or json_parse()) argument."),
]


def register_opts(conf):
    conf.register_group(EXPRESSIONS_GROUP)
    conf.register_opts(EXPRESSIONS_OPTS, group=EXPRESSIONS_GROUP)
    conf.register_opts(ENGINE_OPTS, group="engine")
    conf.register_opts(API_OPTS, group="api")


def apply(conf):
    """Hand the limits of ``conf`` to the modules that enforce them."""
    group = conf.expressions
    expressions.configure(expressions.Limits(
        time_limit=group.time_limit, value_size=group.value_size_limit,
        iterators=group.limit_iterators, int_bits=group.int_bits_limit))
    yamlsafe.configure(yamlsafe.Limits(
        max_size=max(conf.api.max_request_body_size,
                     yamlsafe.Limits.max_size),
        max_expanded_size=conf.api.max_yaml_expanded_size,
        max_depth=conf.api.max_document_depth))
    fieldsize.configure(field_size_limit(conf))


def field_size_limit(conf):
    """``[engine] execution_field_size_limit_kb`` in bytes; None: none."""
    kb = conf.engine.execution_field_size_limit_kb
    return None if kb < 0 else kb * 1024
