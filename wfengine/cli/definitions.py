"""Commands that write definitions: workflows, actions, workbooks (from
workflow language text), environments and cron triggers (from JSON)."""
from cliff import lister
from cliff import show

from wfengine.cli import formats
from wfengine.cli import generic
from wfengine.cli import inputs


class _TextWrite(generic.ClientMixin):
    """POST or PUT a workflow language file to a collection."""

    resource = None
    method = "POST"
    with_id = False

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("definition", metavar="FILE",
                            help="Workflow language (YAML) file.")
        if self.with_id:
            parser.add_argument("--id", help="Update only the %s with this "
                                "id (the file holds exactly one)."
                                % self.resource.label)
        generic.add_namespace(parser, self.resource)
        parser.add_argument("--public", action="store_true",
                            help="Scope public instead of private.")
        return parser

    def send(self, parsed_args):
        """The answer of the server to the request."""
        path = self.resource.path
        if getattr(parsed_args, "id", None):
            path += "/" + parsed_args.id
        params = {"namespace": parsed_args.namespace or None,
                  "scope": "public" if parsed_args.public else "private"}
        return self.client.request(self.method, path, params=params,
                                   text=inputs.read_text(
                                       parsed_args.definition))


class TextWriteList(_TextWrite, lister.Lister):
    """Write a text that defines several items; list them."""

    def take_action(self, parsed_args):
        body = self.send(parsed_args)
        items = body.get(self.resource.key, [body])
        return formats.listing(items, self.resource.columns)


class TextWriteShow(_TextWrite, show.ShowOne):
    """Write a text that defines one item; show it."""

    def take_action(self, parsed_args):
        return formats.show(self.send(parsed_args))


class Validate(generic.ClientMixin, show.ShowOne):
    """Check a workflow language file without storing it."""

    resource = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("definition", metavar="FILE",
                            help="Workflow language (YAML) file.")
        return parser

    def take_action(self, parsed_args):
        body = self.client.post(self.resource.path + "/validate",
                                text=inputs.read_text(parsed_args.definition))
        return formats.show(body, ("valid", "error"))


class EnvironmentWrite(generic.ClientMixin, show.ShowOne):
    """Write an environment from a JSON or YAML file.

    The file holds ``name``, ``description``, ``variables``, ``scope``.
    """

    resource = None
    method = "POST"

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("file", metavar="FILE",
                            help="JSON or YAML file with the environment.")
        return parser

    def take_action(self, parsed_args):
        data = inputs.json_or_file(parsed_args.file, "FILE")
        body = self.client.request(self.method, self.resource.path, data)
        return formats.show(body)


class CronTriggerCreate(generic.ClientMixin, show.ShowOne):
    """Create a cron trigger that starts a workflow on a schedule."""

    resource = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("name", help="Cron trigger name.")
        parser.add_argument("workflow_identifier",
                            help="Workflow name or id.")
        parser.add_argument("workflow_input", nargs="?",
                            help="Workflow input (JSON or file).")
        parser.add_argument("--params", help="Workflow params (JSON or "
                                              "file).")
        parser.add_argument("--pattern", help='Cron pattern, e.g. '
                                              '"* * * * *".')
        parser.add_argument("--first-time", help="First run, "
                                                 "'YYYY-MM-DD HH:MM' (UTC).")
        parser.add_argument("--count", type=int,
                            help="Number of runs; unlimited if absent.")
        parser.add_argument("--namespace", default="",
                            help="Namespace of the workflow.")
        return parser

    def take_action(self, parsed_args):
        body = {"name": parsed_args.name, "pattern": parsed_args.pattern,
                "workflow_namespace": parsed_args.namespace,
                "workflow_input": inputs.json_or_file(
                    parsed_args.workflow_input, "workflow_input"),
                "workflow_params": inputs.json_or_file(
                    parsed_args.params, "--params"),
                "first_execution_time": parsed_args.first_time,
                "remaining_executions": parsed_args.count}
        body[_identifier_key(parsed_args.workflow_identifier)] = \
            parsed_args.workflow_identifier
        body = {k: v for k, v in body.items() if v is not None}
        return formats.show(self.client.post(self.resource.path, body))


def _identifier_key(identifier):
    """``workflow_id`` for a UUID, ``workflow_name`` otherwise."""
    return "workflow_id" if is_uuid(identifier) else "workflow_name"


def is_uuid(text):
    """Whether ``text`` looks like a UUID (as python-mistralclient tests)."""
    hexdigits = text.replace("-", "")
    return (len(text) == 36 and len(hexdigits) == 32
            and all(c in "0123456789abcdefABCDEF" for c in hexdigits))
