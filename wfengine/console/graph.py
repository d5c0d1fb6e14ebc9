"""A workflow spec drawn as a graph: where each node and edge goes.

Pure: from a :class:`wfengine.core.lang.spec.WorkflowSpec` and the state of
each task (name -> :class:`NodeState`) to a :class:`Graph` whose nodes
and edges carry SVG coordinates; ``templates/_graph.html`` draws it.
Tasks are laid out left to right in layers (the longest path from a
start task); a transition that skips layers passes each of them in a lane
of its own, between the boxes; one that leads back to an earlier layer (a
loop) is drawn as an arc below the nodes. Engine commands (``fail``,
``succeed``, ``pause``) are small nodes of their own.
"""
import dataclasses

NODE_W, NODE_H = 184, 58
COMMAND_W, COMMAND_H = 84, 28
GAP_X, GAP_Y, PAD = 96, 26, 20
LOOP_DIP = 46
LANE_H = 14
MAX_LABEL = 22
CLAUSE_LABELS = (("on_success", "success"), ("on_error", "error"),
                 ("on_complete", "complete"), ("on_skip", "skip"))


@dataclasses.dataclass
class NodeState:
    """What the executions say about one task of the spec."""

    state: str | None = None
    runs: int = 0
    items: dict | None = None
    anchor: str | None = None
    link: str | None = None


@dataclasses.dataclass
class Node:
    """A task (or an engine command) and its box."""

    key: str
    label: str
    detail: str
    kind: str
    join: str | None = None
    status: NodeState = dataclasses.field(default_factory=NodeState)
    rank: int = 0
    x: float = 0
    y: float = 0
    w: float = NODE_W
    h: float = NODE_H

    @property
    def short_label(self):
        """The label cut to fit the box."""
        return _cut(self.label, MAX_LABEL if self.kind != "command" else 9)

    @property
    def short_detail(self):
        """The second line cut to fit the box."""
        return _cut(self.detail, MAX_LABEL + 4)


@dataclasses.dataclass
class Edge:
    """A transition: its path, its label and where the label goes."""

    source: str
    target: str
    kinds: list
    condition: bool = False
    lanes: list = dataclasses.field(default_factory=list)
    path: str = ""
    label_x: float = 0
    label_y: float = 0

    @property
    def label(self):
        """``success``, ``error, complete``..., ``?`` when conditional."""
        return ", ".join(self.kinds) + (" ?" if self.condition else "")

    @property
    def css(self):
        """The CSS class of the edge (its first kind)."""
        return "edge-" + self.kinds[0]


@dataclasses.dataclass
class Lane:
    """Where an edge that skips layers crosses one: a slot in the layer's
    column, so that the edge passes between the boxes, not through them."""

    key: tuple
    rank: int
    x: float = 0
    y: float = 0
    w: float = NODE_W
    h: float = LANE_H


@dataclasses.dataclass
class Graph:
    """Nodes and edges with coordinates, and the drawing's size."""

    nodes: list
    edges: list
    width: float
    height: float


def _cut(text, size):
    return text if len(text) <= size else text[:size - 1] + "\u2026"


def build(spec, statuses=None):
    """The :class:`Graph` of ``spec`` coloured by ``statuses``."""
    statuses = statuses or {}
    nodes, edges = _nodes_and_edges(spec)
    for key, node in nodes.items():
        node.status = statuses.get(key, NodeState())
    _rank(spec, nodes, edges)
    lanes = _lanes(nodes, edges)
    height = _place(nodes, lanes, edges)
    loops = False
    for edge in edges:
        loops = _route(edge, nodes[edge.source], nodes[edge.target]) or loops
    width = max((n.x + n.w for n in nodes.values()), default=0) + PAD
    return Graph(list(nodes.values()), edges, width,
                 height + (LOOP_DIP + 10 if loops else 0))


def _nodes_and_edges(spec):
    nodes, edges = {}, {}
    for name, task in spec.tasks.items():
        detail = ("workflow " + task.workflow) if task.workflow else (
            task.action or "")
        if task.with_items:
            detail = "\u2261 " + detail
        join = None if task.join is None else str(task.join)
        nodes[name] = Node(name, name, detail, "task", join)
    if spec.type == "reverse":
        for name, task in spec.tasks.items():
            for required in task.requires:
                if required in nodes:
                    edges[(required, name)] = Edge(required, name,
                                                   ["requires"])
        return nodes, list(edges.values())
    for name, task in spec.tasks.items():
        for clause, label in CLAUSE_LABELS:
            for transition in getattr(task, clause):
                target = transition.name
                if transition.is_engine_command:
                    target = "%s\u2192%s" % (name, transition.name)
                    nodes.setdefault(target, Node(
                        target, transition.name, "", "command",
                        w=COMMAND_W, h=COMMAND_H))
                elif target not in nodes:
                    continue
                edge = edges.setdefault((name, target),
                                        Edge(name, target, []))
                if label not in edge.kinds:
                    edge.kinds.append(label)
                edge.condition = edge.condition or (
                    transition.condition is not None)
    return nodes, list(edges.values())


def _rank(spec, nodes, edges):
    """Longest path from the start tasks, loops (back edges) ignored."""
    outgoing = {key: [] for key in nodes}
    for edge in edges:
        outgoing[edge.source].append(edge.target)
    back = _back_edges(list(nodes), outgoing)
    order = _topological(nodes, outgoing, back)
    for key in order:
        for target in outgoing[key]:
            if (key, target) not in back:
                nodes[target].rank = max(nodes[target].rank,
                                         nodes[key].rank + 1)


def _back_edges(keys, outgoing):
    back, state = set(), {}
    for root in keys:
        if root in state:
            continue
        stack = [(root, iter(outgoing[root]))]
        state[root] = "open"
        while stack:
            key, targets = stack[-1]
            target = next(targets, None)
            if target is None:
                state[key] = "done"
                stack.pop()
            elif state.get(target) == "open":
                back.add((key, target))
            elif target not in state:
                state[target] = "open"
                stack.append((target, iter(outgoing[target])))
    return back


def _topological(nodes, outgoing, back):
    incoming = {key: 0 for key in nodes}
    for key, targets in outgoing.items():
        for target in targets:
            if (key, target) not in back:
                incoming[target] += 1
    ready = [key for key in nodes if incoming[key] == 0]
    order = []
    while ready:
        key = ready.pop(0)
        order.append(key)
        for target in outgoing[key]:
            if (key, target) not in back:
                incoming[target] -= 1
                if incoming[target] == 0:
                    ready.append(target)
    return order


def _lanes(nodes, edges):
    """Give each forward edge that skips layers a :class:`Lane` in every
    layer it crosses; returns them all."""
    lanes = []
    for edge in edges:
        first, last = nodes[edge.source].rank, nodes[edge.target].rank
        edge.lanes = [Lane((edge.source, edge.target, rank), rank)
                      for rank in range(first + 1, last)]
        lanes.extend(edge.lanes)
    return lanes


def _place(nodes, lanes, edges):
    """Columns by rank (boxes and lanes), rows ordered by their
    predecessors' rows; returns the height of the drawing."""
    columns = {}
    for node in list(nodes.values()) + lanes:
        columns.setdefault(node.rank, []).append(node)
    preds = {key: [] for key in nodes}
    for edge in edges:
        previous = edge.source
        for lane in edge.lanes:
            preds[lane.key] = [previous]
            previous = lane.key
        preds[edge.target].append(previous)
    row = {}
    for rank in sorted(columns):
        column = columns[rank]
        column.sort(key=lambda n: _barycenter(n, preds, row))
        for index, node in enumerate(column):
            row[node.key] = index
    tallest = max((_column_height(c) for c in columns.values()), default=0)
    for rank, column in columns.items():
        y = PAD + (tallest - _column_height(column)) / 2
        for node in column:
            node.x = PAD + rank * (NODE_W + GAP_X) + (NODE_W - node.w) / 2
            node.y = y
            y += node.h + GAP_Y
    return tallest + 2 * PAD - GAP_Y


def _barycenter(node, preds, row):
    placed = [row[p] for p in preds[node.key] if p in row]
    return sum(placed) / len(placed) if placed else len(row)


def _column_height(column):
    return sum(node.h + GAP_Y for node in column)


def _route(edge, source, target):
    """Set the edge's SVG path and label position; True for a loop."""
    if target.rank <= source.rank:
        x1, y1 = source.x + source.w / 2, source.y + source.h
        x2, y2 = target.x + target.w / 2, target.y + target.h
        bottom = max(y1, y2) + LOOP_DIP
        c1, c2 = (x1, bottom), (x2, bottom)
        edge.path = "M%.1f,%.1f" % (x1, y1) + _curve(c1, c2, (x2, y2))
        _label(edge, (x1, y1), c1, c2, (x2, y2))
        return True
    # Left to right: a curve from each box or lane to the next; straight
    # through each lane. The label goes on the first curve.
    start = (source.x + source.w, source.y + source.h / 2)
    edge.path = "M%.1f,%.1f" % start
    for index, stop in enumerate(edge.lanes + [target]):
        end = (stop.x, stop.y + stop.h / 2)
        bend = (end[0] - start[0]) / 2
        c1, c2 = (start[0] + bend, start[1]), (end[0] - bend, end[1])
        edge.path += _curve(c1, c2, end)
        if index == 0:
            _label(edge, start, c1, c2, end)
        if stop is not target:
            start = (stop.x + stop.w, end[1])
            edge.path += " L%.1f,%.1f" % start
    return False


def _curve(c1, c2, end):
    return " C%.1f,%.1f %.1f,%.1f %.1f,%.1f" % (c1 + c2 + end)


def _label(edge, p0, c1, c2, p3):
    """Put the edge's label at the middle of the curve p0..p3."""
    edge.label_x = (p0[0] + 3 * c1[0] + 3 * c2[0] + p3[0]) / 8
    edge.label_y = (p0[1] + 3 * c1[1] + 3 * c2[1] + p3[1]) / 8 - 4
