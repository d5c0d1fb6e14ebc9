"""Workbooks: parsing, full names and local references."""
import pytest

from wfengine.core.lang import workbooks
from wfengine import exceptions

TEXT = """---
version: '2.0'
name: book
description: a book
tags: [x]
workflows:
  main:
    tasks:
      a:
        action: act
        on-success: [b]
      b:
        workflow: other
  other:
    tasks:
      t:
        action: std.noop
actions:
  act:
    base: base_act
  base_act:
    base: std.echo
"""


def test_parse_and_full_names():
    wb = workbooks.parse_workbook(TEXT)
    assert (wb.name, wb.description, wb.tags) == ("book", "a book", ("x",))
    assert [w.name for w in wb.workflows] == ["main", "other"]
    assert [a.name for a in wb.actions] == ["act", "base_act"]
    main = workbooks.workflow_dict(wb, wb.workflows[0])
    assert main["name"] == "book.main"
    tasks = {t["name"]: t for t in main["tasks"]}
    assert tasks["a"]["action"] == "book.act"
    assert tasks["b"]["workflow"] == "book.other"
    act = workbooks.action_dict(wb, wb.actions[0])
    assert (act["name"], act["base"]) == ("book.act", "book.base_act")
    assert "main:" in wb.workflow_texts["main"]


def test_problems_of_every_part_are_reported():
    text = TEXT.replace("base: std.echo", "bass: std.echo").replace(
        "on-success: [b]", "on-success: [zz]")
    with pytest.raises(exceptions.InvalidModelException) as err:
        workbooks.parse_workbook(text)
    joined = "\n".join(err.value.problems)
    assert "workflow 'main'" in joined and "zz" in joined
    assert "action 'base_act'" in joined and "bass" in joined


@pytest.mark.parametrize("text, word", [
    ("version: '2.0'\nworkflows: {}", "name"),
    ("version: '2.0'\nname: b\n", "no workflow"),
    ("version: '2.0'\nname: b\nfoo: 1\nactions: {a: {base: x}}", "foo"),
    ("version: '2.0'\nname: b\nworkflows: [1]", "workflows"),
])
def test_top_level_problems(text, word):
    assert word in "\n".join(workbooks.validate_workbook(text))
