"""wfengine.logs and wfengine.logcontext: ids on lines, URLs scrubbed."""
import json
import logging
import types

import pytest

from wfengine import logcontext
from wfengine import logs


@pytest.mark.parametrize("text, expected", [
    ("POST https://hooks.example.com/in?token=s3cret failed",
     "POST https://hooks.example.com/in?*** failed"),
    ("rabbit://guest:pa55@10.0.0.1:5672/ down",
     "rabbit://guest:***@10.0.0.1:5672/ down"),
    ("postgresql+psycopg2://wf:pw@db/wfengine?sslmode=require",
     "postgresql+psycopg2://wf:***@db/wfengine?***"),
    ("http://example.com/path#frag stays", "http://example.com/path#frag "
     "stays"),
    ("no url here", "no url here"),
])
def test_scrub(text, expected):
    assert logs.scrub(text) == expected


def _conf(**overrides):
    values = dict(log_config_append=None, log_file=None, log_dir=None,
                  use_json=False, debug=False, use_stderr=False,
                  log_date_format="%Y-%m-%d %H:%M:%S",
                  default_log_levels=[])
    values.update(overrides)
    return types.SimpleNamespace(**values)


@pytest.fixture
def logfile(tmp_path):
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    yield tmp_path / "x.log"
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


def test_json_lines_carry_the_bound_ids(logfile):
    logs.setup(_conf(log_file=str(logfile), use_json=True), "test")
    log = logging.getLogger("wfengine.test")
    with logcontext.bound(execution_id="ex-1"):
        with logcontext.bound(action_id="ac-1"):
            log.info("calling https://h/x?key=CANARY")
        log.warning("after")
    log.info("unbound", extra=logcontext.ids(task_id="t-9"))
    lines = [json.loads(line) for line in
             logfile.read_text().splitlines()]
    assert [(e.get("execution_id"), e.get("action_id"), e.get("task_id"))
            for e in lines] == [("ex-1", "ac-1", None), ("ex-1", None, None),
                                (None, None, "t-9")]
    assert lines[0]["message"] == "calling https://h/x?***"
    assert "CANARY" not in logfile.read_text()


def test_text_lines_end_with_the_ids(logfile):
    logs.setup(_conf(log_dir=str(logfile.parent)), "prog")
    with logcontext.bound(execution_id="ex-2", task_id="t-2"):
        logging.getLogger("wfengine.test").info("hello")
    text = (logfile.parent / "prog.log").read_text()
    assert text.rstrip().endswith("hello [execution=ex-2 task=t-2]")


def test_unwritable_log_file_is_one_line(tmp_path, logfile):
    with pytest.raises(ValueError) as err:
        logs.setup(_conf(log_dir=str(tmp_path / "missing")), "prog")
    assert "log_file, log_dir" in str(err.value)
    assert "\n" not in str(err.value)


def test_logging_config_file_keeps_its_format_and_gets_ids(tmp_path,
                                                           logfile):
    out = tmp_path / "via-config.log"
    config = tmp_path / "logging.conf"
    config.write_text(
        "[loggers]\nkeys=root\n[handlers]\nkeys=file\n[formatters]\n"
        "keys=plain\n[logger_root]\nlevel=INFO\nhandlers=file\n"
        "[handler_file]\nclass=FileHandler\nformatter=plain\nargs=('%s',)\n"
        "[formatter_plain]\nformat=%%(execution_id)s|%%(message)s\n" % out)
    logs.setup(_conf(log_config_append=str(config)), "prog")
    with logcontext.bound(execution_id="ex-3"):
        logging.getLogger("wfengine.test").info("see amqp://u:p@h/")
    assert out.read_text().strip() == "ex-3|see amqp://u:***@h/"


def test_binding_reads_arguments():
    seen = []

    @logcontext.binding(execution_id="wf_ex.id", task_id="task_id")
    def work(wf_ex, task_id=None):
        seen.append(dict(logcontext.current()))

    work(types.SimpleNamespace(id="ex-4"), task_id="t-4")
    work(None)
    assert seen == [{"execution_id": "ex-4", "task_id": "t-4"}, {}]
    assert logcontext.current() == {}
