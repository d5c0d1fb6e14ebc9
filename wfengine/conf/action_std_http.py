"""Options of the std.http and std.mistral_http actions (Mistral's names)."""
from oslo_config import cfg

from wfengine import netguard

GROUP = cfg.OptGroup("action_std_http",
                     title="std.http and std.mistral_http action options")

OPTS = [
    cfg.ListOpt("denied_cidrs", default=list(netguard.DEFAULT_DENIED_CIDRS),
                help="Networks (CIDR) that std.http (and std.email, for its "
                     "SMTP server) may not reach. The host "
                     "of every request and of every redirect is resolved "
                     "and each of its addresses checked, IPv4 addresses "
                     "inside IPv6 ones included. The default refuses "
                     "loopback, link-local (cloud metadata), private, "
                     "shared, multicast, documentation and reserved "
                     "ranges; remove a range here to let workflows reach "
                     "it."),
    cfg.ListOpt("allowed_hosts", default=[],
                help="If not empty, the only host names or addresses "
                     "std.http may request and std.email may send through "
                     "(exact match, case-insensitive); "
                     "their addresses must still be outside "
                     "denied_cidrs."),
    cfg.FloatOpt("default_timeout", default=60.0, min=0.1,
                 help="Seconds std.http waits to connect and, separately, "
                      "for each read, when the action's 'timeout' input is "
                      "not set."),
    cfg.IntOpt("max_response_size_bytes", default=5 * 1024 * 1024, min=1,
               help="Largest response body std.http reads (after "
                    "decompression); a larger one fails the action."),
    cfg.IntOpt("max_redirects", default=30, min=0,
               help="Redirects std.http follows (when allow_redirects is "
                    "true) before it fails."),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)
