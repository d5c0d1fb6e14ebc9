"""``execution-get-report``: an execution's tree, as text.

Prints each workflow execution with its tasks, their action executions
and sub-workflows indented below, the error of each failed task on the
line after it, then the task statistics. ``-f json`` prints the API's
report as it is.
"""
import json

from cliff import command

from wfengine.cli import generic

INDENT = "    "
ERROR_WIDTH = 120
STATES = ("running", "success", "error", "idle", "paused")


def _cut(text, width=ERROR_WIDTH):
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:width - 3] + "..."


def workflow_lines(wf_ex, level=0):
    lines = [(level, "workflow %s [%s] %s" % (
        wf_ex["name"], wf_ex["state"], wf_ex["id"]))]
    for task in wf_ex.get("task_executions", ()):
        lines += task_lines(task, level + 1)
    return lines


def task_lines(task, level):
    lines = [(level, "task %s [%s] %s" % (task["name"], task["state"],
                                          task["id"]))]
    if task.get("retry_count"):
        lines.append((level + 1, "retries: %s" % task["retry_count"]))
    if task["state"] == "ERROR" and task.get("state_info"):
        lines.append((level + 1, "error: %s" % _cut(task["state_info"])))
    for action in task.get("action_executions", ()):
        lines.append((level + 1, "action %s [%s] %s" % (
            action["name"], action["state"], action["id"])))
    for sub in task.get("workflow_executions", ()):
        lines += workflow_lines(sub, level + 1)
    return lines


def statistics_line(stats):
    counts = ", ".join("%s %s" % (stats.get("%s_tasks_count" % s, 0),
                                  s.upper()) for s in STATES)
    return "Tasks: %s of %s in all" % (counts,
                                        stats.get("total_tasks_count", 0))


def render(report):
    lines = []
    if "root_workflow_execution" in report:
        lines = ["%s%s" % (INDENT * level, text) for level, text in
                 workflow_lines(report["root_workflow_execution"])]
        lines.append("")
    lines.append(statistics_line(report.get("statistics", {})))
    return "\n".join(lines) + "\n"


class ExecutionReport(generic.ClientMixin, command.Command):
    """Print an execution's tree: tasks, actions, sub-workflows, errors."""

    resource = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("id", metavar="ID", help="Execution id.")
        parser.add_argument("--errors-only", dest="errors_only",
                            action="store_true", default=True,
                            help="Only the tasks in ERROR (the default).")
        parser.add_argument("--no-errors-only", dest="errors_only",
                            action="store_false",
                            help="Every task, not only those in ERROR.")
        parser.add_argument("--max-depth", type=int, default=-1,
                            help="Show the tasks of sub-workflows down to "
                                 "this depth (0: the root's only; default: "
                                 "all).")
        parser.add_argument("--statistics-only", action="store_true",
                            help="Only the task statistics.")
        parser.add_argument("-f", "--format", choices=("text", "json"),
                            default="text")
        return parser

    def take_action(self, parsed_args):
        report = self.client.get(
            "%s/%s/report" % (self.resource.path, parsed_args.id), {
                "errors_only": str(parsed_args.errors_only).lower(),
                "max_depth": parsed_args.max_depth,
                "statistics_only": str(
                    parsed_args.statistics_only).lower()})
        if parsed_args.format == "json":
            self.app.stdout.write(json.dumps(report, indent=2) + "\n")
        else:
            self.app.stdout.write(render(report))
        return 0
