"""Address arithmetic and classification of addresses no inventory names.

Addresses are handled as Python integers per *distinct* address (a run sees a
few thousand distinct addresses, not millions), so this module may use
:mod:`ipaddress`; the per-record work elsewhere is a vectorised ``take``.

Examples
--------
>>> classify("10.1.2.3")
('unknown', 'unknown:10.1.2.0/24')
>>> classify("198.51.100.7")
('internet', 'internet')
>>> classify("198.51.100.7", internet="/16")
('internet', 'internet:198.51.0.0/16')
>>> classify("fd00::1")
('unknown', 'unknown:fd00::/64')
>>> classify("not-an-ip")
('unknown', 'unknown:invalid-address')
"""

from __future__ import annotations

import ipaddress
from typing import Literal

__all__ = ["parse_ip", "parse_network", "classify", "is_private", "InternetGranularity"]

InternetGranularity = Literal["single", "/16"]

# Non-public ranges: RFC 1918, carrier-grade NAT, link-local, loopback, IPv6 ULA/link-local.
_PRIVATE = [ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
    "127.0.0.0/8", "fc00::/7", "fe80::/10", "::1/128",
)]


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Parse an address; ``None`` when it is not one (IPv4-mapped IPv6 is unwrapped)."""
    try:
        ip = ipaddress.ip_address(text.strip())
    except (ValueError, AttributeError):
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def parse_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """Parse ``10.0.0.0/24`` or a bare address (as a /32 or /128); ``None`` if invalid."""
    try:
        return ipaddress.ip_network(str(text).strip(), strict=False)
    except ValueError:
        return None


def is_private(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for addresses that cannot be on the public internet."""
    return any(ip in net for net in _PRIVATE if net.version == ip.version)


def classify(text: str, *, internet: InternetGranularity = "single") -> tuple[str, str]:
    """Class and node name of an address that no inventory entry names.

    Public addresses become the ``internet`` node (or one node per /16 with
    ``internet="/16"``); private ones are grouped per /24 (IPv6: /64) as
    ``unknown:<network>``.
    """
    ip = parse_ip(text)
    if ip is None:
        return "unknown", "unknown:invalid-address"
    if is_private(ip):
        prefix = 24 if ip.version == 4 else 64
        net = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
        return "unknown", f"unknown:{net}"
    if internet == "/16":
        prefix = 16 if ip.version == 4 else 32
        net = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
        return "internet", f"internet:{net}"
    return "internet", "internet"
