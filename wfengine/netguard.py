"""Which addresses an outbound HTTP request may reach (SSRF guard).

Pure and reusable: callers pass the denied networks and the allowed host
names (``std.http`` and ``std.email``, through :func:`check_host`, take
them from ``[action_std_http]``); nothing here
reads configuration. The primitives (URL splitting, host normalization,
IP literals in every spelling, IPv4 inside IPv6, resolution) also serve
the notifier's allow-list policy in ``wfengine.notifier.addresses``.
With :func:`check_url`, a URL is refused when its host

* is not in ``allowed_hosts`` (when that list is not empty), or
* is, or resolves to, an address inside one of the denied networks.

Every address the host resolves to is checked, and so is every IPv4
address carried inside an IPv6 one (``::ffff:127.0.0.1``, ``::127.0.0.1``,
6to4, Teredo, NAT64). Host names written as numbers the way ``inet_aton``
reads them (``2130706433``, ``0x7f.1``, ``0177.0.0.1``) are recognised as
addresses without asking DNS. :func:`check_url` returns the address it
checked so that the caller connects to exactly that one (no second DNS
answer, no rebinding).
"""
import dataclasses
import ipaddress
import socket
import urllib.parse

import idna

from wfengine import exceptions

SCHEMES = ("http", "https")
MAX_URL_LENGTH = 8192

DEFAULT_DENIED_CIDRS = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
    "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24",
    "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001:db8::/32",
    "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
)

_V4_COMPATIBLE = ipaddress.ip_network("::/96")
_V4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


# The URL may not be requested (scheme, host or address refused); its
# host does not resolve (now).
URLRefused = exceptions.URLRefused
Unresolvable = exceptions.Unresolvable


@dataclasses.dataclass(frozen=True)
class URL:
    """The parts of an http or https URL that a request is made of.

    ``host`` is normalized (:func:`normalize_host`), ``port`` is explicit
    (the scheme's default when the URL gives none) and ``path`` carries
    the query (``"/"`` when the URL has no path).
    """

    scheme: str
    host: str
    port: int
    path: str = "/"
    has_credentials: bool = False

    @property
    def host_header(self):
        """The ``Host`` header for a request to this URL."""
        host = "[%s]" % self.host if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else "%s:%d" % (host, self.port)


def parse_networks(cidrs, option="denied_cidrs"):
    """The networks of a list of CIDR strings.

    :param cidrs: iterable of strings such as ``"10.0.0.0/8"`` or
        ``"::1/128"``; blank entries are skipped.
    :param option: the setting's name, for the error message.
    :returns: tuple of ``ipaddress`` network objects.
    :raises InputError: an entry is not a network.
    """
    networks = []
    for cidr in cidrs or ():
        text = str(cidr).strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as e:
            raise exceptions.InputError(
                "Invalid network %r in %s: %s (expected CIDR notation such "
                "as 10.0.0.0/8 or fc00::/7)" % (text, option, e)) from e
    return tuple(networks)


def normalize_host(host):
    """``host`` in the form it is compared and resolved in.

    Lower case, without a trailing dot or IPv6 brackets, IDNA-encoded,
    and IP addresses (in any spelling :func:`parse_ip_literal` reads) in
    their canonical text.
    """
    host = host.strip().strip("[]").rstrip(".").lower()
    literal = parse_ip_literal(host)
    if literal is not None:
        return str(literal)
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as e:
            raise exceptions.InvalidURL(
                what="A URL", problem="its host is not a valid host name "
                "(IDNA)") from e
    return host


def parse_ip_literal(host):
    """The address ``host`` spells, or None if it is a name.

    Reads IPv6, dotted IPv4 and the shorter, decimal, octal and hex forms
    that ``inet_aton`` accepts (``2130706433``, ``127.1``, ``0x7f.0.0.1``,
    ``0177.0.0.1``).
    """
    host = host.strip().strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    return _parse_inet_aton(host.rstrip("."))


def _parse_inet_aton(text):
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values = [_parse_number(p) for p in parts]
    if any(v is None for v in values):
        return None
    # The last part fills every byte the earlier parts left.
    widths = [8] * (len(values) - 1) + [32 - 8 * (len(values) - 1)]
    number = 0
    for value, width in zip(values, widths):
        if value >= 1 << width:
            return None
        number = (number << width) | value
    return ipaddress.IPv4Address(number)


def _parse_number(text):
    lowered = text.lower()
    try:
        if lowered.startswith("0x"):
            return int(lowered[2:], 16) if len(lowered) > 2 else None
        if len(lowered) > 1 and lowered.startswith("0"):
            return int(lowered[1:], 8)
        return int(lowered, 10) if lowered.isdigit() else None
    except ValueError:
        return None


def unwrap(ip):
    """The address a connection to ``ip`` reaches.

    The IPv4 address inside an IPv4-mapped (``::ffff:a.b.c.d``),
    IPv4-translated, IPv4-compatible (``::a.b.c.d``) or NAT64
    (``64:ff9b::/96``) IPv6 address; ``ip`` itself otherwise.
    """
    if ip.version == 4:
        return ip
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ((ip in _V4_COMPATIBLE and int(ip) > 1) or ip in _V4_TRANSLATED
            or ip in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def _tunnel_ends(ip):
    if ip.version == 4:
        return []
    ends = [ip.sixtofour] if ip.sixtofour is not None else []
    return ends + list(ip.teredo or ())


def destinations(ip):
    """What a connection to ``ip`` really goes to.

    :func:`unwrap` of ``ip``, then the IPv4 addresses a 6to4 or Teredo
    address tunnels to.
    """
    return [unwrap(ip)] + _tunnel_ends(ip)


def embedded_addresses(ip):
    """``ip`` and every IPv4 address an IPv6 address carries."""
    return list(dict.fromkeys([ip] + destinations(ip)))


def in_networks(ip, networks):
    """The first network of ``networks`` that ``ip`` itself is in, or None."""
    for network in networks:
        if network.version == ip.version and ip in network:
            return network
    return None


def denied_by(ip, denied):
    """The first network of ``denied`` that ``ip`` falls in, or None.

    IPv4 addresses inside IPv6 ones are checked too.
    """
    for candidate in embedded_addresses(ip):
        network = in_networks(candidate, denied)
        if network is not None:
            return network
    return None


def resolve(host, port):
    """Every address ``host`` resolves to, in the resolver's order, once.

    :raises Unresolvable: the host does not resolve.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise Unresolvable("Host %r does not resolve: %s" % (host, e)) from e
    texts = dict.fromkeys(info[4][0].split("%", 1)[0] for info in infos)
    return [ipaddress.ip_address(text) for text in texts]


def host_addresses(host, port):
    """The addresses to check for ``host``: the one it spells, if it is
    an IP literal (:func:`parse_ip_literal`), else all it resolves to.

    :raises Unresolvable: a name that does not resolve.
    """
    literal = parse_ip_literal(host)
    return [literal] if literal is not None else resolve(host, port)


def parse_url(url, max_length=MAX_URL_LENGTH, what="URL"):
    """The :class:`URL` of an http or https URL.

    :param url: the URL text.
    :param max_length: the most characters allowed.
    :param what: names the URL in messages (``"Field 'url'"``).
    :raises URLRefused: not a string, too long, not http(s), no host, a
        bad host name or a bad port.
    """
    _check_text(url, max_length, what)
    try:
        parts = urllib.parse.urlsplit(url)
        hostname = parts.hostname
    except ValueError as e:
        # urllib's words may quote the URL's user part.
        raise exceptions.InvalidURL(what=what,
                                    problem="it does not parse") from e
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not hostname:
        raise URLRefused(
            "%s has scheme %r and host %r; allowed are %s URLs with a host"
            % (what, parts.scheme, hostname or "", " or ".join(SCHEMES)))
    path = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    return URL(scheme, normalize_host(hostname), _port(parts, what), path,
               parts.username is not None or parts.password is not None)


def _check_text(url, max_length, what):
    if not isinstance(url, str) or not url:
        raise URLRefused(
            "%s must be a non-empty string holding an http or https URL, "
            "got %s" % (what, "''" if url == "" else type(url).__name__))
    if len(url) > max_length:
        raise URLRefused("%s is %d characters long; at most %d are allowed"
                         % (what, len(url), max_length))


def _port(parts, what):
    try:
        return parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError as e:
        raise exceptions.InvalidURL(
            what=what, problem="it has an invalid port (a number from 0 "
            "to 65535)") from e


def split_url(url):
    """Scheme, normalized host and port of ``url``.

    :raises URLRefused: see :func:`parse_url`.
    """
    parsed = parse_url(url)
    return parsed.scheme, parsed.host, parsed.port


def check_host(host, port, denied, allowed_hosts=(),
               setting="[action_std_http]"):
    """The address to connect to for ``host``, checked.

    :param host: a host name or address (normalized by this function).
    :param port: the port, for the resolver.
    :param denied: networks from :func:`parse_networks`.
    :param allowed_hosts: if not empty, the only host names (or
        addresses) that may be requested.
    :param setting: the config group the lists come from, for messages.
    :returns: the address (text) to connect to.
    :raises URLRefused: the host is not allowed, does not resolve, or
        resolves to a denied address (named with the network).
    """
    host = normalize_host(host)
    allowed = {normalize_host(h) for h in allowed_hosts or () if h.strip()}
    if allowed and host not in allowed:
        raise URLRefused(
            "Host %r is not in %s allowed_hosts (allowed: %s)"
            % (host, setting, ", ".join(sorted(allowed))))
    addresses = host_addresses(host, port)
    for address in addresses:
        network = denied_by(address, denied)
        if network is not None:
            raise URLRefused(
                "Host %r resolves to %s, which is in the denied network %s; "
                "change %s denied_cidrs to allow it"
                % (host, address, network, setting))
    return str(addresses[0])


def check_url(url, denied, allowed_hosts=(), setting="[action_std_http]"):
    """The address to connect to for ``url``, checked.

    :param url: an http or https URL.
    :param denied: networks from :func:`parse_networks`.
    :param allowed_hosts: if not empty, the only hosts allowed.
    :param setting: the config group the lists come from, for messages.
    :returns: the address (text) to connect to.
    :raises URLRefused: see :func:`split_url` and :func:`check_host`.
    """
    _, host, port = split_url(url)
    return check_host(host, port, denied, allowed_hosts, setting)
