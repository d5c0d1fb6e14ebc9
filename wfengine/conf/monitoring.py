"""``[monitoring]``: health, readiness and metrics endpoints."""
from oslo_config import cfg

GROUP = cfg.OptGroup("monitoring", title="Health, readiness and metrics")

OPTS = [
    cfg.BoolOpt("api_endpoints", default=True,
                help="Serve /healthz, /readyz and /metrics on the API's "
                     "port. The probes never ask for credentials; "
                     "/metrics does only with metrics_require_auth."),
    cfg.BoolOpt("metrics_require_auth", default=False,
                help="Make /metrics on the API's port authenticate like "
                     "the API ([api] auth_strategy: a Keystone token or "
                     "an OpenID Connect bearer token) and pass the "
                     "policy rule metrics:get (administrators by "
                     "default). Off: /metrics answers everyone who "
                     "reaches the port; it tells no secret, but names "
                     "the workflows of every project. /healthz and "
                     "/readyz stay open either way. No effect with "
                     "auth_strategy = noauth (every caller is an admin "
                     "there), nor on status_port, which serves on "
                     "status_host (loopback by default)."),
    cfg.HostAddressOpt("status_host", default="127.0.0.1",
                       help="Address of the status endpoint of processes "
                            "that run no API (engine, executor, notifier)."),
    cfg.PortOpt("status_port", default=0,
                help="Port of that status endpoint (/healthz, /readyz, "
                     "/metrics); 0 turns it off. Give each process on a "
                     "host its own (e.g. --monitoring-status_port on the "
                     "command line)."),
    cfg.StrOpt("status_file", default="",
               help="A file this process rewrites with its status as JSON "
                    "(what /readyz answers: status ready, unready or "
                    "stopping, reasons, services, pid, written_at), "
                    "atomically, every status_file_interval seconds: an "
                    "alternative to the status endpoint for orchestrators "
                    "that probe with a command (a stale modification time "
                    "means a stuck or dead process). Empty: none. Give "
                    "each process its own (e.g. --monitoring-status_file "
                    "on the command line)."),
    cfg.FloatOpt("status_file_interval", default=5.0, min=0.5,
                 help="Seconds between two writes of the status file."),
    cfg.FloatOpt("check_timeout", default=2.0, min=0.1,
                 help="Seconds a readiness check waits for the database "
                      "or the broker before it calls them unready."),
    cfg.FloatOpt("check_cache", default=2.0, min=0.0,
                 help="Seconds a readiness result is reused, so that "
                      "frequent probes do not each open connections."),
    cfg.FloatOpt("database_gauges_interval", default=10.0, min=0.0,
                 help="Seconds the database gauges of /metrics (outbox "
                      "depth, pending deliveries, executor heartbeats) are "
                      "reused between scrapes; each refresh is a few "
                      "indexed queries."),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_cli_opts(OPTS, group=GROUP)
