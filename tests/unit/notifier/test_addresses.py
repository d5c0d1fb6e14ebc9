"""Which addresses webhooks may reach: every spelling of a forbidden one
is refused, on the resolved address."""
import ipaddress

import pytest

from wfengine import exceptions
from wfengine import netguard
from wfengine.notifier import addresses

DEFAULT = addresses.Policy()
LOOPBACK_ONLY = addresses.Policy(
    (ipaddress.ip_network("127.0.0.1/32"),))


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://0.0.0.0/",
    "http://0/",
    "http://[::1]:8080/hook",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::127.0.0.1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[2002:7f00:1::1]/",
    "http://[64:ff9b::a00:1]/",
    "http://[64:ff9b:1::1]/",
    "http://0x7f.1/",
    "http://127.0.0.1./",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.0.0.1/",
    "http://0177.0.0.1/",
    "http://017700000001/",
    "http://localhost:9000/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "https://255.255.255.255/",
])
def test_non_public_addresses_are_refused(url):
    target = addresses.parse_url(url)
    with pytest.raises(addresses.AddressRefused) as err:
        addresses.check(target, DEFAULT)
    assert target.host in str(err.value)
    assert "allowed_networks" in str(err.value)


@pytest.mark.parametrize("url", ["http://8.8.8.8/", "https://[2606:4700::1]/",
                                 "http://93.184.216.34:8080/x?y=1"])
def test_public_addresses_are_allowed(url):
    target = addresses.parse_url(url)
    assert addresses.check(target, DEFAULT) == target.host


def test_allowed_networks_open_exactly_what_they_name():
    assert addresses.check(addresses.parse_url("http://127.0.0.1:1/"),
                           LOOPBACK_ONLY) == "127.0.0.1"
    assert addresses.is_allowed("::ffff:127.0.0.1", LOOPBACK_ONLY)
    for url in ("http://127.0.0.2/", "http://0.0.0.0/", "http://10.0.0.1/",
                "http://[::1]/"):
        with pytest.raises(addresses.AddressRefused):
            addresses.check(addresses.parse_url(url), LOOPBACK_ONLY)


def test_allow_private_still_refuses_unspecified_and_multicast():
    policy = addresses.Policy(allow_private=True)
    assert addresses.is_allowed("10.0.0.1", policy)
    assert addresses.is_allowed("::1", policy)
    assert not addresses.is_allowed("0.0.0.0", policy)
    assert not addresses.is_allowed("224.0.0.1", policy)


def test_policy_from_conf_reads_cidrs():
    class Group:
        allowed_networks = ["127.0.0.1/32", " 10.0.0.0/8", ""]
        allow_private_networks = False
    policy = addresses.Policy.from_conf(Group)
    assert [str(n) for n in policy.allowed_networks] == [
        "127.0.0.1/32", "10.0.0.0/8"]


def test_policy_from_conf_names_a_bad_cidr_as_a_server_error():
    class Group:
        allowed_networks = ["10.0.0.0/33"]
        allow_private_networks = False
    with pytest.raises(exceptions.WFEngineException) as err:
        addresses.Policy.from_conf(Group)
    assert not isinstance(err.value, exceptions.InputError)
    assert "'10.0.0.0/33' in [notifier] allowed_networks" in str(err.value)


@pytest.mark.parametrize("url, address, reaches, kind", [
    ("http://2130706433/", "127.0.0.1", None, "loopback"),
    ("http://[::ffff:169.254.169.254]/", "::ffff:a9fe:a9fe",
     "169.254.169.254", "link-local"),
    ("http://[64:ff9b::a00:1]/", "64:ff9b::a00:1", "10.0.0.1", "private"),
    ("http://0/", "0.0.0.0", None, "unspecified"),
])
def test_refusal_names_host_address_and_reason(url, address, reaches, kind):
    target = addresses.parse_url(url)
    with pytest.raises(addresses.AddressRefused) as err:
        addresses.check(target, DEFAULT)
    message = str(err.value)
    assert repr(target.host) in message
    assert "resolves to %s" % address in message
    if reaches:
        assert "(which reaches %s)" % reaches in message
    assert "a non-public address (%s)" % kind in message
    assert "[notifier] allowed_networks (now: none)" in message


@pytest.mark.parametrize("url, address", [
    ("http://2130706433:1/", "127.0.0.1"), ("http://0x7f.1:1/", "127.0.0.1"),
    ("http://0177.0.0.1:1/", "127.0.0.1"),
    ("http://[::ffff:127.0.0.1]:1/", "::ffff:7f00:1"),
])
def test_ip_literals_in_any_spelling_are_checked_without_dns(
        monkeypatch, url, address):
    def no_dns(*args, **kwargs):
        raise AssertionError("DNS asked for an IP literal")
    monkeypatch.setattr(netguard.socket, "getaddrinfo", no_dns)
    assert addresses.check(addresses.parse_url(url), LOOPBACK_ONLY) == address


def test_tunnels_are_judged_by_what_they_reach():
    for address in ("64:ff9b::808:808", "::ffff:8.8.8.8", "2002:808:808::1"):
        assert addresses.is_allowed(address, DEFAULT)
    private = addresses.Policy(allow_private=True)
    assert addresses.is_allowed("64:ff9b::a00:1", private)
    assert not addresses.is_allowed("2002:e000:1::1", private)
    assert addresses.refused_address("2002:e000:1::1", private) == (
        ipaddress.ip_address("224.0.0.1"))


@pytest.mark.parametrize("url, words", [
    ("ftp://example.com/", ["http or https"]),
    ("http:///nohost", ["with a host"]),
    ("http://user:pw@example.com/", ["credentials"]),
    ("http://example.com:99999/", ["port"]),
    ("x" * 3000, ["at most 2048"]),
    (None, ["http or https URL"]),
])
def test_bad_urls_are_input_errors(url, words):
    with pytest.raises(exceptions.InputError) as err:
        addresses.parse_url(url)
    for word in words:
        assert word in str(err.value)


def test_unresolvable_host_is_accepted_at_create_refused_at_delivery():
    url = "http://no-such-host.invalid/"
    assert addresses.check_url_at_create(url, DEFAULT).host == (
        "no-such-host.invalid")
    with pytest.raises(netguard.Unresolvable):
        addresses.check(addresses.parse_url(url), DEFAULT)


def test_host_is_normalized_for_the_check_and_the_host_header():
    target = addresses.parse_url("http://Example.COM.:8080/a?b=1#frag")
    assert (target.host, target.port, target.path) == (
        "example.com", 8080, "/a?b=1")
    assert target.host_header == "example.com:8080"
    assert addresses.parse_url("https://bücher.example/").host == (
        "xn--bcher-kva.example")


def test_host_header_keeps_non_default_port_and_brackets():
    assert addresses.parse_url("http://h:80/").host_header == "h"
    assert addresses.parse_url("https://h:8443/").host_header == "h:8443"
    assert addresses.parse_url("http://[::1]:81/").host_header == "[::1]:81"
