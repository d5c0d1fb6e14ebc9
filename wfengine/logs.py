"""Logging set-up for the programs: files, levels, text or JSON lines.

``setup(conf, program)`` reads the oslo.log-named options of
``wfengine.conf.log``. Every handler gets two guards:

- the ids of the execution, task and action the line is about (see
  ``wfengine.logcontext``): appended to text lines, fields of JSON ones;
- a scrub of URLs in the final text: query strings and passwords in
  ``scheme://user:password@host`` become ``***``, so no token carried in
  a webhook or callback URL, and no broker password, reaches a log.
"""
import datetime
import json
import logging
import logging.config
import logging.handlers
import os
import re
import sys

from wfengine import logcontext

TEXT_FORMAT = ("%(asctime)s.%(msecs)03d %(process)d %(levelname)s "
               "%(name)s %(message)s%(ids)s")

_URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://)([^\s/?#@]*@)?"
                  r"([^\s?#\"']*)(\?[^\s#\"']*)?")


def scrub(text):
    """``text`` with URL passwords and query strings masked."""
    return _URL.sub(_scrub_one, text)


def _scrub_one(match):
    scheme, userinfo, rest, query = match.groups()
    if userinfo and ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***@"
    return "%s%s%s%s" % (scheme, userinfo or "", rest,
                         "?***" if query else "")


class ScrubbingFormatter(logging.Formatter):
    """Text lines, with the ids suffix and URLs scrubbed."""

    def format(self, record):
        return scrub(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record):
        entry = {
            "timestamp": datetime.datetime.fromtimestamp(
                record.created, datetime.timezone.utc).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
            "pid": record.process,
            "thread": record.threadName,
        }
        for name in logcontext.FIELDS:
            value = getattr(record, name, None)
            if value:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


def log_path(conf, program):
    """The log file the options ask for, or None for standard error."""
    if not conf.log_file and not conf.log_dir:
        return None
    name = conf.log_file or "%s.log" % program
    return os.path.join(conf.log_dir, name) if conf.log_dir else name


def setup(conf, program):
    """Configure the root logger from ``conf``.

    :raises ValueError: the log file or the logging configuration file
        can not be used (one line naming the option).
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    if conf.log_config_append:
        _from_file(conf.log_config_append)
    else:
        for handler in _handlers(conf, program):
            root.addHandler(handler)
        root.setLevel(logging.DEBUG if conf.debug else logging.INFO)
        _quiet(conf.default_log_levels)
    for handler in root.handlers:
        _guard(handler, conf)


def _from_file(path):
    if not os.path.isfile(path):
        raise ValueError("logging configuration file %s does not exist "
                         "([DEFAULT] log_config_append)" % path)
    try:
        logging.config.fileConfig(path, disable_existing_loggers=False)
    except Exception as e:
        raise ValueError("logging configuration file %s is not usable: %s "
                         "([DEFAULT] log_config_append)" % (path, e)) from e


def _handlers(conf, program):
    path = log_path(conf, program)
    if path is None:
        return [logging.StreamHandler(sys.stderr)]
    try:
        handlers = [logging.handlers.WatchedFileHandler(path)]
    except OSError as e:
        raise ValueError("cannot write the log file %s: %s ([DEFAULT] "
                         "log_file, log_dir)" % (path, e.strerror)) from e
    if conf.use_stderr and sys.stderr.isatty():
        handlers.append(logging.StreamHandler(sys.stderr))
    return handlers


def _guard(handler, conf):
    handler.addFilter(logcontext.ContextFilter())
    if conf.log_config_append:
        formatter = handler.formatter or logging.Formatter()
        handler.setFormatter(_Scrubbed(formatter))
    elif conf.use_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(ScrubbingFormatter(TEXT_FORMAT,
                                                conf.log_date_format))


class _Scrubbed(logging.Formatter):
    """Scrubs what an operator's own formatter wrote."""

    def __init__(self, inner):
        super().__init__()
        self._inner = inner

    def format(self, record):
        return scrub(self._inner.format(record))


def _quiet(pairs):
    for pair in pairs:
        name, _, level = pair.partition("=")
        if name and level:
            logging.getLogger(name.strip()).setLevel(level.strip().upper())
