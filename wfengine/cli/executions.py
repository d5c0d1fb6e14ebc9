"""Commands that act on executions, tasks and action executions.

Besides Mistral's (create, update, re-run, run-action, complete an
action), the extension's two-phase recovery: ``task-reset`` marks a failed
task IDLE (replay) or SUCCESS (fixed by hand), ``execution-resume`` then
continues a paused or failed execution, optionally with a new env.
"""
import json

from cliff import show

from wfengine.cli import definitions
from wfengine.cli import formats
from wfengine.cli import generic
from wfengine.cli import http
from wfengine.cli import inputs

EXECUTION_STATES = ("RUNNING", "PAUSED", "SUCCESS", "ERROR", "CANCELLED")
ACTION_RESULT_STATES = ("SUCCESS", "ERROR", "CANCELLED")
# Besides a result: pause an asynchronous action, or let it run again.
ACTION_UPDATE_STATES = ACTION_RESULT_STATES + ("PAUSED", "RUNNING")


class _Put(generic.ClientMixin, show.ShowOne):
    """PUT a body to ``<collection>/<id>``; show the answer."""

    resource = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("id", metavar="ID",
                            help="Id of the %s." % self.resource.label)
        return parser

    def body(self, parsed_args):
        """The request body."""
        raise NotImplementedError

    def take_action(self, parsed_args):
        path = "%s/%s" % (self.resource.path, parsed_args.id)
        return formats.show(self.client.put(path, self.body(parsed_args)))


class ExecutionCreate(generic.ClientMixin, show.ShowOne):
    """Start a workflow."""

    resource = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("workflow_identifier",
                            help="Workflow name or id.")
        parser.add_argument("workflow_input", nargs="?",
                            help="Workflow input (JSON or file).")
        parser.add_argument("params", nargs="?",
                            help="Workflow params, e.g. env (JSON or file).")
        parser.add_argument("-d", "--description", default="")
        parser.add_argument("--namespace", default="",
                            help="Namespace of the workflow.")
        return parser

    def take_action(self, parsed_args):
        ident = parsed_args.workflow_identifier
        key = ("workflow_id" if definitions.is_uuid(ident)
               else "workflow_name")
        body = {key: ident, "workflow_namespace": parsed_args.namespace,
                "description": parsed_args.description,
                "input": inputs.json_or_file(parsed_args.workflow_input,
                                             "workflow_input") or {},
                "params": inputs.json_or_file(parsed_args.params,
                                              "params") or {}}
        return formats.show(self.client.post(self.resource.path, body))


class ExecutionUpdate(_Put):
    """Change an execution's state, description or env.

    Pause, resume, cancel or end it (--state), or give it a new
    description or env.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("-s", "--state", choices=EXECUTION_STATES)
        parser.add_argument("-d", "--description")
        parser.add_argument("-e", "--env", help="Env (JSON or file).")
        parser.add_argument("--state-info",
                            help="Why (with state ERROR or CANCELLED).")
        return parser

    def body(self, parsed_args):
        body = {"state": parsed_args.state,
                "description": parsed_args.description,
                "state_info": parsed_args.state_info}
        env = inputs.json_or_file(parsed_args.env, "--env")
        if env is not None:
            body["params"] = {"env": env}
        body = {k: v for k, v in body.items() if v is not None}
        if not body:
            raise http.CliError("ERROR: nothing to update: give --state, "
                                "--description or --env")
        return body


class ExecutionResume(_Put):
    """Resume a paused or failed execution.

    A failed execution needs its failed tasks marked first (task-reset).
    --env overlays the execution's environment: keys given replace keys
    held, nested objects merge.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--env", help="Env keys to replace or add "
                                          "(JSON or file).")
        return parser

    def body(self, parsed_args):
        body = {"state": "RUNNING"}
        env = inputs.json_or_file(parsed_args.env, "--env")
        if env is not None:
            body["params"] = {"env": env}
        return body


class ExecutionDelete(generic.DeleteCommand):
    """Delete finished executions (any execution with --force)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--force", action="store_true",
                            help="Delete even if not finished.")
        return parser

    def params(self, parsed_args):
        return {"force": "true"} if parsed_args.force else None


class TaskRerun(_Put):
    """Re-run a failed task (Mistral's re-run)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--resume", action="store_true",
                            help="Re-run only the failed items of a "
                                 "with-items task.")
        parser.add_argument("-e", "--env", help="Env (JSON or file).")
        return parser

    def body(self, parsed_args):
        body = {"state": "RUNNING", "reset": not parsed_args.resume}
        env = inputs.json_or_file(parsed_args.env, "--env")
        if env is not None:
            body["env"] = env
        return body


class TaskReset(_Put):
    """Mark a failed task IDLE (replay) or SUCCESS (fixed by hand).

    Nothing runs until execution-resume. With SUCCESS, --published holds
    the variables its successors see.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--state", required=True,
                            choices=("IDLE", "SUCCESS"))
        parser.add_argument("--published",
                            help="With SUCCESS: the variables the task "
                                 "publishes (JSON or file).")
        parser.add_argument("--state-info", help="A note kept on the task.")
        return parser

    def body(self, parsed_args):
        if parsed_args.published and parsed_args.state != "SUCCESS":
            raise http.CliError("ERROR: --published goes with --state "
                                "SUCCESS, not %s" % parsed_args.state)
        body = {"state": parsed_args.state}
        published = inputs.json_or_file(parsed_args.published,
                                        "--published")
        if published is not None:
            body["published"] = published
        if parsed_args.state_info is not None:
            body["state_info"] = parsed_args.state_info
        return body


class ActionExecutionUpdate(_Put):
    """Complete an (asynchronous) action execution, or pause it (PAUSED)
    or let it run again (RUNNING)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--state", required=True,
                            choices=ACTION_UPDATE_STATES)
        parser.add_argument("--output", help="Result: JSON, or a string.")
        parser.add_argument("--state-info")
        return parser

    def body(self, parsed_args):
        body = {"state": parsed_args.state, "output": _json_or_text(
            parsed_args.output)}
        if parsed_args.state_info is not None:
            body["state_info"] = parsed_args.state_info
        return body


def _json_or_text(value):
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


class RunAction(generic.ClientMixin, show.ShowOne):
    """Run an action outside any workflow (waits for it by default)."""

    resource = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("name", help="Action name.")
        parser.add_argument("action_input", nargs="?",
                            help="Action input (JSON or file).")
        parser.add_argument("-s", "--save-result", action="store_true",
                            help="Keep the action execution and its "
                                 "result.")
        parser.add_argument("--async", dest="run_async", action="store_true",
                            help="Do not wait for the result.")
        parser.add_argument("-t", "--target", help="Executor target.")
        parser.add_argument("--namespace", default="")
        parser.add_argument("--timeout", type=float,
                            help="Seconds the server waits for a result.")
        return parser

    def take_action(self, parsed_args):
        params = {"save_result": parsed_args.save_result,
                  "run_sync": not parsed_args.run_async,
                  "target": parsed_args.target,
                  "timeout": parsed_args.timeout}
        body = {"name": parsed_args.name,
                "input": inputs.json_or_file(parsed_args.action_input,
                                             "action_input") or {},
                "workflow_namespace": parsed_args.namespace,
                "params": {k: v for k, v in params.items() if v is not None}}
        return formats.show(self.client.post(self.resource.path, body))
