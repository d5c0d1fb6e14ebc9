from oslo_config import cfg

GROUP = cfg.OptGroup("database", title="Database options")

OPTS = [
    cfg.StrOpt("connection", secret=True,
               default="sqlite:///wfengine.sqlite",
               help="SQLAlchemy URL of the database, e.g. "
                    "postgresql+psycopg2://user@127.0.0.1/wfengine. "
                    "PostgreSQL through psycopg (3) is "
                    "postgresql+psycopg://... (pip install "
                    "'wfengine[psycopg]'): see the performance "
                    "documentation for what each driver costs."),
    cfg.IntOpt("max_pool_size", default=10, min=1,
               help="Connections kept in the pool per process."),
    cfg.IntOpt("max_overflow", default=20, min=0,
               help="Connections allowed beyond the pool size."),
    cfg.IntOpt("max_retries", default=10, min=0,
               help="Times a unit of work is retried after a transient "
                    "database error (deadlock, serialization failure, "
                    "lost connection) before the error is raised."),
    cfg.FloatOpt("idle_in_transaction_timeout", default=120.0, min=0.0,
                 help="PostgreSQL: seconds a session of this process may "
                      "sit idle inside a transaction before the server "
                      "ends it (0: never). A process that vanished "
                      "without its connection being closed (a lost host, "
                      "a network cut) would otherwise hold the locks of "
                      "its transaction, and stall every execution they "
                      "cover, until TCP gives up on it (hours). Keep it "
                      "well above the longest unit of work."),
    cfg.BoolOpt("auto_upgrade", default=False,
                help="Migrate the database to the latest schema at start "
                     "(the embedded default turns this on)."),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)
