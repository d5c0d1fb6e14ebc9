"""The graph of a workflow spec: nodes, labelled edges, layers, loops."""
from wfengine.console import graph
from wfengine.core.lang import parser

TEXT = """version: '2.0'
wf:
  tasks:
    a:
      action: std.noop
      on-success: [b, c]
      on-error: [fail]
    b:
      workflow: other
      on-complete: [d]
    c:
      with-items: x in [1, 2]
      action: std.echo output=<% $.x %>
      on-success:
        - d: <% true %>
    d:
      join: all
      action: std.noop
      on-error: [b]
"""


def _graph(statuses=None):
    spec = parser.parse_workflows(TEXT)[0]
    return graph.build(spec, statuses)


def _by_key(drawing):
    return {n.key: n for n in drawing.nodes}


def test_tasks_and_commands_are_nodes():
    nodes = _by_key(_graph())
    assert set(nodes) == {"a", "b", "c", "d", "a\u2192fail"}
    assert nodes["a\u2192fail"].kind == "command"
    assert nodes["b"].detail == "workflow other"
    assert nodes["c"].detail.startswith("\u2261 ")
    assert nodes["d"].join == "all"


def test_edges_are_labelled_by_clause_and_condition():
    edges = {(e.source, e.target): e for e in _graph().edges}
    assert edges[("a", "b")].label == "success"
    assert edges[("b", "d")].label == "complete"
    assert edges[("c", "d")].label == "success ?"
    assert edges[("a", "a\u2192fail")].css == "edge-error"


def test_layers_follow_the_longest_path_and_loops_go_below():
    drawing = _graph()
    nodes = _by_key(drawing)
    assert [nodes[k].rank for k in "abcd"] == [0, 1, 1, 2]
    assert nodes["a"].x < nodes["b"].x < nodes["d"].x
    loop = [e for e in drawing.edges if (e.source, e.target) == ("d", "b")]
    assert loop and " C" in loop[0].path
    assert drawing.height > max(n.y + n.h for n in drawing.nodes)


def test_nodes_carry_their_state():
    statuses = {"a": graph.NodeState("ERROR", runs=2)}
    nodes = _by_key(_graph(statuses))
    assert nodes["a"].status.state == "ERROR"
    assert nodes["b"].status.state is None


def test_reverse_workflows_draw_requires():
    spec = parser.parse_workflows("""version: '2.0'
rev:
  type: reverse
  tasks:
    build: {action: std.noop}
    test: {action: std.noop, requires: [build]}
""")[0]
    drawing = graph.build(spec)
    assert [(e.source, e.target, e.label) for e in drawing.edges] == [
        ("build", "test", "requires")]


def test_long_names_are_cut():
    node = graph.Node("x" * 40, "x" * 40, "", "task")
    assert len(node.short_label) == graph.MAX_LABEL
    assert node.short_label.endswith("\u2026")


def test_an_edge_that_skips_layers_passes_between_the_boxes():
    spec = parser.parse_workflows("""version: '2.0'
wf:
  tasks:
    audit: {action: std.noop, on-complete: [call, report]}
    call: {action: std.noop, on-success: [step], on-error: [cleanup]}
    step: {action: std.noop, on-success: [report]}
    cleanup: {action: std.noop}
    report: {action: std.noop, join: all}
""")[0]
    drawing = graph.build(spec)
    nodes = _by_key(drawing)
    edge = [e for e in drawing.edges
            if (e.source, e.target) == ("audit", "report")][0]
    assert [lane.rank for lane in edge.lanes] == [1, 2]
    for lane in edge.lanes:
        for node in nodes.values():
            if node.rank == lane.rank:
                # Above or below every box of the layer it crosses.
                assert (lane.y + lane.h <= node.y or
                        node.y + node.h <= lane.y), (lane, node)
    # Into the first lane, across both, then on to the join.
    assert edge.path.count(" C") == 3 and edge.path.count(" L") == 2
    assert edge.path.endswith("%.1f,%.1f" % (
        nodes["report"].x, nodes["report"].y + nodes["report"].h / 2))
    assert drawing.height >= max(
        lane.y + lane.h for lane in edge.lanes) + graph.PAD
