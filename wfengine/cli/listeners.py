"""Listener commands beyond the generic ones: create, update, deliveries."""
from cliff import lister
from cliff import show

from wfengine.cli import formats
from wfengine.cli import generic
from wfengine.cli import http
from wfengine.cli import inputs

DELIVERY_COLUMNS = ("id", "event", "workflow_execution_id",
                    "task_execution_id", "state", "attempts",
                    "last_status_code", "last_error", "created_at",
                    "delivered_at")


def _add_common(parser, create):
    # Not --url: the global option of that name is the API's.
    if create:
        parser.add_argument("target_url", metavar="WEBHOOK_URL",
                            help="Webhook URL (http or https).")
    else:
        parser.add_argument("--webhook-url", dest="target_url",
                            help="New webhook URL (http or https).")
    parser.add_argument("--event", action="append", dest="events",
                        metavar="EVENT",
                        help="EXECUTION, TASK or an event name such as "
                             "WORKFLOW_FAILED (repeatable; default "
                             "EXECUTION and TASK).")
    parser.add_argument("--method", choices=("POST", "PUT"))
    parser.add_argument("--header", action="append", dest="headers",
                        metavar="NAME=VALUE",
                        help="Header sent with each delivery (repeatable).")
    parser.add_argument("--description")


def _common_body(parsed_args):
    body = {"url": parsed_args.target_url, "events": parsed_args.events,
            "method": parsed_args.method,
            "description": parsed_args.description}
    if parsed_args.headers:
        body["headers"] = inputs.key_values(parsed_args.headers, "--header")
    return {k: v for k, v in body.items() if v is not None}


class ListenerCreate(generic.ClientMixin, show.ShowOne):
    """Subscribe a webhook to workflow events.

    Events of one workflow (--workflow) or of all. The secret is shown in
    this answer only.
    """

    resource = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_common(parser, create=True)
        parser.add_argument("--workflow", help="Workflow name; all "
                                               "workflows if absent.")
        parser.add_argument("--secret", help="Standard Webhooks secret "
                                             "(whsec_...); made if absent.")
        parser.add_argument("--disabled", action="store_true")
        return parser

    def take_action(self, parsed_args):
        body = _common_body(parsed_args)
        body.update(workflow_name=parsed_args.workflow,
                    secret=parsed_args.secret)
        if parsed_args.disabled:
            body["enabled"] = False
        body = {k: v for k, v in body.items() if v is not None}
        return formats.show(self.client.post(self.resource.path, body))


class ListenerUpdate(generic.ClientMixin, show.ShowOne):
    """Change a listener.

    Its url, events, headers, method, description or whether it is
    enabled.
    """

    resource = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("id", metavar="ID", help="Listener id.")
        _add_common(parser, create=False)
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--enable", dest="enabled", action="store_true",
                           default=None)
        group.add_argument("--disable", dest="enabled",
                           action="store_false", default=None)
        return parser

    def take_action(self, parsed_args):
        body = _common_body(parsed_args)
        if parsed_args.enabled is not None:
            body["enabled"] = parsed_args.enabled
        if not body:
            raise http.CliError("ERROR: nothing to update: give "
                                "--webhook-url, "
                                "--event, --method, --header, "
                                "--description, --enable or --disable")
        path = "%s/%s" % (self.resource.path, parsed_args.id)
        return formats.show(self.client.put(path, body))


class ListenerDeliveries(generic.ClientMixin, lister.Lister):
    """A listener's deliveries, newest first."""

    resource = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("id", metavar="ID", help="Listener id.")
        parser.add_argument("--limit", type=int)
        parser.add_argument("--marker", help="Start after this delivery.")
        return parser

    def take_action(self, parsed_args):
        path = "%s/%s/deliveries" % (self.resource.path, parsed_args.id)
        body = self.client.get(path, {"limit": parsed_args.limit,
                                      "marker": parsed_args.marker})
        return formats.listing(body["deliveries"], DELIVERY_COLUMNS)
