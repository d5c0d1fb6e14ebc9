"""Logging options, named as oslo.log names them for Mistral operators.

All in ``[DEFAULT]`` and on the command line: ``--debug``/``-d``,
``--verbose``/``-v``, ``--log-file``, ``--log-dir``,
``--log-config-append``, ``--use-json``.
"""
from oslo_config import cfg

CLI_OPTS = [
    cfg.BoolOpt("debug", short="d", default=False,
                help="Log at DEBUG level (default INFO)."),
    cfg.BoolOpt("verbose", short="v", default=True,
                deprecated_for_removal=True,
                help="Accepted for oslo.log compatibility: INFO is the "
                     "default level; use --debug for more."),
    cfg.StrOpt("log-config-append", metavar="PATH",
               deprecated_name="log-config",
               help="A logging configuration file (Python's "
                    "logging.config.fileConfig format). When set, it "
                    "decides handlers and formats and the options below "
                    "are ignored; its format strings may use the record "
                    "attributes execution_id, task_id, action_id and ids."),
    cfg.StrOpt("log-file", metavar="PATH",
               help="Log to this file (reopened when logrotate moves it) "
                    "instead of standard error. Relative to --log-dir if "
                    "that is set."),
    cfg.StrOpt("log-dir", metavar="DIR",
               help="Directory of the log file; with no --log-file the "
                    "file is <program>.log there."),
    cfg.BoolOpt("use-json", default=False,
                help="Write one JSON object per line (timestamp, level, "
                     "logger, message, pid, execution_id, task_id, "
                     "action_id, exception) instead of text."),
]

OPTS = [
    cfg.BoolOpt("use_stderr", default=True,
                help="Also log to standard error when a log file is set."),
    cfg.StrOpt("log_date_format", default="%Y-%m-%d %H:%M:%S",
               help="strftime format of the time in text lines."),
    cfg.ListOpt("default_log_levels",
                default=["oslo_messaging=WARNING", "amqp=WARNING",
                         "kombu=WARNING", "cheroot=WARNING",
                         "urllib3=WARNING", "stevedore=WARNING",
                         "alembic=WARNING"],
                help="logger=LEVEL pairs for libraries that talk too much."),
]


def register_opts(conf):
    conf.register_cli_opts(CLI_OPTS)
    conf.register_opts(OPTS)


def list_opts():
    return CLI_OPTS + OPTS
