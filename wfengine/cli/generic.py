"""Generic list, show, delete and show-one-field commands.

One implementation of each, driven by :data:`RESOURCES` (where a resource
lives and which columns its list shows). :func:`make` derives a named
command class from a base and a resource, so that ``workflow-list`` and
``cron-trigger-list`` share every line of code.
"""
import dataclasses

from cliff import command
from cliff import lister
from cliff import show

from wfengine.cli import formats
from wfengine.cli import http
from wfengine.cli import inputs
from wfengine.cli import rows


@dataclasses.dataclass(frozen=True)
class ListFilter:
    """A list argument that becomes a query filter.

    :param flags: ``("task_execution_id",)`` for an optional positional,
        ``("--workflow",)`` for an option.
    """

    flags: tuple
    key: str
    help: str


@dataclasses.dataclass(frozen=True)
class Resource:
    """An API collection as the CLI uses it."""

    path: str
    key: str
    columns: tuple
    label: str
    namespaced: bool = False
    filters: tuple = ()
    # item -> item as the list shows it (derived columns, placeholders).
    shape: object = None


_TIMES = ("created_at", "updated_at")

RESOURCES = {
    "workflow": Resource(
        "/workflows", "workflows",
        ("id", "name", "namespace", "project_id", "tags", "input") + _TIMES,
        "workflow", namespaced=True),
    "execution": Resource(
        "/executions", "executions",
        ("id", "workflow_id", "workflow_name", "workflow_namespace",
         "description", "task_execution_id", "root_execution_id", "state",
         "state_info") + _TIMES + ("duration",),
        "execution", shape=rows.execution_row,
        filters=(ListFilter(("--task",), "task_execution_id",
                            "Only sub-workflow executions of this task."),)),
    "task": Resource(
        "/tasks", "tasks",
        ("id", "name", "workflow_name", "workflow_namespace",
         "workflow_execution_id", "state", "state_info") + _TIMES,
        "task",
        filters=(ListFilter(("workflow_execution",), "workflow_execution_id",
                            "Only the tasks of this workflow execution."),)),
    "action_execution": Resource(
        "/action_executions", "action_executions",
        ("id", "name", "workflow_name", "workflow_namespace", "task_name",
         "task_execution_id", "state", "state_info", "accepted") + _TIMES,
        "action execution",
        filters=(ListFilter(("task_execution_id",), "task_execution_id",
                            "Only the action executions of this task."),)),
    "environment": Resource(
        "/environments", "environments",
        ("id", "name", "description", "scope") + _TIMES, "environment"),
    "action": Resource(
        "/actions", "actions",
        ("id", "name", "namespace", "is_system", "input", "description",
         "tags") + _TIMES, "action", namespaced=True),
    "workbook": Resource(
        "/workbooks", "workbooks",
        ("id", "name", "namespace", "tags", "scope") + _TIMES, "workbook",
        namespaced=True),
    "cron_trigger": Resource(
        "/cron_triggers", "cron_triggers",
        ("id", "name", "pattern", "workflow_name", "workflow_input",
         "workflow_params", "next_execution_time", "remaining_executions")
        + _TIMES, "cron trigger"),
    "listener": Resource(
        "/listeners", "listeners",
        ("id", "workflow_name", "events", "url", "method", "enabled",
         "description") + _TIMES, "listener",
        filters=(ListFilter(("--workflow",), "workflow_name",
                            "Only the listeners of this workflow."),)),
}


def make(base, resource, name, doc, **attrs):
    """A command class ``name`` derived from ``base`` for ``resource``.

    :param resource: a key of :data:`RESOURCES`.
    :param doc: the command's help text (its docstring).
    """
    attrs.update(resource=RESOURCES[resource], __doc__=doc)
    return type(name, (base,), attrs)


def add_namespace(parser, resource):
    """``--namespace`` for resources that live in namespaces."""
    if resource.namespaced:
        parser.add_argument("--namespace", default="",
                            help="Namespace of the %s." % resource.label)


def namespace_params(resource, parsed_args):
    """The ``namespace`` query parameter, when the resource has one."""
    if resource.namespaced and parsed_args.namespace:
        return {"namespace": parsed_args.namespace}
    return None


class ClientMixin:
    """Access to the application's :class:`wfengine.cli.http.Client`."""

    @property
    def client(self):
        """The HTTP client of the application."""
        return self.app.client


class ListCommand(ClientMixin, lister.Lister):
    """List a collection: filters, paging and sorting as query params."""

    resource = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        for flt in self.resource.filters:
            if flt.flags[0].startswith("-"):
                parser.add_argument(*flt.flags, dest=flt.key, help=flt.help)
            else:
                parser.add_argument(flt.key, nargs="?", help=flt.help,
                                    metavar=flt.flags[0].upper())
        parser.add_argument("--limit", type=int,
                            help="At most this many items (one page, "
                                 "unless --page-size is given too).")
        parser.add_argument("--page-size", type=int, metavar="N",
                            help="Fetch N items per request and follow the "
                                 "server's 'next' links to the end (or to "
                                 "--limit items).")
        parser.add_argument("--marker", help="Start after this id.")
        parser.add_argument("--sort-keys", help="e.g. created_at,name")
        parser.add_argument("--sort-dirs", help="e.g. asc,desc")
        parser.add_argument("--filter", action="append", default=[],
                            metavar="KEY=VALUE", dest="filters",
                            help="A field filter (repeatable), e.g. "
                                 "state=ERROR or created_at=gte:2024-01-01")
        return parser

    def query(self, parsed_args):
        """The query parameters of the list request."""
        params = inputs.key_values(parsed_args.filters, "--filter")
        for flt in self.resource.filters:
            params[flt.key] = getattr(parsed_args, flt.key)
        params.update(limit=parsed_args.limit, marker=parsed_args.marker,
                      sort_keys=parsed_args.sort_keys,
                      sort_dirs=parsed_args.sort_dirs)
        return params

    def take_action(self, parsed_args):
        items = self.fetch_all(parsed_args)
        if self.resource.shape is not None:
            items = [self.resource.shape(item) for item in items]
        return formats.listing(items, self.resource.columns)

    def fetch_all(self, parsed_args):
        """The items: one request, or with --page-size every page."""
        query = self.query(parsed_args)
        size, limit = parsed_args.page_size, parsed_args.limit
        if not size:
            return self.client.get(self.resource.path, query)[
                self.resource.key]
        if size <= 0:
            raise http.CliError("ERROR: --page-size must be positive")
        query["limit"] = size if limit is None else min(size, limit)
        body = self.client.get(self.resource.path, query)
        items = list(body[self.resource.key])
        while body.get("next") and (limit is None or len(items) < limit):
            body = self.client.get_url(body["next"])
            items.extend(body[self.resource.key])
        return items if limit is None else items[:limit]


class OneResourceMixin(ClientMixin):
    """Commands about one resource given by id (or name)."""

    resource = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("id", metavar="ID",
                            help="Id (or name) of the %s."
                                 % self.resource.label)
        add_namespace(parser, self.resource)
        return parser

    def fetch(self, parsed_args):
        """The resource, as the API shows it."""
        return self.client.get(
            "%s/%s" % (self.resource.path, parsed_args.id),
            namespace_params(self.resource, parsed_args))


class ShowCommand(OneResourceMixin, show.ShowOne):
    """Show one resource by id (or name)."""

    def take_action(self, parsed_args):
        return formats.show(self.fetch(parsed_args))


class DeleteCommand(ClientMixin, command.Command):
    """Delete resources by id (or name)."""

    resource = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("ids", metavar="ID", nargs="+",
                            help="Id(s) (or names) of the %s(s)."
                                 % self.resource.label)
        add_namespace(parser, self.resource)
        return parser

    def params(self, parsed_args):
        """Query parameters of each DELETE."""
        return namespace_params(self.resource, parsed_args)

    def take_action(self, parsed_args):
        for obj_id in parsed_args.ids:
            self.client.delete("%s/%s" % (self.resource.path, obj_id),
                               self.params(parsed_args))
            self.app.stdout.write("Deleted %s %s.\n"
                                  % (self.resource.label, obj_id))


class FieldCommand(OneResourceMixin, command.Command):
    """Print one field of a resource: text as is, JSON indented."""

    field = None
    raw = False

    def take_action(self, parsed_args):
        value = self.fetch(parsed_args).get(self.field)
        text = (value or "") if self.raw else inputs.pretty(value)
        self.app.stdout.write(text.rstrip("\n") + "\n")
