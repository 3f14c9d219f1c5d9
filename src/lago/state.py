"""state.json of a prefix: leases, IPs, MACs, libvirt names — always written atomically.

Schema (version 1)::

    {"version": 1, "uuid": str, "env_file": str, "domain_type": "qemu"|"kvm",
     "ssh_key": str|null (absent before --ssh-key existed),
     "nets": {NAME: {"subnet", "gw", "type", "libvirt_name", "bridge", "dhcp": {"start","end"},
                     "own_bridge" (absent in older prefixes)}},
     "vms":  {NAME: {"libvirt_name", "ip", "management_net", "provider" (only "ssh"),
                     "seed" (a cloud-init seed ISO, when there is one),
                     "nics": [{"net", "ip", "mac", "dev"}],
                     "disks": [{"name", "dev", "path", "format", "base", "base_format"}]}},
     "snapshots": {NAME: {"created", "vms": {VM: run state}}} (from the first snapshot on)}

The dataclasses below are that file, typed. A key an older prefix lacks stays absent when the
state is written back, and a key this version does not know is kept: what is read and written
again is the same JSON, byte for byte (tests/unit/test_state.py).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any, Dict, List, Optional

from .fsutil import read_json, write_json
from .paths import PrefixPaths
from .model import Env

VERSION = 1


def _split(cls: type, data: Dict[str, Any]) -> tuple:
    """(the keys that are fields of ``cls``, the others) of ``data``."""
    names = {f.name for f in fields(cls)} - {"extra"}
    return ({k: v for k, v in data.items() if k in names},
            {k: v for k, v in data.items() if k not in names})


@dataclass
class NicState:
    net: str
    ip: Optional[str]
    mac: Optional[str]
    dev: str
    extra: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        return {"net": self.net, "ip": self.ip, "mac": self.mac, "dev": self.dev, **self.extra}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "NicState":
        known, extra = _split(cls, data)
        return cls(**known, extra=extra)


@dataclass
class DiskState:
    name: str
    dev: str
    path: str
    format: str
    base: Optional[str] = None
    base_format: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        return {"name": self.name, "dev": self.dev, "path": self.path, "format": self.format,
                "base": self.base, "base_format": self.base_format, **self.extra}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "DiskState":
        known, extra = _split(cls, data)
        return cls(**known, extra=extra)


@dataclass
class NetState:
    subnet: str
    gw: str
    type: str
    libvirt_name: str
    bridge: str
    dhcp: Optional[Dict[str, str]] = None
    own_bridge: Optional[bool] = None  # None: a prefix from before lago made bridges itself
    extra: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        out = {"subnet": self.subnet, "gw": self.gw, "type": self.type,
               "libvirt_name": self.libvirt_name, "bridge": self.bridge, "dhcp": self.dhcp}
        if self.own_bridge is not None:
            out["own_bridge"] = self.own_bridge
        return {**out, **self.extra}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "NetState":
        known, extra = _split(cls, data)
        return cls(**known, extra=extra)


@dataclass
class VmState:
    libvirt_name: Optional[str]  # None for a vm-provider ssh machine
    ip: Optional[str]
    management_net: str
    nics: List[NicState]
    disks: List[DiskState] = field(default_factory=list)
    provider: Optional[str] = None  # "ssh": an existing machine lago neither starts nor stops
    seed: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def external(self) -> bool:
        return self.provider == "ssh"

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"libvirt_name": self.libvirt_name, "ip": self.ip,
                               "management_net": self.management_net,
                               "nics": [n.to_dict() for n in self.nics],
                               "disks": [d.to_dict() for d in self.disks]}
        if self.provider is not None:
            out["provider"] = self.provider
        if self.seed is not None:
            out["seed"] = self.seed
        return {**out, **self.extra}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "VmState":
        known, extra = _split(cls, data)
        known["nics"] = [NicState.from_dict(n) for n in known["nics"]]
        known["disks"] = [DiskState.from_dict(d) for d in known.get("disks", [])]
        return cls(**known, extra=extra)


@dataclass
class State:
    uuid: str
    env_file: str
    domain_type: str
    nets: Dict[str, NetState]
    vms: Dict[str, VmState]
    ssh_key: Optional[str] = None  # the --ssh-key the env was made with
    # Snapshots in snapshots.py's schema; None until the first one is taken.
    snapshots: Optional[Dict[str, Dict[str, Any]]] = None
    version: int = VERSION
    has_ssh_key: bool = field(default=True, compare=False)  # False: an older prefix's state
    extra: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"version": self.version, "uuid": self.uuid,
                               "env_file": self.env_file, "domain_type": self.domain_type}
        if self.has_ssh_key:
            out["ssh_key"] = self.ssh_key
        out["nets"] = {n: net.to_dict() for n, net in self.nets.items()}
        out["vms"] = {n: vm.to_dict() for n, vm in self.vms.items()}
        if self.snapshots is not None:
            out["snapshots"] = self.snapshots
        return {**out, **self.extra}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "State":
        known, extra = _split(cls, data)
        known.pop("has_ssh_key", None)
        known["nets"] = {n: NetState.from_dict(v) for n, v in known["nets"].items()}
        known["vms"] = vms_from_dict(known["vms"])
        return cls(**known, has_ssh_key="ssh_key" in data, extra=extra)

    def libvirt_vms(self) -> Dict[str, VmState]:
        """The VMs that are libvirt domains (not vm-provider ssh machines)."""
        return {name: vm for name, vm in self.vms.items() if not vm.external}


def vms_from_dict(data: Dict[str, Dict[str, Any]]) -> Dict[str, VmState]:
    """The ``vms`` of a state, or of an address plan (addressing.plan), typed."""
    return {n: VmState.from_dict(v) for n, v in data.items()}


def load(paths: PrefixPaths) -> Optional[State]:
    if not os.path.exists(paths.state):
        return None
    return State.from_dict(read_json(paths.state))


def require(paths: PrefixPaths) -> State:
    """The state of an initialized prefix; NotFound (with what to do) if it has none."""
    st = load(paths)
    if st is None:
        from .errors import NotFound
        raise NotFound(f"environment '{paths.name}' is not initialized",
                       hint="run 'lago.pyz up ENVFILE' (or destroy it)")
    return st


def save(paths: PrefixPaths, state: State) -> None:
    write_json(paths.state, state.to_dict())


def load_env(paths: PrefixPaths) -> Env:
    return Env.from_dict(read_json(paths.env))


def save_env(paths: PrefixPaths, env: Env) -> None:
    # env.json holds the env's passwords: readable by the owner only.
    write_json(paths.env, env.to_dict(), mode=0o600)


def read_uuid(paths: PrefixPaths) -> Optional[str]:
    try:
        with open(paths.uuid, encoding="utf-8") as fh:
            return fh.read().strip() or None
    except OSError:
        return None
