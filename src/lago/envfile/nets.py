"""An env file's nets, and the static addresses VMs ask for on them (SPEC §4)."""
from __future__ import annotations

import ipaddress
import re
from typing import Any, Dict, Optional, Tuple

from ..model import DEFAULT_DNS_DOMAIN, Domain, Net
from . import upstream
from .checker import Checker, type_name

NET_TYPES = ("nat", "isolated", "bridge")
NET_TYPES_SUPPORTED = ("nat", "isolated", "bridge")
NET_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
NET_KEYS = ("type", "dhcp", "management", "gw", "dns_domain_name", "dns_records", "mtu",
            "bridge", "comment") + upstream.NET_KEYS
BRIDGE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
DHCP_KEYS = ("start", "end")


def check_net(chk: Checker, name: str, raw: Any, loc: Tuple[Any, ...]) -> Optional[Net]:
    if not NET_NAME_RE.match(name):
        chk.bad(loc, "a net name is 1-128 letters, digits, '_', '.', '-', starting with a "
                     "letter or digit")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        chk.bad(loc, f"expected a mapping, got {type_name(type(raw))}")
        return None
    chk.keys(raw, NET_KEYS, loc)
    net = Net(name=name)
    net.type = chk.typed(raw, "type", str, loc, "nat")
    if net.type not in NET_TYPES:
        chk.bad(loc + ("type",), f"'{net.type}' is not one of {', '.join(NET_TYPES)}")
    elif net.type not in NET_TYPES_SUPPORTED:
        chk.bad(loc + ("type",), f"type '{net.type}' is not supported by this build yet "
                                 f"(supported: {', '.join(NET_TYPES_SUPPORTED)})")
    net.management = chk.typed(raw, "management", bool, loc, False)
    dhcp = chk.typed(raw, "dhcp", dict, loc)
    if dhcp is not None:
        chk.keys(dhcp, DHCP_KEYS, loc + ("dhcp",))
        start = chk.typed(dhcp, "start", int, loc + ("dhcp",), 100)
        end = chk.typed(dhcp, "end", int, loc + ("dhcp",), 254)
        if not (2 <= start <= end <= 254):
            chk.bad(loc + ("dhcp",), f"need 2 <= start <= end <= 254, got {start}..{end}")
        net.dhcp = {"start": start, "end": end}
    gw = chk.typed(raw, "gw", str, loc)
    if gw is not None:
        try:
            addr = ipaddress.IPv4Address(gw)
            subnet = ipaddress.IPv4Network(f"{gw}/24", strict=False)
            if addr in (subnet.network_address, subnet.broadcast_address):
                chk.bad(loc + ("gw",), f"{gw} is the network or broadcast address of {subnet}")
            net.gw = gw
        except ValueError:
            chk.bad(loc + ("gw",), f"'{gw}' is not an IPv4 address")
    net.dns_domain_name = chk.typed(raw, "dns_domain_name", str, loc, DEFAULT_DNS_DOMAIN)
    if not re.match(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$", net.dns_domain_name):
        chk.bad(loc + ("dns_domain_name",), f"'{net.dns_domain_name}' is not a DNS domain")
    records = chk.typed(raw, "dns_records", dict, loc, {})
    for rec_name, rec_ip in records.items():
        if chk.text(str(rec_name), loc + ("dns_records", rec_name)) is None:
            continue
        try:
            ipaddress.IPv4Address(str(rec_ip))
            net.dns_records[str(rec_name)] = str(rec_ip)
        except ValueError:
            chk.bad(loc + ("dns_records", rec_name), f"'{rec_ip}' is not an IPv4 address")
    mtu = chk.typed(raw, "mtu", int, loc)
    if mtu is not None:
        if not 68 <= mtu <= 65535:
            chk.bad(loc + ("mtu",), f"{mtu} is outside 68..65535")
        net.mtu = mtu
    bridge = chk.typed(raw, "bridge", str, loc)
    if bridge is not None:
        if net.type != "bridge":
            chk.bad(loc + ("bridge",), "only a net of type bridge names a host bridge")
        elif not BRIDGE_RE.match(bridge):
            chk.bad(loc + ("bridge",), f"'{bridge}' is not a bridge name (1-15 letters, digits, "
                                       "'_', '.', '-')")
        elif net.gw is None:
            chk.bad(loc + ("gw",), f"an existing bridge ('{bridge}') needs gw: its addresses "
                                   "are the bridge's own network, lago does not lease them")
        else:
            net.bridge = bridge
    return net

def check_addresses(chk: Checker, domains: Dict[str, Domain], nets: Dict[str, Net]) -> None:
    """Static IPs: inside their net's /24, not gw/network/broadcast, unique; management unique."""
    pinned: Dict[str, ipaddress.IPv4Network] = {}
    for name, net in nets.items():
        if net.gw:
            pinned[name] = ipaddress.IPv4Network(f"{net.gw}/24", strict=False)
    seen_ips: Dict[Tuple[str, str], str] = {}
    for vm in domains.values():
        if vm.provider == "ssh":
            continue  # its address is where the machine is, not planned on the env's nets
        mgmt = [n.net for n in vm.nics if n.net in nets and nets[n.net].management]
        if len(mgmt) > 1:
            chk.bad(("domains", vm.name, "nics"),
                    f"on {len(mgmt)} management nets ({', '.join(mgmt)}); a VM may be on one")
        for i, nic in enumerate(vm.nics):
            if nic.ip is None or nic.net not in nets:
                continue
            loc = ("domains", vm.name, "nics", i, "ip")
            addr = ipaddress.IPv4Address(nic.ip)
            subnet = pinned.setdefault(nic.net, ipaddress.IPv4Network(f"{nic.ip}/24", strict=False))
            if addr not in subnet:
                chk.bad(loc, f"{nic.ip} is outside net '{nic.net}' ({subnet})")
                continue
            gw = nets[nic.net].gw or str(subnet.network_address + 1)
            if addr in (subnet.network_address, subnet.broadcast_address):
                chk.bad(loc, f"{nic.ip} is the network or broadcast address of {subnet}")
            elif nic.ip == gw:
                chk.bad(loc, f"{nic.ip} is the gateway of net '{nic.net}'")
            key = (nic.net, nic.ip)
            if key in seen_ips:
                chk.bad(loc, f"{nic.ip} is already given to {seen_ips[key]}")
            seen_ips[key] = f"{vm.name} nics[{i}]"
    by_subnet: Dict[ipaddress.IPv4Network, str] = {}
    for name, subnet in pinned.items():
        if subnet in by_subnet:
            chk.bad(("nets", name), f"asks for {subnet}, as does net '{by_subnet[subnet]}'")
        by_subnet[subnet] = name
    for name, net in nets.items():
        if name in pinned:
            net.gw = net.gw or str(pinned[name].network_address + 1)
