"""``execution-watch``: a live view of an execution's tasks.

Polls ``GET /v2/executions/<id>`` and its tasks, redraws a table of the
tasks and a ``done/total`` progress line until the execution ends. On a
terminal the view is redrawn in place; into a pipe or file a frame is
written each time it changes, so the last lines are the final state.
"""
import json
import time

from cliff import command
import prettytable

from wfengine.cli import formats
from wfengine.cli import generic

ENDED = {"SUCCESS": 0, "ERROR": 2, "CANCELLED": 3}
TIMED_OUT = 4
TASK_DONE = ("SUCCESS", "ERROR", "CANCELLED", "SKIPPED")
TASK_COLUMNS = ("name", "state", "items", "started_at", "finished_at", "id",
                "state_info")
CLEAR = "\x1b[H\x1b[2J"
INFO_WIDTH = 60


def progress(tasks):
    """``(done, total)``: tasks that ended, tasks that exist so far."""
    done = sum(1 for task in tasks if task.get("state") in TASK_DONE)
    return done, len(tasks)


def _short(value, width=INFO_WIDTH):
    text = "" if value is None else " ".join(str(value).split())
    return text if len(text) <= width else text[:width - 3] + "..."


def items_progress(runtime_context):
    """``done/count`` of a with-items task (``, N failed`` when some
    failed, ``, R running``); empty for other tasks."""
    items = (runtime_context or {}).get("with_items")
    if not isinstance(items, dict) or "count" not in items:
        return ""
    succeeded, failed = items.get("succeeded", 0), items.get("failed", 0)
    text = "%d/%d" % (succeeded + failed, items["count"])
    running = items.get("started", 0) - succeeded - failed
    if failed:
        text += ", %d failed" % failed
    if running > 0:
        text += ", %d running" % running
    return text


def render(execution, tasks):
    """The text of one frame: header, task table, progress line."""
    header = "Execution %s (%s): %s" % (
        execution["id"], execution.get("workflow_name"), execution["state"])
    if execution.get("state_info"):
        header += " - " + _short(execution["state_info"], 200)
    table = prettytable.PrettyTable(
        [formats.heading(c) for c in TASK_COLUMNS])
    table.align = "l"
    for task in tasks:
        table.add_row([_short(task.get(c)) for c in TASK_COLUMNS])
    done, total = progress(tasks)
    footer = "Progress: %d/%d tasks done, execution %s" % (
        done, total, execution["state"])
    with_items = ["%s %s" % (t["name"], t["items"]) for t in tasks
                  if t.get("items")]
    if with_items:
        footer += "; items: " + "; ".join(with_items)
    return "\n".join([header, table.get_string(), footer])


class ExecutionWatch(generic.ClientMixin, command.Command):
    """Watch an execution's tasks live until it ends.

    Exit code: 0 SUCCESS, 2 ERROR, 3 CANCELLED, 4 --timeout reached
    (1 for an error of the server or of the command line).
    """

    resource = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("id", metavar="ID", help="Execution id.")
        parser.add_argument("--interval", type=float, default=0.5,
                            help="Seconds between polls (default 0.5).")
        parser.add_argument("--timeout", type=float,
                            help="Give up after this many seconds "
                                 "(default: never).")
        return parser

    def snapshot(self, ex_id):
        """The execution and its tasks, oldest task first, each with its
        ``items`` progress."""
        execution = self.client.get("%s/%s" % (self.resource.path, ex_id))
        tasks = self.client.get("/tasks", {
            "workflow_execution_id": ex_id, "sort_keys": "created_at",
            "sort_dirs": "asc"})["tasks"]
        for task in tasks:
            task["items"] = self.items_of(task)
        return execution, tasks

    def items_of(self, task):
        """A task's items progress: read while it runs, kept once done
        (the list of tasks does not carry it)."""
        cache = self.__dict__.setdefault("_items", {})
        if task["id"] in cache:
            return cache[task["id"]]
        full = self.client.get("/tasks/%s" % task["id"])
        context = full.get("runtime_context")
        if isinstance(context, str):
            context = json.loads(context or "{}")
        text = items_progress(context)
        if task.get("state") in TASK_DONE:
            cache[task["id"]] = text
        return text

    def draw(self, frame, last):
        """Show ``frame`` unless it is ``last`` (the one on screen)."""
        out = self.app.stdout
        if frame == last:
            return
        if getattr(out, "isatty", lambda: False)():
            out.write(CLEAR + frame + "\n")
        else:
            out.write(("\n" if last else "") + frame + "\n")
        out.flush()

    def take_action(self, parsed_args):
        deadline = (None if parsed_args.timeout is None
                    else time.monotonic() + parsed_args.timeout)
        last = None
        while True:
            execution, tasks = self.snapshot(parsed_args.id)
            frame = render(execution, tasks)
            self.draw(frame, last)
            last = frame
            if execution["state"] in ENDED:
                return ENDED[execution["state"]]
            if deadline is not None and time.monotonic() >= deadline:
                self.app.stderr.write(
                    "Timed out after %gs: execution %s is still %s\n"
                    % (parsed_args.timeout, parsed_args.id,
                       execution["state"]))
                return TIMED_OUT
            time.sleep(max(parsed_args.interval, 0.05))
