"""The address guard: every denied spelling, resolution, allowed_hosts."""
import ipaddress

import pytest

from wfengine import exceptions
from wfengine import netguard

DENIED = netguard.parse_networks(netguard.DEFAULT_DENIED_CIDRS)


@pytest.mark.parametrize("host, address, network", [
    ("127.0.0.1", "127.0.0.1", "127.0.0.0/8"),
    ("localhost.", None, None),
    ("[::1]", "::1", "::1/128"),
    ("[::ffff:127.0.0.1]", "::ffff:7f00:1", "127.0.0.0/8"),
    ("[::ffff:169.254.169.254]", "::ffff:a9fe:a9fe", "169.254.0.0/16"),
    ("[::127.0.0.1]", "::7f00:1", "127.0.0.0/8"),
    ("[2002:7f00:1::1]", "2002:7f00:1::1", "127.0.0.0/8"),
    ("[64:ff9b::a00:1]", "64:ff9b::a00:1", "10.0.0.0/8"),
    ("0.0.0.0", "0.0.0.0", "0.0.0.0/8"),
    ("0", "0.0.0.0", "0.0.0.0/8"),
    ("[::]", "::", "::/128"),
    ("2130706433", "127.0.0.1", "127.0.0.0/8"),
    ("0x7f000001", "127.0.0.1", "127.0.0.0/8"),
    ("0x7f.0.0.1", "127.0.0.1", "127.0.0.0/8"),
    ("0177.0.0.1", "127.0.0.1", "127.0.0.0/8"),
    ("127.1", "127.0.0.1", "127.0.0.0/8"),
    ("169.254.169.254", "169.254.169.254", "169.254.0.0/16"),
    ("10.1.2.3", "10.1.2.3", "10.0.0.0/8"),
    ("172.16.0.1", "172.16.0.1", "172.16.0.0/12"),
    ("192.168.1.1", "192.168.1.1", "192.168.0.0/16"),
    ("100.64.0.1", "100.64.0.1", "100.64.0.0/10"),
    ("224.0.0.1", "224.0.0.1", "224.0.0.0/4"),
    ("255.255.255.255", "255.255.255.255", "240.0.0.0/4"),
    ("[fe80::1]", "fe80::1", "fe80::/10"),
    ("[fd00::1]", "fd00::1", "fc00::/7"),
    ("[ff02::1]", "ff02::1", "ff00::/8"),
])
def test_denied_address_forms_are_refused(host, address, network,
                                          fake_dns):
    fake_dns({"localhost": ["127.0.0.1", "::1"]})
    with pytest.raises(netguard.URLRefused) as e:
        netguard.check_url("http://%s:8080/path?token=secret" % host, DENIED)
    message = str(e.value)
    if address is not None:
        assert ipaddress.ip_address(address).compressed in message
        assert network in message
    assert "secret" not in message
    assert "denied_cidrs" in message


@pytest.mark.parametrize("host, expected", [
    ("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"),
    ("017700000001", "127.0.0.1"), ("1.2.3", "1.2.0.3"),
    ("::FFFF:127.0.0.1", "::ffff:7f00:1"), ("example.com", None),
    ("1.2.3.4.5", None), ("08.1.1.1", None), ("256.1.1.1", None),
    ("0x", None),
])
def test_parse_ip_literal(host, expected):
    found = netguard.parse_ip_literal(host)
    assert (str(found) if found is not None else None) == expected


def test_public_literal_is_allowed_without_dns(fake_dns):
    assert netguard.check_url("https://8.8.8.8/x", DENIED) == "8.8.8.8"
    assert netguard.check_url("http://[2606:4700::1111]/", DENIED) \
        == "2606:4700::1111"


def test_name_resolving_to_denied_address_is_refused(fake_dns):
    fake_dns({"rebind.example": ["169.254.169.254"]})
    with pytest.raises(netguard.URLRefused, match=r"'rebind\.example'.*"
                       r"169\.254\.169\.254.*169\.254\.0\.0/16"):
        netguard.check_url("http://rebind.example/", DENIED)


def test_any_denied_answer_refuses_the_name(fake_dns):
    fake_dns({"mixed.example": ["93.184.216.34", "10.0.0.5"]})
    with pytest.raises(netguard.URLRefused, match="10.0.0.5"):
        netguard.check_url("http://mixed.example/", DENIED)


def test_returns_first_checked_address(fake_dns):
    fake_dns({"public.example": ["93.184.216.34", "93.184.216.35"]})
    assert netguard.check_url("http://Public.Example./", DENIED) \
        == "93.184.216.34"


def test_unresolvable_host_is_refused(fake_dns):
    with pytest.raises(netguard.URLRefused, match="does not resolve"):
        netguard.check_url("http://nowhere.example/", DENIED)


def test_allowed_hosts_restrict_the_hosts(fake_dns):
    fake_dns({"api.example": ["93.184.216.34"]})
    allowed = ["API.example", "127.0.0.1"]
    assert netguard.check_url("http://api.example/", DENIED, allowed)
    with pytest.raises(netguard.URLRefused, match="allowed_hosts"):
        netguard.check_url("http://8.8.8.8/", DENIED, allowed)


def test_allowed_host_must_still_pass_denied_cidrs():
    with pytest.raises(netguard.URLRefused, match="127.0.0.0/8"):
        netguard.check_url("http://2130706433/", DENIED, ["127.0.0.1"])
    assert netguard.check_url("http://2130706433/", (), ["127.0.0.1"]) \
        == "127.0.0.1"


def test_empty_denied_list_allows_loopback():
    assert netguard.check_url("http://127.0.0.1:1/", ()) == "127.0.0.1"


@pytest.mark.parametrize("url, match", [
    ("file:///etc/passwd", "scheme 'file'"),
    ("gopher://127.0.0.1/", "scheme 'gopher'"),
    ("http:///nohost", "with a host"),
    ("http://h:99999/", "invalid port"),
    ("http://" + "a" * 9000, "at most 8192"),
    (None, "non-empty string"),
])
def test_bad_urls_are_refused(url, match):
    with pytest.raises(netguard.URLRefused, match=match):
        netguard.check_url(url, DENIED)


def test_parse_networks_names_a_bad_entry():
    with pytest.raises(exceptions.InputError,
                       match=r"'10\.0\.0\.0/33' in denied_cidrs"):
        netguard.parse_networks(["10.0.0.0/8", "10.0.0.0/33"])
    assert netguard.parse_networks(["", " 10.0.0.1/8 "]) \
        == (ipaddress.ip_network("10.0.0.0/8"),)


def test_default_denied_list_leaves_public_addresses():
    for address in ("8.8.8.8", "1.1.1.1", "2606:4700::1111",
                    "::ffff:8.8.8.8"):
        assert netguard.denied_by(ipaddress.ip_address(address),
                                  DENIED) is None


def test_parse_url_gives_the_request_parts():
    url = netguard.parse_url("HTTPS://u:p@[::FFFF:7f00:1]:8443/a/b?c=1#frag")
    assert url == netguard.URL("https", "::ffff:7f00:1", 8443, "/a/b?c=1",
                               has_credentials=True)
    assert url.host_header == "[::ffff:7f00:1]:8443"
    assert netguard.parse_url("http://0x7f.1").path == "/"
    assert netguard.parse_url("http://0x7f.1").host_header == "127.0.0.1"


@pytest.mark.parametrize("url, words", [
    ("http://[::1/", ["URL is not a valid URL"]),
    ("ftp://h/", ["Field 'url'", "scheme 'ftp'", "http or https"]),
    ("x" * 30, ["Field 'url' is 30 characters long; at most 20"]),
    ("", ["Field 'url' must be a non-empty string", "got ''"]),
])
def test_parse_url_names_what_it_refuses(url, words):
    what = "URL" if url.startswith("http") else "Field 'url'"
    with pytest.raises(netguard.URLRefused) as e:
        netguard.parse_url(url, max_length=20, what=what)
    for word in words:
        assert word in str(e.value)


@pytest.mark.parametrize("address, reached", [
    ("127.0.0.1", ["127.0.0.1"]),
    ("::1", ["::1"]),
    ("::ffff:127.0.0.1", ["127.0.0.1"]),
    ("::127.0.0.1", ["127.0.0.1"]),
    ("::ffff:0:a00:1", ["10.0.0.1"]),
    ("64:ff9b::a00:1", ["10.0.0.1"]),
    ("2002:7f00:1::1", ["2002:7f00:1::1", "127.0.0.1"]),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2",
     ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "65.54.227.120",
      "192.0.2.45"]),
])
def test_destinations_unwrap_ipv4_inside_ipv6(address, reached):
    ip = ipaddress.ip_address(address)
    assert [str(a) for a in netguard.destinations(ip)] == reached
    assert netguard.embedded_addresses(ip)[0] == ip
    assert set(netguard.embedded_addresses(ip)) == {
        ip, *netguard.destinations(ip)}


def test_resolve_gives_each_address_once_without_scope(monkeypatch):
    answers = [(None, None, None, "", ("fe80::1%eth0", 80, 0, 2)),
               (None, None, None, "", ("93.184.216.34", 80)),
               (None, None, None, "", ("93.184.216.34", 80))]
    monkeypatch.setattr(netguard.socket, "getaddrinfo",
                        lambda *args, **kwargs: answers)
    assert [str(a) for a in netguard.resolve("h.example", 80)] == [
        "fe80::1", "93.184.216.34"]


def test_unresolvable_is_a_refusal_of_its_own(monkeypatch):
    def fail(*args, **kwargs):
        raise netguard.socket.gaierror(-2, "Name or service not known")
    monkeypatch.setattr(netguard.socket, "getaddrinfo", fail)
    with pytest.raises(netguard.Unresolvable, match="'h.example'"):
        netguard.host_addresses("h.example", 80)
    assert issubclass(netguard.Unresolvable, netguard.URLRefused)
    assert netguard.host_addresses("0x7f.1", 80) == [
        ipaddress.ip_address("127.0.0.1")]
