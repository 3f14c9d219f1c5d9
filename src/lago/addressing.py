"""Pure address planning: leased subnets + env → IPs, MACs, names (SPEC §5)."""
from __future__ import annotations

import hashlib
import ipaddress
import re
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional

from .model import Env

if TYPE_CHECKING:
    from .state import VmState

BRIDGE_MAX = 15  # IFNAMSIZ - 1
# A net name longer than this is shortened in its libvirt name, with a hash of the whole
# name so two long names that share their start still differ (Lago shortened the same way).
NET_NAME_KEEP = 32


def mac_for(ip: str) -> str:
    """The MAC is a pure function of the IPv4 address: 54:52 + its four bytes."""
    octets = ipaddress.IPv4Address(ip).packed
    return "54:52:" + ":".join(f"{b:02x}" for b in octets)


def short_id(uuid: str) -> str:
    return uuid.replace("-", "")[:8]


def domain_name(uuid: str, vm: str) -> str:
    return f"lago-{short_id(uuid)}-{vm}"


def network_name(uuid: str, net: str) -> str:
    if len(net) > NET_NAME_KEEP:
        digest = hashlib.sha1(net.encode("utf-8")).hexdigest()[:8]
        net = f"{net[:NET_NAME_KEEP - 9]}-{digest}"
    return f"lago-{short_id(uuid)}-{net}"


def host_label(vm: str) -> str:
    """The guest's hostname and DNS name for a VM name: Lago allowed '_' in names, DNS
    does not."""
    return re.sub(r"[^A-Za-z0-9.-]", "-", vm)


def bridge_prefix(uuid: str) -> str:
    """What every bridge of one env starts with."""
    return f"lago{short_id(uuid)}n"


def bridge_name(uuid: str, index: int) -> str:
    name = f"{bridge_prefix(uuid)}{index}"
    assert len(name) <= BRIDGE_MAX, name
    return name


def leased_nets(env: Env) -> List[str]:
    """The nets whose /24 comes from the lease pool: all but those on an existing bridge."""
    return [name for name, net in env.nets.items() if not net.bridge]


def subnet_requests(env: Env) -> List[Optional[ipaddress.IPv4Network]]:
    """One request per leased net, in env order: its pinned /24 (from gw), or None."""
    return [ipaddress.IPv4Network(f"{env.nets[n].gw}/24", strict=False) if env.nets[n].gw
            else None for n in leased_nets(env)]


def all_subnets(env: Env, leased: List[ipaddress.IPv4Network]) -> List[ipaddress.IPv4Network]:
    """Every net's /24 in env order: the leased ones, and an existing bridge's from its gw."""
    by_name = dict(zip(leased_nets(env), leased))
    return [by_name[name] if name in by_name
            else ipaddress.IPv4Network(f"{net.gw}/24", strict=False)
            for name, net in env.nets.items()]


def plan(env: Env, uuid: str, subnets: List[ipaddress.IPv4Network]) -> Dict[str, dict]:
    """Return {"nets": {...}, "vms": {...}}: every net's subnet/gw/names, every NIC's ip/mac.

    Static IPs are kept; the others are handed out from .2 upwards in VM order, skipping the
    gateway, the static ones and the DHCP range.
    """
    nets: Dict[str, dict] = {}
    for index, (name, net) in enumerate(env.nets.items()):
        subnet = subnets[index]
        gw = net.gw or str(subnet.network_address + 1)
        dhcp = net.dhcp or {"start": 100, "end": 254}
        nets[name] = {"subnet": str(subnet), "gw": gw, "type": net.type,
                      "libvirt_name": network_name(uuid, name),
                      "bridge": net.bridge or bridge_name(uuid, index),
                      "own_bridge": net.type == "bridge" and not net.bridge,
                      "dhcp": {"start": str(subnet.network_address + dhcp["start"]),
                               "end": str(subnet.network_address + dhcp["end"])}}
    used: Dict[str, set] = {name: {n["gw"]} for name, n in nets.items()}
    for vm in env.domains.values():
        for nic in vm.nics if vm.provider != "ssh" else ():
            if nic.ip:
                used[nic.net].add(nic.ip)
    vms: Dict[str, dict] = {}
    for vm in env.domains.values():
        if vm.provider == "ssh":
            # An existing machine: its address is given, nothing is planned on the nets.
            vms[vm.name] = {"libvirt_name": None, "provider": "ssh", "ip": vm.nics[0].ip,
                            "management_net": vm.nics[0].net,
                            "nics": [{"net": n.net, "ip": n.ip, "mac": None, "dev": f"eth{i}"}
                                     for i, n in enumerate(vm.nics)]}
            continue
        nics = []
        for i, nic in enumerate(vm.nics):
            ip = nic.ip or _next_free(nets[nic.net], used[nic.net])
            used[nic.net].add(ip)
            nics.append({"net": nic.net, "ip": ip, "mac": mac_for(ip), "dev": f"eth{i}"})
        mgmt = env.management_net(vm.name)
        ip = next(n["ip"] for n in nics if n["net"] == mgmt)
        vms[vm.name] = {"libvirt_name": domain_name(uuid, vm.name), "nics": nics,
                        "ip": ip, "management_net": mgmt}
    return {"nets": nets, "vms": vms}


def _next_free(net: dict, used: set) -> str:
    subnet = ipaddress.IPv4Network(net["subnet"])
    lo = ipaddress.IPv4Address(net["dhcp"]["start"])
    hi = ipaddress.IPv4Address(net["dhcp"]["end"])
    for host in subnet.hosts():
        ip = str(host)
        if ip not in used and not lo <= host <= hi:
            return ip
    from .errors import UsageError
    raise UsageError(f"no free address left in {subnet} outside its DHCP range")


def dns_hosts(env: Env, vms: Mapping[str, "VmState"]) -> Dict[str, List[str]]:
    """ip → names for every net's DNS: 'vm' (management address) and 'vm-ethN' (each NIC)."""
    out: Dict[str, List[str]] = {}
    for vm, info in vms.items():
        if info.external:
            continue
        label = host_label(vm)
        for nic in info.nics:
            names = out.setdefault(str(nic.ip), [])
            if nic.ip == info.ip and nic.net == info.management_net:
                names.append(label)
            names.append(f"{label}-{nic.dev}")
    for net in env.nets.values():
        for name, ip in net.dns_records.items():
            out.setdefault(ip, []).append(name)
    return out
