"""Which addresses a webhook may reach (DESIGN.md rule 8).

The notifier's policy only; the mechanics (URL splitting, host
normalization, IP literals in every spelling, IPv4 inside IPv6,
resolution) are ``wfengine.netguard``'s, as for ``std.http``.

A URL's host is resolved and *every* address it resolves to is checked,
with what a connection to it really reaches (``::ffff:127.0.0.1``,
``::127.0.0.1``, NAT64 and the ends of 6to4 and Teredo tunnels): only
global addresses are allowed. Loopback, private, link-local, unspecified
(``0.0.0.0``), multicast, reserved and other special-purpose addresses
are refused, whether written as names, as IPv6, or as the decimal, hex,
octal and short spellings of IPv4 (``2130706433``, ``0x7f.1``). The
deployment opens exceptions with ``[notifier] allowed_networks`` (CIDRs)
or ``allow_private_networks``. The check runs when a listener is created
and again before every attempt; the attempt then connects to the address
that was checked, so DNS cannot answer differently in between.
"""
import dataclasses

from wfengine import exceptions
from wfengine import netguard

MAX_URL_LENGTH = 2048
SETTING = "[notifier] allowed_networks"
# Special-purpose networks (IANA) that Python's ``is_global`` may still
# count as global, such as 64:ff9b:1::/48 and 192.88.99.0/24.
_SPECIAL = netguard.parse_networks(netguard.DEFAULT_DENIED_CIDRS)
_KINDS = ("unspecified", "multicast", "loopback", "link_local", "private",
          "reserved")


class AddressRefused(netguard.URLRefused):
    """The URL's host is, or resolves to, an address not allowed."""

    message = "Address not allowed"


@dataclasses.dataclass(frozen=True)
class Policy:
    """Addresses allowed beyond the global ones."""

    allowed_networks: tuple = ()
    allow_private: bool = False

    @classmethod
    def from_conf(cls, group):
        """The policy of a ``[notifier]`` config group.

        :raises WFEngineException: a network that is not a valid CIDR (a
            deployment error, not the client's).
        """
        try:
            nets = netguard.parse_networks(group.allowed_networks, SETTING)
        except exceptions.InputError as e:
            raise exceptions.WFEngineException(str(e)) from e
        return cls(nets, bool(group.allow_private_networks))


def parse_url(url, field="url"):
    """Check a webhook URL's form; returns a :class:`netguard.URL`.

    :raises InputError: not a string, too long, not http or https, no
        host, credentials in it, or a bad port.
    """
    target = netguard.parse_url(url, MAX_URL_LENGTH, "Field %r" % field)
    if target.has_credentials:
        raise exceptions.InvalidValue(
            field="'%s'" % field,
            expected="a URL without credentials (send them in 'headers')")
    return target


def refused_address(address, policy):
    """What makes ``address`` refused under ``policy``, or None.

    :param address: an ``ipaddress`` address or its text.
    :returns: ``address`` or an IPv4 address it reaches
        (:func:`netguard.destinations`) that ``policy`` does not allow.
    """
    for ip in netguard.destinations(_ip(address)):
        if not _allows(ip, policy):
            return ip
    return None


def is_allowed(address, policy):
    """Whether ``address`` (text or address) is allowed under ``policy``."""
    return refused_address(address, policy) is None


def _ip(address):
    ip = netguard.parse_ip_literal(str(address))
    if ip is None:
        raise ValueError("%r is not an IP address" % (address,))
    return ip


def _allows(ip, policy):
    if netguard.in_networks(ip, policy.allowed_networks) is not None:
        return True
    if ip.is_multicast or ip.is_unspecified:
        return False
    if ip.is_global and netguard.in_networks(ip, _SPECIAL) is None:
        return True
    return policy.allow_private and (ip.is_private or ip.is_loopback
                                     or ip.is_link_local)


def check(target, policy):
    """The address to connect to for ``target``, checked.

    :param target: a :class:`netguard.URL` from :func:`parse_url`.
    :returns: the address (text) to connect to.
    :raises netguard.Unresolvable: the host does not resolve.
    :raises AddressRefused: it is, or resolves to, an address not allowed
        (the message names the host, the address, why, and the setting).
    """
    found = netguard.host_addresses(target.host, target.port)
    for ip in found:
        refused = refused_address(ip, policy)
        if refused is not None:
            raise AddressRefused(_refusal(target.host, ip, refused, policy))
    return str(found[0])


def _refusal(host, ip, refused, policy):
    reaches = "" if refused == ip else " (which reaches %s)" % refused
    return ("Host %r resolves to %s%s, a non-public address (%s); allowed "
            "are public addresses and the networks in %s (now: %s)"
            % (host, ip, reaches, _kind(refused), SETTING,
               ", ".join(str(n) for n in policy.allowed_networks) or "none"))


def _kind(ip):
    for kind in _KINDS:
        if getattr(ip, "is_" + kind):
            return kind.replace("_", "-")
    return "special-purpose"


def check_url_at_create(url, policy, field="url"):
    """Check a URL when a listener or notify target is created.

    A host that does not resolve yet is accepted (delivery checks again);
    one that resolves to a refused address is not.

    :returns: the :class:`netguard.URL`.
    :raises InputError: bad URL, or (:class:`AddressRefused`) an address
        not allowed.
    """
    target = parse_url(url, field)
    try:
        check(target, policy)
    except netguard.Unresolvable:
        pass
    return target
