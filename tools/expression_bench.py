#!/usr/bin/env python3
"""Per-evaluation cost of expressions, for two checkouts side by side.

    python tools/expression_bench.py ROOT [ROOT ...]

Imports ``wfengine`` from each ROOT in turn (a fresh process each, run
twice, alternating, so that both see the same machine) and prints the
best CPU time per evaluation of a few typical expressions, in
microseconds: YAQL fast paths and full evaluations, Jinja expressions and
templates. CPU time of the process, not wall time: on a shared machine
wall time measures the neighbours. A micro-benchmark, not a test.
"""
import subprocess
import sys

CASES = [
    ("yaql path (fast path)", "<% $.a.b %>"),
    ("yaql task().result (fast path)", "<% task().result.k %>"),
    ("yaql arithmetic", "<% $.x + 1 %>"),
    ("yaql select over 100", "<% $.items.select($ * 2).len() %>"),
    ("yaql join of 20", "<% $.names.join(',') %>"),
    ("yaql regex match", "<% $.s =~ '^[a-z]+@' %>"),
    ("yaql interpolation", "id-<% $.x %>-<% $.a.b %>"),
    ("publish dict of 5 paths", {"p%d" % i: "<% $.a.b %>" for i in range(5)}),
    ("jinja path", "{{ _.a.b }}"),
    ("jinja arithmetic", "{{ _.x * 2 + 1 }}"),
    ("jinja loop of 100", "{% for i in _.items %}{{ i }}{% endfor %}"),
    ("jinja join filter", "{{ _.names | join(',') }}"),
]

CHILD = """
import sys, time, timeit
sys.path.insert(0, sys.argv[1])
import wfengine
try:
    from wfengine.core import expressions
except ImportError:  # a checkout from before the move into wfengine.core
    from wfengine import expressions
assert wfengine.__file__.startswith(sys.argv[1]), wfengine.__file__
ctx = {"a": {"b": 1}, "x": 41, "items": list(range(100)),
       "s": "user@example.com", "names": ["n%d" % i for i in range(20)]}
runtime = {"task": {"name": "t", "result": {"k": 1}}}
for name, expr in CASES:
    timer = timeit.Timer(lambda: expressions.evaluate(expr, ctx, runtime),
                         timer=time.process_time)
    number = max(1, int(0.1 / max(timer.timeit(5) / 5, 1e-7)))
    best = min(timer.repeat(number=number, repeat=5)) / number
    print("%.2f" % (best * 1e6))
"""


def measure(root):
    code = "CASES = %r\n%s" % (CASES, CHILD)
    out = subprocess.run([sys.executable, "-c", code, root], check=True,
                         capture_output=True, text=True).stdout
    return [float(v) for v in out.split()]


def main(roots):
    best = {root: None for root in roots}
    for _ in range(2):
        for root in roots:
            figures = measure(root)
            best[root] = figures if best[root] is None else [
                min(a, b) for a, b in zip(best[root], figures)]
    print("%-32s" % "us per evaluation" + "".join(
        "%12s" % ("#%d" % i) for i in range(len(roots))))
    for index, (name, _) in enumerate(CASES):
        print("%-32s" % name + "".join(
            "%12.2f" % best[root][index] for root in roots))
    for i, root in enumerate(roots):
        print("#%d = %s" % (i, root))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
