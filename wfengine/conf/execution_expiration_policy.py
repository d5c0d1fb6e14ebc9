"""``[execution_expiration_policy]``: Mistral's options, Mistral's names.

Finished root executions (with their sub-workflows, tasks and action
executions) are deleted once older than ``older_than`` minutes, and
beyond the ``max_finished_executions`` newest, every
``evaluation_interval`` minutes, by one engine at a time.
"""
from oslo_config import cfg

from wfengine import state_names

GROUP = cfg.OptGroup("execution_expiration_policy",
                     title="Expiration of finished executions")

FINAL_STATES = state_names.RESULTS

OPTS = [
    cfg.IntOpt("evaluation_interval", min=1,
               help="Minutes between two evaluations of the policy; unset "
                    "(the default) turns the policy off. Only executions "
                    "in a final state (SUCCESS, ERROR, CANCELLED) are "
                    "removed."),
    cfg.IntOpt("older_than", min=1,
               help="Remove finished root executions last updated at "
                    "least this many minutes ago; unset: no age limit."),
    cfg.IntOpt("max_finished_executions", default=0, min=0,
               help="Keep at most this many finished root executions (the "
                    "most recently updated); 0: no count limit."),
    cfg.IntOpt("batch_size", default=0, min=0,
               help="Remove at most this many executions per evaluation; "
                    "0: all that qualify. Either way they are removed a "
                    "few per transaction, so no lock is held for long."),
    cfg.ListOpt("ignored_states", default=[],
                item_type=cfg.types.String(choices=FINAL_STATES),
                help="Final states whose executions the policy keeps "
                     "(e.g. ERROR, to keep failures for inspection)."),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)
