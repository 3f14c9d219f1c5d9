"""Env file → validated model, with every problem reported at once and located (SPEC §4).

Nothing here touches the host beyond reading the env file and checking that the files it names
exist. ``load_env`` raises ``SpecError`` (exit 2) listing every problem.
"""
from __future__ import annotations

import difflib
import ipaddress
import os
import re
from typing import Any, Dict, List, Optional, Tuple

from .. import safe
from . import load, upstream
from ..errors import SpecError
from ..model import DEFAULT_DNS_DOMAIN, DEFAULT_MEMORY, Boot, Disk, Domain, Env, Net, Nic
from ..store import NAME_RE as TEMPLATE_NAME_RE

NET_TYPES = ("nat", "isolated", "bridge")
DISK_TYPES = ("template", "file", "empty")
DISK_FORMATS = ("qcow2", "raw")
PROVISION = ("sysprep", "cloud-init", "none")
# What this build performs (all of SPEC §7); kept so a future value is reported, not skipped.
PROVISION_SUPPORTED = ("sysprep", "cloud-init", "none")
NET_TYPES_SUPPORTED = ("nat", "isolated", "bridge")

# Lago's names: letters, digits, '_', '.', '-' (Lago's own fixtures use '_' and '.'); the
# libvirt and bridge names derived from them are made safe in addressing.py.
VM_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
NET_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
DEV_RE = re.compile(r"^(vd|sd|hd)[a-z]{1,2}$")
SIZE_RE = re.compile(r"^(\d+)([KMGT]i?B?|[kmgt])?$")
VAR_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")

TOP_KEYS = ("domains", "nets", "prototypes")
# Keys upstream Lago files carry that have no effect here; accepted so those files load.
UPSTREAM_DOMAIN_KEYS = ("vm-type", "service_provider", "comment", "cpu", "guest-agent",
                        "skip-export")
DOMAIN_KEYS = ("memory", "vcpu", "nics", "disks", "metadata", "artifacts", "groups", "bootstrap",
               "provision", "root-password", "ssh-user", "ssh-password", "distro", "boot",
               "wait_for", "based-on") + upstream.DOMAIN_KEYS + UPSTREAM_DOMAIN_KEYS
NIC_KEYS = ("net", "ip")
DISK_KEYS = ("name", "dev", "format", "type", "template_name", "template_version", "path",
             "size", "metadata", "comment", "template_type") + upstream.DISK_KEYS
BOOT_KEYS = ("kernel", "initrd", "cmdline")
NET_KEYS = ("type", "dhcp", "management", "gw", "dns_domain_name", "dns_records", "mtu",
            "bridge", "comment") + upstream.NET_KEYS
BRIDGE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
DHCP_KEYS = ("start", "end")
_TEMPLATE = "a template name or version (1-80 letters, digits, '_', '.', '+', '-')"


class _Checker:
    """Collects located problems while walking the raw document."""

    def __init__(self, path: str, lines: Dict[Tuple[Any, ...], int], variables: Dict[str, str]):
        self.path = path
        self.lines = lines
        self.variables = variables
        self.problems: List[str] = []
        self.warnings: List[str] = []
        self.base_dir = os.path.dirname(os.path.abspath(path))

    def where(self, loc: Tuple[Any, ...]) -> str:
        probe = loc
        while probe and probe not in self.lines:
            probe = probe[:-1]
        line = self.lines.get(probe)
        prefix = f"{self.path}:{line}" if line else self.path
        return f"{prefix}: {load.dotted(loc)}"

    def bad(self, loc: Tuple[Any, ...], msg: str) -> None:
        self.problems.append(f"{self.where(loc)}: {msg}")

    def keys(self, obj: Dict[str, Any], allowed: Tuple[str, ...], loc: Tuple[Any, ...],
             ignored: Any = ()) -> None:
        """Lago's rule for a key unknown at its level: an error when it is a close match of
        a known key there (a typo), else a warning naming it (Lago ignored such keys)."""
        for key in obj:
            if key in allowed or key in ignored:
                continue
            close = upstream.close_match(str(key), allowed)
            if close:
                self.bad(loc + (key,), f"unknown key (did you mean '{close}'?)")
            else:
                self.warnings.append(f"{self.where(loc + (key,))}: unknown key, ignored")

    def typed(self, obj: Dict[str, Any], key: str, types: Any, loc: Tuple[Any, ...],
              default: Any = None) -> Any:
        if key not in obj or obj[key] is None:
            return default
        value = obj[key]
        if isinstance(value, bool) and bool not in _as_tuple(types):
            self.bad(loc + (key,), f"expected {_type_name(types)}, got a boolean")
            return default
        if not isinstance(value, types):
            self.bad(loc + (key,), f"expected {_type_name(types)}, got {_type_name(type(value))}")
            return default
        return value

    def expand(self, value: str, loc: Tuple[Any, ...]) -> str:
        def sub(match: "re.Match[str]") -> str:
            name = match.group(1) or match.group(2)
            if name in self.variables:
                return self.variables[name]
            self.bad(loc, f"${name} is not set")
            return match.group(0)
        return os.path.expanduser(VAR_RE.sub(sub, value))

    def host_file(self, value: str, loc: Tuple[Any, ...], what: str) -> str:
        self.text(value, loc)
        path = self.expand(value, loc)
        if not os.path.isabs(path):
            path = os.path.join(self.base_dir, path)
        path = os.path.normpath(path)
        if not os.path.isfile(path):
            self.bad(loc, f"{what} {path} does not exist")
        return path

    def text(self, value: Optional[str], loc: Tuple[Any, ...],
             allow_newlines: bool = False) -> Optional[str]:
        """``value`` unless it holds a control character (XML cannot carry them, and a line
        break would start a new line in the files lago writes); then a located problem."""
        bad = safe.control_char(value, allow_newlines) if value is not None else None
        if bad:
            self.bad(loc, f"holds a control character ({bad})")
            return None
        return value

    def matches(self, value: Optional[str], regex: "re.Pattern[str]", loc: Tuple[Any, ...],
                what: str) -> Optional[str]:
        """``value`` if it matches ``regex``; else a located problem naming ``what``."""
        if value is not None and not regex.match(value):
            self.bad(loc, f"{value!r} is not {what}")
            return None
        return value


def _as_tuple(types: Any) -> tuple:
    return types if isinstance(types, tuple) else (types,)


def _type_name(types: Any) -> str:
    names = {str: "a string", int: "an integer", bool: "true/false", dict: "a mapping",
             list: "a list", float: "a number", type(None): "nothing"}
    return " or ".join(names.get(t, t.__name__) for t in _as_tuple(types))


def load_env(path: str, variables: Optional[Dict[str, str]] = None) -> Env:
    """Load and validate an env file; raise SpecError with every problem found."""
    data, lines, problems = load.load(path)
    env_vars = dict(os.environ)
    env_vars.setdefault("LAGO_INITFILE_PATH", os.path.dirname(os.path.abspath(path)))
    env_vars.update(variables or {})
    chk = _Checker(path, lines, env_vars)
    chk.problems.extend(problems)
    env = _check_document(chk, data)
    if chk.problems:
        raise SpecError(path, chk.problems)
    assert env is not None
    env.warnings = chk.warnings
    return env


def _check_document(chk: _Checker, data: Any) -> Optional[Env]:
    if not isinstance(data, dict):
        chk.bad((), "the env file must be a mapping with 'domains' and 'nets'")
        return None
    # A top-level key that only holds a block for YAML aliases (Lago's 'base_disk: &d') is
    # no unknown key.
    chk.keys(data, TOP_KEYS, (), ignored=chk.lines.get(load.ANCHORS, ()))
    raw_nets = chk.typed(data, "nets", dict, (), {})
    raw_domains = chk.typed(data, "domains", dict, (), {})
    prototypes = chk.typed(data, "prototypes", dict, (), {})
    if not raw_domains:
        chk.bad(("domains",), "at least one domain (VM) is needed")
    if not raw_nets:
        chk.bad(("nets",), "at least one net is needed")
    nets = {}
    for name, raw in raw_nets.items():
        net = _check_net(chk, str(name), raw, ("nets", name))
        if net:
            nets[net.name] = net
    domains = {}
    for name, raw in raw_domains.items():
        loc = ("domains", name)
        raw = _inherit(chk, raw, prototypes, loc)
        dom = _check_domain(chk, str(name), raw, loc, raw_nets)
        if dom:
            domains[dom.name] = dom
    _check_addresses(chk, domains, nets)
    return Env(os.path.abspath(chk.path), domains, nets)


def _inherit(chk: _Checker, raw: Any, prototypes: Dict[str, Any], loc: Tuple[Any, ...]) -> Any:
    seen = []
    while isinstance(raw, dict) and "based-on" in raw:
        base_name = raw["based-on"]
        if not isinstance(base_name, str) or base_name not in prototypes:
            close = difflib.get_close_matches(str(base_name), [str(p) for p in prototypes], n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            chk.bad(loc + ("based-on",), f"no prototype named '{base_name}'{hint}")
            return {k: v for k, v in raw.items() if k != "based-on"}
        if base_name in seen:
            chk.bad(loc + ("based-on",), f"prototypes form a loop: {' -> '.join(seen)}")
            return {k: v for k, v in raw.items() if k != "based-on"}
        seen.append(base_name)
        base = prototypes[base_name] if isinstance(prototypes[base_name], dict) else {}
        merged = dict(base)
        merged.update({k: v for k, v in raw.items() if k != "based-on"})
        raw = merged
    return raw


def _check_net(chk: _Checker, name: str, raw: Any, loc: Tuple[Any, ...]) -> Optional[Net]:
    if not NET_NAME_RE.match(name):
        chk.bad(loc, "a net name is 1-128 letters, digits, '_', '.', '-', starting with a "
                     "letter or digit")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        chk.bad(loc, f"expected a mapping, got {_type_name(type(raw))}")
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


def _check_domain(chk: _Checker, name: str, raw: Any, loc: Tuple[Any, ...],
                  raw_nets: Dict[str, Any]) -> Optional[Domain]:
    if not VM_NAME_RE.match(name):
        chk.bad(loc, "a VM name is 1-63 letters, digits, '_', '.', '-', starting with a "
                     "letter or digit (it becomes the guest's hostname)")
    if not isinstance(raw, dict):
        chk.bad(loc, f"expected a mapping, got {_type_name(type(raw))}")
        return None
    chk.keys(raw, DOMAIN_KEYS, loc)
    raw = upstream.coerce_domain(raw, chk.variables)
    dom = Domain(name=name, nics=[], disks=[])
    upstream.check_domain(chk, raw, dom, loc)
    dom.memory = chk.typed(raw, "memory", int, loc, DEFAULT_MEMORY)
    if dom.memory < 16:
        chk.bad(loc + ("memory",), f"{dom.memory} MiB is too little (memory is in MiB)")
    dom.vcpu = chk.typed(raw, "vcpu", int, loc, 1)
    if dom.vcpu < 1:
        chk.bad(loc + ("vcpu",), "need at least 1 vcpu")
    dom.nics = _check_nics(chk, raw, loc, raw_nets)
    dom.disks = _check_disks(chk, raw, loc, required=dom.provider != "ssh")
    dom.metadata = chk.typed(raw, "metadata", dict, loc, {})
    scripts = dom.metadata.get("deploy-scripts", [])
    if not isinstance(scripts, list) or not all(isinstance(s, str) for s in scripts):
        chk.bad(loc + ("metadata", "deploy-scripts"), "expected a list of paths")
    else:
        dom.metadata["deploy-scripts"] = [
            chk.host_file(s, loc + ("metadata", "deploy-scripts", i), "deploy script")
            for i, s in enumerate(scripts)]
    dom.artifacts = _str_list(chk, raw, "artifacts", loc)
    groups = raw.get("groups")
    dom.groups = [groups] if isinstance(groups, str) else _str_list(chk, raw, "groups", loc)
    for i, group in enumerate(dom.groups):
        chk.matches(group, safe.GROUP_RE, loc + ("groups", i), "an Ansible group name "
                    "(letters, digits, '_', '.', '-')")
    for i, path in enumerate(dom.artifacts):
        chk.text(path, loc + ("artifacts", i))
    dom.bootstrap = chk.typed(raw, "bootstrap", bool, loc, True)
    dom.provision = chk.typed(raw, "provision", str, loc, "sysprep" if dom.bootstrap else "none")
    if dom.provision not in PROVISION:
        chk.bad(loc + ("provision",), f"'{dom.provision}' is not one of {', '.join(PROVISION)}")
    elif dom.provision not in PROVISION_SUPPORTED:
        chk.bad(loc + ("provision",),
                f"provision '{dom.provision}' is not supported by this build yet; "
                "use 'provision: sysprep' or 'none'")
    if dom.provision == "sysprep" and dom.disks and dom.disks[0].type == "empty":
        chk.bad(loc + ("disks", 0), "provision 'sysprep' needs a boot disk with an OS "
                                    "(a template or file), not an empty one")
    dom.root_password = chk.typed(raw, "root-password", str, loc)
    dom.ssh_user = chk.typed(raw, "ssh-user", str, loc, "root")
    chk.matches(dom.ssh_user, safe.USER_RE, loc + ("ssh-user",),
                "a user name (letters, digits, '_', '.', '-', not starting with '-' or a digit)")
    dom.ssh_password = chk.typed(raw, "ssh-password", str, loc, dom.root_password
                                 if dom.ssh_user == "root" else None)
    dom.distro = chk.text(chk.typed(raw, "distro", str, loc), loc + ("distro",))
    dom.wait_for = chk.typed(raw, "wait_for", str, loc, "ssh")
    chk.text(dom.wait_for, loc + ("wait_for",), allow_newlines=True)
    if dom.wait_for is not None and not dom.wait_for.strip():
        chk.bad(loc + ("wait_for",), "empty command (leave wait_for out to wait for ssh only)")
    boot = chk.typed(raw, "boot", dict, loc)
    if boot is not None:
        bloc = loc + ("boot",)
        chk.keys(boot, BOOT_KEYS, bloc)
        kernel = chk.typed(boot, "kernel", str, bloc)
        if kernel is None:
            chk.bad(bloc, "direct kernel boot needs 'kernel'")
        else:
            initrd = chk.typed(boot, "initrd", str, bloc)
            dom.boot = Boot(kernel=chk.host_file(kernel, bloc + ("kernel",), "kernel"),
                            initrd=chk.host_file(initrd, bloc + ("initrd",), "initrd")
                            if initrd else None,
                            cmdline=chk.text(chk.typed(boot, "cmdline", str, bloc, ""),
                                             bloc + ("cmdline",)) or "")
    if dom.provider == "ssh":
        upstream.check_ssh_domain(chk, raw, dom, loc)
    return dom


def _str_list(chk: _Checker, raw: Dict[str, Any], key: str, loc: Tuple[Any, ...]) -> List[str]:
    value = chk.typed(raw, key, list, loc, [])
    if not all(isinstance(v, str) for v in value):
        chk.bad(loc + (key,), "expected a list of strings")
        return []
    return list(value)


def _check_nics(chk: _Checker, raw: Dict[str, Any], loc: Tuple[Any, ...],
                raw_nets: Dict[str, Any]) -> List[Nic]:
    nics_raw = chk.typed(raw, "nics", list, loc, [])
    if not nics_raw:
        chk.bad(loc + ("nics",), "a VM needs at least one NIC")
    nics = []
    for i, nic in enumerate(nics_raw):
        nloc = loc + ("nics", i)
        if not isinstance(nic, dict):
            chk.bad(nloc, "expected a mapping like {net: NAME}")
            continue
        chk.keys(nic, NIC_KEYS, nloc)
        net = chk.typed(nic, "net", str, nloc)
        if net is None:
            chk.bad(nloc, "missing 'net'")
            continue
        if net not in raw_nets:
            close = difflib.get_close_matches(net, [str(n) for n in raw_nets], n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else \
                f" (nets: {', '.join(str(n) for n in raw_nets) or 'none'})"
            chk.bad(nloc + ("net",), f"unknown net '{net}'{hint}")
        ip = chk.typed(nic, "ip", str, nloc)
        if ip is not None:
            try:
                ipaddress.IPv4Address(ip)
            except ValueError:
                chk.bad(nloc + ("ip",), f"'{ip}' is not an IPv4 address")
                ip = None
        nics.append(Nic(net=net, ip=ip))
    return nics


def _check_disks(chk: _Checker, raw: Dict[str, Any], loc: Tuple[Any, ...],
                 required: bool = True) -> List[Disk]:
    disks_raw = chk.typed(raw, "disks", list, loc, [])
    if not disks_raw and required:
        chk.bad(loc + ("disks",), "a VM needs at least one disk (the first one boots)")
    disks: List[Disk] = []
    names, devs = set(), set()
    for i, d in enumerate(disks_raw):
        dloc = loc + ("disks", i)
        if not isinstance(d, dict):
            chk.bad(dloc, "expected a mapping")
            continue
        chk.keys(d, DISK_KEYS, dloc)
        disk = Disk(name=chk.typed(d, "name", str, dloc, f"disk{i}"),
                    dev=chk.typed(d, "dev", str, dloc, "vd" + chr(ord("a") + i)),
                    type=chk.typed(d, "type", str, dloc, "template"),
                    format=chk.typed(d, "format", str, dloc, "qcow2"),
                    metadata=chk.typed(d, "metadata", dict, dloc, {}))
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$", disk.name):
            chk.bad(dloc + ("name",), "a disk name is 1-40 letters, digits, '_', '.', '-'")
        if disk.name in names:
            chk.bad(dloc + ("name",), f"duplicate disk name '{disk.name}'")
        if not DEV_RE.match(disk.dev):
            chk.bad(dloc + ("dev",), f"'{disk.dev}' is not a device name like vda, sdb, hdc")
        if disk.dev == "hdd":
            chk.bad(dloc + ("dev",), "'hdd' is reserved for the cloud-init seed cdrom")
        if disk.dev in devs:
            chk.bad(dloc + ("dev",), f"device '{disk.dev}' is used twice")
        names.add(disk.name)
        devs.add(disk.dev)
        if disk.format not in DISK_FORMATS:
            chk.bad(dloc + ("format",), f"'{disk.format}' is not one of {', '.join(DISK_FORMATS)}")
        _check_disk_source(chk, d, disk, dloc)
        upstream.check_disk(chk, d, disk, dloc)
        disks.append(disk)
    return disks


def _check_disk_source(chk: _Checker, d: Dict[str, Any], disk: Disk, dloc: Tuple[Any, ...]) -> None:
    path = chk.typed(d, "path", str, dloc)
    if disk.type not in DISK_TYPES:
        chk.bad(dloc + ("type",), f"'{disk.type}' is not one of {', '.join(DISK_TYPES)}")
    elif disk.type == "empty":
        disk.size = str(chk.typed(d, "size", (str, int), dloc, "")) or None
        if disk.size is None:
            chk.bad(dloc, "an empty disk needs 'size' (e.g. 10G)")
        elif not SIZE_RE.match(disk.size):
            chk.bad(dloc + ("size",), f"'{disk.size}' is not a size like 512M or 10G")
    elif path is not None:
        # A template disk that names its image file is used like a file disk.
        disk.path = chk.host_file(path, dloc + ("path",), "disk image")
        disk.template_name = chk.typed(d, "template_name", str, dloc)
    elif disk.type == "file":
        if "url" not in d:
            chk.bad(dloc, "a file disk needs 'path' (or 'url')")
    else:
        # Resolved from the template store when the env is initialized (templates.py); both
        # become directory names in the store, so they are held to the store's name rule.
        disk.template_name = chk.matches(chk.typed(d, "template_name", str, dloc),
                                         TEMPLATE_NAME_RE, dloc + ("template_name",), _TEMPLATE)
        disk.template_version = chk.typed(d, "template_version", (str, int), dloc)
        if disk.template_version is not None:
            disk.template_version = chk.matches(str(disk.template_version), TEMPLATE_NAME_RE,
                                                dloc + ("template_version",), _TEMPLATE)
        if not d.get("template_name"):
            chk.bad(dloc, "a template disk needs 'template_name' (or the image file as 'path')")


def _check_addresses(chk: _Checker, domains: Dict[str, Domain], nets: Dict[str, Net]) -> None:
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
