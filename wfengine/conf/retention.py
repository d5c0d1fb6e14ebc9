"""``[retention]``: how long bookkeeping rows are kept.

Events, delivery records, orphaned outbox rows, the heartbeats of
executors long gone and old start tickets are removed in small batches
by the engine holding the retention lease, every ``interval`` seconds.
``0`` keeps rows for ever.
"""
from oslo_config import cfg

GROUP = cfg.OptGroup("retention", title="Retention of bookkeeping rows")

OPTS = [
    cfg.IntOpt("interval", default=3600, min=1,
               help="Seconds between two retention passes (the execution "
                    "expiration policy has its own evaluation_interval)."),
    cfg.IntOpt("events_older_than", default=0, min=0,
               help="Hours after which events already fanned out to their "
                    "targets are removed (none with a pending delivery); "
                    "0 keeps them."),
    cfg.IntOpt("deliveries_older_than", default=0, min=0,
               help="Hours after which finished delivery records "
                    "(DELIVERED, FAILED) are removed; 0 keeps them."),
    cfg.IntOpt("outbox_orphans_older_than", default=24, min=0,
               help="Hours after which outbox rows about executions that "
                    "no longer exist are removed (live rows never are); 0 "
                    "keeps them."),
    cfg.IntOpt("heartbeats_older_than", default=24, min=0,
               help="Hours after which the heartbeat row of an executor "
                    "silent that long, with no action RUNNING on it, is "
                    "removed; 0 keeps them."),
    cfg.IntOpt("start_tickets_older_than", default=1, min=0,
               help="Hours after which start tickets are removed: the rows "
                    "on which the API and the engines decide a start that "
                    "no engine answered within [api] engine_answer_timeout "
                    "(one per start through the API of a deployment with "
                    "a message broker). Keep it well above the time a "
                    "start message can live ([DEFAULT] "
                    "rpc_response_timeout) plus the time an engine may "
                    "retry a start's unit of work; 0 keeps them."),
    cfg.IntOpt("chunk_size", default=200, min=1,
               help="Rows (or executions) removed per transaction."),
    cfg.FloatOpt("chunk_pause", default=0.05, min=0.0,
                 help="Seconds to wait at least between two chunks, "
                      "leaving the database to the work that matters."),
    cfg.FloatOpt("chunk_share", default=0.5, min=0.01, max=1.0,
                 help="At most this share of a pass's time is spent inside "
                      "chunk transactions: after a chunk that took t "
                      "seconds the pass waits t * (1 - share) / share "
                      "(at least chunk_pause), so a database slowed by "
                      "other work gets longer breaks. 1.0 waits only "
                      "chunk_pause."),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)
