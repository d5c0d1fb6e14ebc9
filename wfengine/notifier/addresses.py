"""Which addresses a webhook may reach (DESIGN.md rule 8).

A URL's host is resolved and *every* address it resolves to is checked:
loopback, private, link-local, unspecified (``0.0.0.0``), multicast,
reserved and every other non-global address is refused, including the
IPv4 forms hidden in IPv6 (``::ffff:127.0.0.1``, ``::127.0.0.1``) and
the decimal, hex and octal spellings of IPv4 that resolvers accept (the
check is on the resolved address, so they fall out). The deployment opens
exceptions with ``[notifier] allowed_networks`` (CIDRs) or
``allow_private_networks``. The check runs when a listener is created and
again before every attempt; the attempt then connects to the address that
was checked, so DNS cannot answer differently in between.
"""
import dataclasses
import ipaddress
import socket
import urllib.parse

from wfengine import exceptions

SCHEMES = ("http", "https")
MAX_URL_LENGTH = 2048
_V4_COMPAT = ipaddress.ip_network("::/96")


class AddressRefused(exceptions.InputError):
    """The URL's host is, or resolves to, an address not allowed."""

    message = "Address not allowed"


class Unresolvable(exceptions.InputError):
    """The URL's host does not resolve (now)."""

    message = "Host does not resolve"


@dataclasses.dataclass(frozen=True)
class Policy:
    """Addresses allowed beyond the global ones."""

    allowed_networks: tuple = ()
    allow_private: bool = False

    @classmethod
    def from_conf(cls, group):
        """The policy of a ``[notifier]`` config group.

        :raises ValueError: a network that is not a valid CIDR.
        """
        nets = tuple(ipaddress.ip_network(n.strip(), strict=False)
                     for n in group.allowed_networks or () if n.strip())
        return cls(nets, bool(group.allow_private_networks))


@dataclasses.dataclass(frozen=True)
class Target:
    """A parsed webhook URL."""

    scheme: str
    host: str
    port: int
    path: str

    @property
    def host_header(self):
        host = "[%s]" % self.host if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else "%s:%d" % (host, self.port)


def parse_url(url, field="url"):
    """Check a webhook URL's form; returns a :class:`Target`.

    :raises InputError: not a string, too long, not http or https, no
        host, credentials in it, or a bad port.
    """
    if not isinstance(url, str) or not url:
        raise exceptions.InputError(
            "Field %r must be an http or https URL, got %r" % (field, url))
    if len(url) > MAX_URL_LENGTH:
        raise exceptions.InputError(
            "Field %r is %d characters long; at most %d are allowed"
            % (field, len(url), MAX_URL_LENGTH))
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise exceptions.InputError(
            "Field %r must be an http or https URL with a host, got %r "
            "(allowed schemes: %s)" % (field, url, ", ".join(SCHEMES)))
    if parts.username is not None or parts.password is not None:
        raise exceptions.InputError(
            "Field %r must not carry credentials; send them in 'headers'"
            % field)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as e:
        raise exceptions.InputError(
            "Field %r has an invalid port: %s" % (field, e)) from e
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path)


def effective(address):
    """The address a connection really reaches (IPv4 inside IPv6 unwrapped)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _V4_COMPAT and int(ip) > 1:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def is_allowed(address, policy):
    """Whether ``address`` (text) may be reached under ``policy``."""
    ip = effective(address)
    if any(ip in net for net in policy.allowed_networks
           if net.version == ip.version):
        return True
    if ip.is_multicast or ip.is_unspecified:
        return False
    if ip.is_global:
        return True
    return policy.allow_private and (ip.is_private or ip.is_loopback
                                     or ip.is_link_local)


def resolve(host, port):
    """All addresses ``host`` resolves to, in the resolver's order.

    :raises Unresolvable: the resolver knows no address for it.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise Unresolvable("Host %r does not resolve: %s" % (host, e)) from e
    return list(dict.fromkeys(info[4][0] for info in infos))


def check(target, policy):
    """The address to connect to for ``target``, checked.

    :raises Unresolvable: the host does not resolve.
    :raises AddressRefused: it resolves to an address not allowed (the
        message names the host, the address and the setting to change).
    """
    addresses = resolve(target.host, target.port)
    refused = [a for a in addresses if not is_allowed(a, policy)]
    if refused:
        raise AddressRefused(
            "Host %r resolves to %s, a loopback, private, link-local or "
            "otherwise non-public address; allowed are public addresses "
            "and the networks in [notifier] allowed_networks (now: %s)"
            % (target.host, refused[0],
               ", ".join(str(n) for n in policy.allowed_networks)
               or "none"))
    return addresses[0]


def check_url_at_create(url, policy, field="url"):
    """Check a URL when a listener or notify target is created.

    A host that does not resolve yet is accepted (delivery checks again);
    one that resolves to a refused address is not.

    :raises InputError: bad URL, or (:class:`AddressRefused`) an address
        not allowed.
    """
    target = parse_url(url, field)
    try:
        check(target, policy)
    except Unresolvable:
        pass
    return target
