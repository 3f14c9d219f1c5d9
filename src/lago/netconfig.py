"""Guest network configuration files per distro family (pure: text in, text out).

Each NIC is matched by its MAC (a pure function of its reserved IP, SPEC §5), never by an
interface name: names differ between kernels, udev policies and ``net.ifnames``. Only the
management NIC carries the default route and DNS, so a multi-homed guest has one way out.
"""
from __future__ import annotations

import ipaddress
from typing import Dict, List, Optional, Tuple

DEBIAN_FAMILY = ("debian", "ubuntu")
EL_FAMILY = ("el", "rhel", "centos", "fedora", "rocky", "alma", "almalinux", "ol", "oracle")


def family(distro: Optional[str]) -> str:
    """'debian', 'el' or 'unknown' from a distro name like 'debian12', 'el9', 'fedora40'."""
    name = (distro or "").lower().rstrip("0123456789.-_")
    if name in DEBIAN_FAMILY:
        return "debian"
    if name in EL_FAMILY:
        return "el"
    return "unknown"


def _prefix_len(subnet: str) -> int:
    return ipaddress.IPv4Network(subnet).prefixlen


def networkd(nic: Dict[str, str], subnet: str, gateway: Optional[str]) -> str:
    """A systemd-networkd .network file: static address, route and DNS on the management NIC."""
    lines = ["[Match]", f"MACAddress={nic['mac']}", "", "[Network]",
             f"Address={nic['ip']}/{_prefix_len(subnet)}"]
    if gateway:
        lines += [f"Gateway={gateway}", f"DNS={gateway}"]
    return "\n".join(lines) + "\n"


def nm_keyfile(nic: Dict[str, str], subnet: str, gateway: Optional[str]) -> str:
    """A NetworkManager keyfile (EL 8+, Fedora); NM ignores keyfiles that are not mode 0600."""
    addr = f"{nic['ip']}/{_prefix_len(subnet)}"
    ipv4 = ["[ipv4]", "method=manual", f"address1={addr},{gateway}" if gateway else
            f"address1={addr}"]
    if gateway:
        ipv4 += [f"dns={gateway};", "never-default=false"]
    else:
        ipv4.append("never-default=true")
    lines = ["[connection]", f"id=lago-{nic['dev']}", "type=ethernet", "autoconnect=true", "",
             "[ethernet]", f"mac-address={nic['mac'].upper()}", ""] + ipv4 + \
        ["", "[ipv6]", "method=ignore"]
    return "\n".join(lines) + "\n"


def files(fam: str, nics: List[Dict[str, str]], subnets: Dict[str, str],
          management: Tuple[str, str]) -> List[Tuple[str, str, str]]:
    """[(guest path, content, mode)] for every NIC. management = (net, gateway).

    An unknown family gets both kinds: each file is inert unless its daemon runs.
    """
    out = []
    for i, nic in enumerate(nics):
        gw = management[1] if nic["net"] == management[0] and _first_on(nics, i) else None
        subnet = subnets[nic["net"]]
        if fam in ("debian", "unknown"):
            out.append((f"/etc/systemd/network/10-lago-{nic['dev']}.network",
                        networkd(nic, subnet, gw), "0644"))
        if fam in ("el", "unknown"):
            out.append((f"/etc/NetworkManager/system-connections/lago-{nic['dev']}.nmconnection",
                        nm_keyfile(nic, subnet, gw), "0600"))
    return out


def _first_on(nics: List[Dict[str, str]], i: int) -> bool:
    """Only the first NIC on the management net gets the gateway (SPEC §4)."""
    return all(n["net"] != nics[i]["net"] for n in nics[:i])
