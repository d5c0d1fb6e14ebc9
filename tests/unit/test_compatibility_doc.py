"""doc/source/compatibility.rst and conformance/known_differences.yaml agree.

Every case listed ``deliberate`` is named (by its id, or by a pattern with
``*``) under a "Deliberate differences" heading of the page, every case
listed ``known`` under a "Known differences found" heading, and every name
there is a case of that kind (so that an entry does not outlive its case,
nor a pattern claim cases that match Mistral). The counts the page quotes
are the current ones.
"""
import fnmatch
import os
import re

import pytest

from tests.functional import differential

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
PAGE = os.path.join(ROOT, "doc", "source", "compatibility.rst")
UNDERLINES = set("=-~^")
LITERAL = re.compile(r"``([^`]+)``")


def _sections():
    """``{title: text}`` of the page's sections (any heading level)."""
    with open(PAGE) as f:
        lines = f.read().splitlines()
    sections, title, body = {}, None, []
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if line.strip() and following and set(following) <= UNDERLINES \
                and len(following) >= len(line.strip()):
            if title is not None:
                sections[title] = "\n".join(body)
            title, body = line.strip(), []
            continue
        if set(line) <= UNDERLINES and line:
            continue
        body.append(line)
    if title is not None:
        sections[title] = "\n".join(body)
    return sections


CASE_IDS = sorted(c["id"] for c in differential.load_cases()
                  if differential.load_golden(c) is not None)
KNOWN = differential.load_known()


def _named(prefix):
    """The case names and patterns the sections titled ``prefix...``
    give."""
    names = set()
    for title, text in _sections().items():
        if not title.startswith(prefix):
            continue
        for literal in LITERAL.findall(text):
            if literal in CASE_IDS or ("*" in literal and fnmatch.filter(
                    CASE_IDS, literal)):
                names.add(literal)
    return names


def _listed(kind):
    return sorted(i for i, entry in KNOWN.items()
                  if entry.get("kind", "known") == kind)


@pytest.mark.parametrize("kind, prefix", [
    ("deliberate", "Deliberate differences"),
    ("known", "Known differences found"),
])
def test_the_page_names_each_listed_case(kind, prefix):
    names = _named(prefix)
    listed = _listed(kind)
    unnamed = [i for i in listed
               if not any(fnmatch.fnmatch(i, n) for n in names)]
    assert not unnamed, "%s cases not named in compatibility.rst under " \
        "'%s...': %s" % (kind, prefix, unnamed)
    for name in names:
        matched = fnmatch.filter(CASE_IDS, name)
        wrong = [i for i in matched if i not in listed]
        assert not wrong, "compatibility.rst names %s under '%s...', " \
            "but these are not %s in known_differences.yaml: %s" % (
                name, prefix, kind, wrong)


def test_the_counts_quoted_are_current():
    text = " ".join(open(PAGE).read().split())
    deliberate, known = len(_listed("deliberate")), len(_listed("known"))
    match = len(CASE_IDS) - deliberate - known
    quoted = re.findall(r"(\d+) match, (\d+) differ on purpose"
                        r"(?: \([^)]*\))?,? (?:and )?(\d+) (?:are|is) "
                        r"known", text.replace("**", ""))
    # The counts paragraph at the top and that of round 3.
    assert len(quoted) >= 2, "counts not found in compatibility.rst"
    for numbers in quoted:
        assert tuple(map(int, numbers)) == (match, deliberate, known)
    totals = re.findall(r"(\d+) cases, all recorded on Mistral", text)
    assert totals and all(int(t) == len(CASE_IDS) for t in totals)
