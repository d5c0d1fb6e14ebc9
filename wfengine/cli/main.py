"""The ``wfengine`` console script: a cliff application.

    wfengine [--url URL] <command> [options] [-f table|json|yaml|value|csv]

``--url`` defaults to ``$WFENGINE_URL`` or http://127.0.0.1:8989/v2.
Errors from the server are printed as one line on stderr (exit code 1);
``--debug`` shows the traceback as well.
"""
from importlib import metadata
import os
import sys

from cliff import app
from cliff import commandmanager

from wfengine.cli import commands
from wfengine.cli import http


def _version():
    try:
        return metadata.version("wfengine")
    except metadata.PackageNotFoundError:
        return "unknown"


class WfengineApp(app.App):
    """The application: global options, the HTTP client, the commands."""

    def __init__(self):
        manager = commandmanager.CommandManager(None)
        for name, cls in commands.all_commands().items():
            manager.add_command(name, cls)
        super().__init__(
            description="Command line client of the wfengine workflow "
                        "service (Mistral v2 API and extensions).",
            version=_version(),
            command_manager=manager, deferred_help=True)
        self.client = None

    def build_option_parser(self, description, version,
                            argparse_kwargs=None):
        parser = super().build_option_parser(description, version,
                                             argparse_kwargs)
        parser.add_argument(
            "--url", default=os.environ.get("WFENGINE_URL",
                                            http.DEFAULT_URL),
            help="API root, e.g. http://host:8989/v2 (env WFENGINE_URL; "
                 "default %s)." % http.DEFAULT_URL)
        parser.add_argument(
            "--http-timeout", type=float, default=60.0,
            help="Seconds to wait for each answer (default 60).")
        _auth_options(parser)
        return parser

    def initialize_app(self, argv):
        """Create the HTTP client from the global options."""
        opts = self.options
        token = opts.token
        if not token and opts.os_auth_url:
            token = http.keystone_token(
                opts.os_auth_url, opts.os_username, opts.os_password,
                opts.os_project_name, opts.os_user_domain_name,
                opts.os_project_domain_name)
        self.client = http.Client(opts.url, opts.http_timeout, token)


def _auth_options(parser):
    """``--token`` and Keystone's ``--os-*`` options (env defaults)."""
    env = os.environ.get
    parser.add_argument(
        "--token", default=env("WFENGINE_TOKEN"),
        help="Token sent as X-Auth-Token: a Keystone token or an OpenID "
             "Connect access token (env WFENGINE_TOKEN).")
    for name, default, text in (
            ("auth-url", None, "Keystone URL, e.g. http://host:5000/v3"),
            ("username", None, "Keystone user name"),
            ("password", None, "Keystone password"),
            ("project-name", None, "Keystone project to act in"),
            ("user-domain-name", "Default", "Domain of the user"),
            ("project-domain-name", "Default", "Domain of the project")):
        var = "OS_" + name.upper().replace("-", "_")
        parser.add_argument("--os-" + name, default=env(var, default),
                            help="%s (env %s)." % (text, var))


def main(argv=None):
    """Run the CLI; the exit code of the command."""
    argv = sys.argv[1:] if argv is None else argv
    return WfengineApp().run(argv)


if __name__ == "__main__":
    sys.exit(main())
