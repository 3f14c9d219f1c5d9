"""An env file's domains (VMs): their keys, NICs and disks (SPEC §4)."""
from __future__ import annotations

import difflib
import ipaddress
import re
from typing import Any, Dict, List, Optional, Tuple

from .. import safe
from ..model import DEFAULT_MEMORY, Boot, Disk, Domain, Nic
from ..store import NAME_RE as TEMPLATE_NAME_RE
from . import upstream
from .checker import Checker, type_name

DISK_TYPES = ("template", "file", "empty")
DISK_FORMATS = ("qcow2", "raw")
PROVISION = ("sysprep", "cloud-init", "none")
# What this build performs (all of SPEC §7); kept so a future value is reported, not skipped.
PROVISION_SUPPORTED = ("sysprep", "cloud-init", "none")

# Lago's names: letters, digits, '_', '.', '-' (Lago's own fixtures use '_' and '.'); the
# libvirt and bridge names derived from them are made safe in addressing.py.
VM_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
DEV_RE = re.compile(r"^(vd|sd|hd)[a-z]{1,2}$")
SIZE_RE = re.compile(r"^(\d+)([KMGT]i?B?|[kmgt])?$")
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
_TEMPLATE = "a template name or version (1-80 letters, digits, '_', '.', '+', '-')"


def check_domain(chk: Checker, name: str, raw: Any, loc: Tuple[Any, ...],
                 raw_nets: Dict[str, Any]) -> Optional[Domain]:
    if not VM_NAME_RE.match(name):
        chk.bad(loc, "a VM name is 1-63 letters, digits, '_', '.', '-', starting with a "
                     "letter or digit (it becomes the guest's hostname)")
    if not isinstance(raw, dict):
        chk.bad(loc, f"expected a mapping, got {type_name(type(raw))}")
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


def _str_list(chk: Checker, raw: Dict[str, Any], key: str, loc: Tuple[Any, ...]) -> List[str]:
    value = chk.typed(raw, key, list, loc, [])
    if not all(isinstance(v, str) for v in value):
        chk.bad(loc + (key,), "expected a list of strings")
        return []
    return list(value)


def _check_nics(chk: Checker, raw: Dict[str, Any], loc: Tuple[Any, ...],
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


def _check_disks(chk: Checker, raw: Dict[str, Any], loc: Tuple[Any, ...],
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


def _check_disk_source(chk: Checker, d: Dict[str, Any], disk: Disk, dloc: Tuple[Any, ...]) -> None:
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
