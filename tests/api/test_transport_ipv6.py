"""SSRF protection for IPv6 transition addresses: 6to4, NAT64, Teredo and friends never reach IPv4 inside."""

import ipaddress
import re

import httpx
import pytest

from api.transport import BlockedDestination, SafeTransport, address_refusal
from tests.api.test_transport import RecordingTransport


@pytest.mark.parametrize(
    ("resolved", "reason"),
    [
        ("2002:7f00:1::1", "a 6to4 address"),  # 6to4 of 127.0.0.1
        ("2002:5db8:d70e::1", "a 6to4 address"),  # 6to4 of a public address: still a gateway hop
        ("64:ff9b::a9fe:a9fe", "a NAT64 address"),  # NAT64 of 169.254.169.254
        ("64:ff9b::5db8:d70e", "a NAT64 address"),
        ("64:ff9b:1::a00:1", "a local-use NAT64 address"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "a Teredo address"),
        ("::ffff:0:a00:1", "an IPv4-translated (SIIT) address"),
        ("::a00:1", "an IPv4-compatible address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("::ffff:169.254.169.254", "a cloud metadata address"),
    ],
)
def test_transition_addresses_are_refused_at_connect_time(resolved, reason):
    # given a webhook host that resolves to an IPv6 transition address
    network = RecordingTransport()
    transport = SafeTransport(allow_loopback=True, resolver=lambda host, port: [resolved], inner=network)
    client = httpx.Client(transport=transport, timeout=5)

    # when / then the request is refused before anything is sent, whatever the loopback setting
    with pytest.raises(BlockedDestination, match=re.escape(reason)):
        client.post("https://hooks.example.com/in", content=b"{}")
    assert network.requests == []


def test_mapped_public_ipv4_and_plain_public_ipv6_are_allowed():
    assert address_refusal(ipaddress.ip_address("::ffff:93.184.215.14")) is None
    assert address_refusal(ipaddress.ip_address("2606:2800:21f:cb07:6820:80da:af6b:8b2c")) is None
