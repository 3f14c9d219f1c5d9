"""doctor: find what lago left on the host that no live environment owns, and remove it.

It needs no workdir. Every libvirt object and bridge lago makes carries the first 8 hex digits
of its env's uuid (``lago-<sid>-NAME``, ``lago<sid>n<i>``); the owner behind a short id is found
in the domain XML metadata (prefix path and uuid) and in the lease directory, whose files name
their owner's uuid file. An owner is

* ``busy``       another lago process holds its prefix lock: left alone, reported with the pid;
* ``live``       its uuid file holds the uuid and it is initialized: only objects missing from
                 its state.json are strays;
* ``abandoned``  its uuid file holds the uuid but it is not initialized (a killed init, or a
                 destroy that did not finish): its objects, leases and files go (logs stay);
* ``gone``       its uuid file is missing or holds another uuid: its objects and leases go.

Objects whose short id no domain metadata or lease names are ``unknown`` and go too; so
doctor must run with the lease directory the envs use (``LAGO_LEASE_DIR``).

Libvirt objects are listed before the leases are read, and leases exist before and after the
objects they cover, so an env being created concurrently is never mistaken for an orphan.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from . import iproute, leases, virsh, xmlgen
from .errors import LagoError
from .fsutil import read_json
from .paths import PrefixPaths
from .workdir import clear_prefix

NAME_RE = re.compile(r"^lago-([0-9a-f]{8})-")
BRIDGE_RE = re.compile(r"^lago([0-9a-f]{8})n[0-9]+$")
RANK = {"busy": 3, "live": 2, "abandoned": 1, "gone": 0}


@dataclass
class Owner:
    prefix: str
    uuid: str
    status: str = "gone"
    holder: str = ""


@dataclass
class Finding:
    kind: str  # paused | domain | network | bridge | lease | prefix
    name: str
    owner: str  # the owner's prefix directory, or "" when none is known
    reason: str
    action: str  # what --fix does
    done: bool = False
    error: str = ""

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


@dataclass
class Report:
    findings: List[Finding] = field(default_factory=list)
    busy: List[Dict[str, str]] = field(default_factory=list)
    fixed: bool = False

    @property
    def clean(self) -> bool:
        """Nothing left to do: no findings, or every one fixed."""
        return all(f.done for f in self.findings)

    def to_dict(self) -> Dict[str, Any]:
        return {"fix": self.fixed, "clean": self.clean, "busy": self.busy,
                "findings": [f.to_dict() for f in self.findings]}


def short_id_of(name: str) -> Optional[str]:
    m = NAME_RE.match(name) or BRIDGE_RE.match(name)
    return m.group(1) if m else None


def run(uri: str, lease_dir: str, fix: bool) -> Report:
    """Examine the host and, with ``fix``, remove what belongs to no live env."""
    with contextlib.ExitStack() as locks:
        host = _Host.scan(uri, lease_dir)
        owners = _owners(host, lease_dir, locks)
        report = Report(fixed=fix)
        report.busy = [{"prefix": o.prefix, "holder": o.holder}
                       for o in _unique(owners) if o.status == "busy"]
        report.findings = _findings(host, owners)
        if fix:
            _fix(uri, lease_dir, report.findings, owners)
    return report


@dataclass
class _Host:
    domains: Dict[str, Optional[Dict[str, str]]]  # name → lago metadata
    paused: List[str]  # lago domains libvirt reports paused
    networks: Dict[str, Dict[str, Any]]  # name → {"active", "bridge", "subnet"}
    bridges: List[str]
    leases: List[leases.Lease]

    @classmethod
    def scan(cls, uri: str, lease_dir: str) -> "_Host":
        doms: Dict[str, Optional[Dict[str, str]]] = {}
        states = virsh.domains(uri)
        for name in states:
            if NAME_RE.match(name):
                xml = virsh.dumpxml(uri, name)
                doms[name] = xmlgen.parse_metadata(xml) if xml else None
        nets: Dict[str, Dict[str, Any]] = {}
        for name, active in virsh.networks(uri).items():
            if NAME_RE.match(name):
                xml = virsh.net_dumpxml(uri, name)
                info = xmlgen.parse_network(xml) if xml else {"bridge": None, "subnet": None}
                nets[name] = {"active": active, **info}
        bridges = [b for b in iproute.bridge_names() if BRIDGE_RE.match(b)]
        # Leases last: see the module docstring.
        paused = sorted(n for n in doms if states.get(n) == "paused")
        return cls(doms, paused, nets, bridges, leases.list_leases(lease_dir))


def _owners(host: _Host, lease_dir: str, locks: contextlib.ExitStack) -> Dict[str, List[Owner]]:
    """short id → the owners that claim it, each with its status (free prefixes stay locked
    by us until the fix is done, so no lago command starts on them meanwhile)."""
    claims: Set[Tuple[str, str]] = set()
    for meta in host.domains.values():
        if meta and meta.get("uuid") and meta.get("prefix"):
            claims.add((meta["prefix"], meta["uuid"]))
    for lease in host.leases:
        if lease.uuid and lease.uuid_path:
            claims.add((lease.prefix or os.path.dirname(lease.uuid_path), lease.uuid))
    out: Dict[str, List[Owner]] = {}
    for prefix, uuid in sorted(claims):
        owner = Owner(prefix, uuid, _status(PrefixPaths(prefix), uuid, locks))
        if owner.status == "busy":
            owner.holder = _holder(PrefixPaths(prefix).lock)
        out.setdefault(uuid.replace("-", "")[:8], []).append(owner)
    return out


def _status(paths: PrefixPaths, uuid: str, locks: contextlib.ExitStack) -> str:
    try:
        with open(paths.uuid, encoding="utf-8") as fh:
            if fh.read().strip() != uuid:
                return "gone"
    except OSError:
        return "gone"
    if not _lock_if_free(paths.lock, locks):
        return "busy"
    return "live" if os.path.exists(paths.initialized) else "abandoned"


def _lock_if_free(path: str, locks: contextlib.ExitStack) -> bool:
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return True  # every lago command that changes a prefix creates its lock file first
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    locks.callback(os.close, fd)
    return True


def _holder(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            pid = fh.read(32).strip()
    except OSError:
        return ""
    return f"pid {pid}" if pid.isdigit() else ""


def _unique(owners: Dict[str, List[Owner]]) -> List[Owner]:
    return [o for group in owners.values() for o in group]


def _best(owners: Dict[str, List[Owner]], sid: Optional[str]) -> Optional[Owner]:
    group = owners.get(sid or "", [])
    return max(group, key=lambda o: RANK[o.status]) if group else None


def _findings(host: _Host, owners: Dict[str, List[Owner]]) -> List[Finding]:
    out: List[Finding] = []
    for kind, names, key in (("domain", host.domains, "vms"), ("network", host.networks, "nets")):
        for name in sorted(names):
            owner = _best(owners, short_id_of(name))
            reason = _stray(owner, name, key)
            if reason:
                out.append(Finding(kind, name, owner.prefix if owner else "", reason,
                                   "destroy and undefine"))
    strays = {f.name for f in out}
    for name in host.paused:
        owner = _best(owners, short_id_of(name))
        if owner and owner.status == "live" and name not in strays:
            # lago pauses VMs only inside a snapshot, under the prefix lock; the lock is free,
            # so that snapshot was interrupted (or someone paused it by hand).
            out.append(Finding("paused", name, owner.prefix,
                               "paused while no lago command holds its env (an interrupted "
                               "snapshot?)", "resume"))
    in_use = {n["bridge"] for n in host.networks.values() if n["active"] and n["bridge"]}
    for bridge in sorted(host.bridges):
        owner = _best(owners, short_id_of(bridge))
        reason = _stray(owner, bridge, "nets", field="bridge")
        if reason and owner and owner.status == "live" and bridge in in_use:
            reason = ""  # an active network of a live env uses it
        if reason:
            out.append(Finding("bridge", bridge, owner.prefix if owner else "", reason,
                               "ip link delete"))
    for lease in host.leases:
        owner = next((o for o in _unique(owners) if o.uuid == lease.uuid), None)
        if lease.stale:
            reason = "its owner is gone" if lease.uuid else "unreadable lease file"
        elif owner is not None and owner.status == "abandoned":
            reason = "its owner was never finished or was half destroyed"
        else:
            continue
        out.append(Finding("lease", str(lease.subnet), lease.prefix, reason, "release"))
    for owner in _unique(owners):
        if owner.status == "abandoned":
            out.append(Finding("prefix", owner.prefix, owner.prefix,
                               "not initialized and no lago process holds it",
                               "remove its files, keep logs/"))
    return out


def _stray(owner: Optional[Owner], name: str, key: str, field: str = "libvirt_name") -> str:
    """Why a libvirt object is a stray, or "" if its owner accounts for it."""
    if owner is None:
        return "no lease or metadata names its env"
    if owner.status == "busy":
        return ""
    if owner.status == "gone":
        return "its env no longer exists"
    if owner.status == "abandoned":
        return "its env was never finished or was half destroyed"
    try:
        known = read_json(PrefixPaths(owner.prefix).state).get(key, {})
    except (OSError, ValueError):
        return ""  # cannot prove it is a stray: leave it
    names = {v.get(field) for v in known.values()}
    return "" if name in names else "not in its env's state.json"


def _fix(uri: str, lease_dir: str, findings: List[Finding],
         owners: Dict[str, List[Owner]]) -> None:
    actions: Dict[str, Callable[[str], Any]] = {
        "paused": lambda n: virsh.resume(uri, n),
        "domain": lambda n: (virsh.destroy(uri, n), virsh.undefine(uri, n)),
        "network": lambda n: (virsh.net_destroy(uri, n), virsh.net_undefine(uri, n)),
    }
    order = ("paused", "domain", "network", "bridge", "lease", "prefix")
    for kind in order:
        todo = [f for f in findings if f.kind == kind]
        if kind == "bridge" and todo:
            # Removing a network removes its bridge: only what is still there needs deleting.
            present = set(iproute.bridge_names())
            for f in todo:
                if f.name not in present:
                    f.done = True
            todo = [f for f in todo if not f.done]
            actions["bridge"] = iproute.delete_link
        if kind == "lease" and todo:
            _fix_leases(lease_dir, todo, owners)
            continue
        if kind == "prefix":
            actions["prefix"] = lambda n: clear_prefix(PrefixPaths(n))
        for f in todo:
            _attempt(f, lambda f=f: actions[kind](f.name))


def _fix_leases(lease_dir: str, todo: List[Finding], owners: Dict[str, List[Owner]]) -> None:
    gone = {str(s) for s in _try(lambda: leases.prune(lease_dir)) or []}
    for owner in _unique(owners):
        if owner.status == "abandoned":
            gone |= {str(s) for s in _try(lambda: leases.release(lease_dir, owner.uuid)) or []}
    for f in todo:
        f.done = f.name in gone or not os.path.exists(
            os.path.join(lease_dir, f.name.split("/")[0] + ".json"))
        if not f.done:
            f.error = "still present after release"


def _attempt(f: Finding, action: Callable[[], Any]) -> None:
    try:
        action()
        f.done = True
    except (LagoError, OSError) as exc:
        f.error = str(exc)


def _try(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except (LagoError, OSError):
        return None
