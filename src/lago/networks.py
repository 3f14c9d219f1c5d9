"""An env's networks in libvirt: each defined and started when the env starts (a bridge
net with its host bridge: lago's own, made here and removed with the env, or an existing one
the env file names, which lago never creates or removes), and its XML (DHCP hosts, the env's
DNS). Every step pushes its undo first, as the orchestrator (env.py) does.
"""
from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Dict, Optional

from . import addressing, iproute, state, virsh, xmlgen
from .errors import UsageError
from .log import step
from .undo import Undo

if TYPE_CHECKING:
    from .prefix import Prefix


def ensure_all(prefix: Prefix, undo: Undo,
               defined_nets: Optional[Dict[str, bool]] = None) -> None:
    """Define and start every network of the env that is not up (``defined_nets``: the
    host's networks, when the caller has just listed them)."""
    if defined_nets is None:
        defined_nets = virsh.networks(prefix.uri)
    for name, net in prefix.state.nets.items():
        if defined_nets.get(net.libvirt_name) and net.type != "bridge":
            continue  # up (a bridge net also needs its host bridge: looked at below)
        with step("Start network %s (%s)", name, net.subnet, phase="network"):
            ensure(prefix, name, net, defined_nets, undo)


def ensure(prefix: Prefix, name: str, net: state.NetState, defined: Dict[str, bool],
           undo: Undo) -> None:
    """Network ``name`` defined (from its XML) and started; ``defined``: the host's networks."""
    lv = net.libvirt_name
    if net.type == "bridge":
        _ensure_bridge(prefix, name, net, undo)
    if lv not in defined:
        undo.push(f"undefine network {lv}", lambda: virsh.net_undefine(prefix.uri, lv))
        undo.push(f"stop network {lv}", lambda: virsh.net_destroy(prefix.uri, lv))
        virsh.net_define_start(prefix.uri, network_xml(prefix, name, net), lv)
    elif not defined[lv]:
        undo.push(f"stop network {lv}", lambda: virsh.net_destroy(prefix.uri, lv))
        virsh.net_start(prefix.uri, lv)


def _ensure_bridge(prefix: Prefix, name: str, net: state.NetState, undo: Undo) -> None:
    """A bridge net rides on a host bridge: lago's own (made here, removed with the env)
    or an existing one the env file names (never created or removed by lago)."""
    bridge = net.bridge
    if not net.own_bridge:
        require_host_bridges({name: bridge})
        return
    if bridge in iproute.link_names():
        return
    prefixlen = ipaddress.IPv4Network(net.subnet).prefixlen
    # Pushed first: add_bridge is three commands and may fail after the link exists.
    undo.push(f"remove bridge {bridge}", lambda: iproute.delete_link(bridge))
    iproute.add_bridge(bridge, f"{net.gw}/{prefixlen}", prefix.env.nets[name].mtu)


def network_xml(prefix: Prefix, name: str, net: state.NetState) -> str:
    """The libvirt XML of network ``name``: its VMs' DHCP hosts and the env's whole DNS."""
    st, env = prefix.state, prefix.env
    hosts = []
    for vm, info in st.libvirt_vms().items():
        label = addressing.host_label(vm)
        for nic in info.nics:
            if nic.net == name:
                primary = nic.ip == info.ip and nic.net == info.management_net
                hosts.append({"mac": nic.mac, "ip": nic.ip,
                              "name": label if primary else f"{label}-{nic.dev}"})
    spec_net = env.nets[name]
    return xmlgen.network_xml(net.libvirt_name, net.bridge, net.type, net.subnet,
                              net.gw, net.dhcp, hosts, spec_net.dns_domain_name,
                              addressing.dns_hosts(env, st.vms), spec_net.mtu)


def require_host_bridges(bridges: Dict[str, str]) -> None:
    """Every existing host bridge an env's nets name ({net: bridge}) is there: lago never
    creates those. Checked by up/init before anything is made, and again by start."""
    if not bridges:
        return
    links = iproute.link_names()
    for name, bridge in bridges.items():
        if bridge not in links:
            raise UsageError(f"net '{name}': host bridge '{bridge}' does not exist",
                             hint="create it first, or drop 'bridge:' to let lago make one")
