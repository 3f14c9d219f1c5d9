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

The classes below are that file, typed. A key an older prefix lacks stays absent when the
state is written back, and a key this version does not know is kept: what is read and written
again is the same JSON, byte for byte (tests/unit/test_state.py).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from .fsutil import read_json, write_json
from .paths import PrefixPaths

if TYPE_CHECKING:
    from .model import Env

VERSION = 1


class _Record:
    """One JSON object of state.json: its keys (FIELDS) as attributes, keys this version does
    not know in ``extra``; the fields named in OMITTED_IF_NONE are written only when they have
    a value. Plain classes, not dataclasses: every verb reads the state, and importing
    dataclasses and making these classes cost more than `ssh VM -- CMD`'s own work."""

    FIELDS: Tuple[str, ...] = ()
    OMITTED_IF_NONE: Tuple[str, ...] = ()
    extra: Dict[str, Any]

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        for name in self.FIELDS:
            value = getattr(self, name)
            if value is None and name in self.OMITTED_IF_NONE:
                continue
            out[name] = _plain(value)
        return {**out, **self.extra}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> Any:
        known = cls._typed({k: v for k, v in data.items() if k in cls.FIELDS})
        return cls(**known, extra={k: v for k, v in data.items() if k not in cls.FIELDS})

    @classmethod
    def _typed(cls, known: Dict[str, Any]) -> Dict[str, Any]:
        """``known`` with its nested objects as records."""
        return known

    def replace(self, **changes: Any) -> Any:
        """A copy with ``changes`` (shallow, as dataclasses.replace)."""
        return type(self)(**{**self._values(), **changes})

    def _values(self) -> Dict[str, Any]:
        return {name: getattr(self, name) for name in (*self.FIELDS, "extra")}

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._values().items())
        return f"{type(self).__name__}({inner})"


def _plain(value: Any) -> Any:
    if isinstance(value, _Record):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class NicState(_Record):
    FIELDS = ("net", "ip", "mac", "dev")

    def __init__(self, net: str, ip: Optional[str], mac: Optional[str], dev: str,
                 extra: Optional[Dict[str, Any]] = None) -> None:
        self.net, self.ip, self.mac, self.dev = net, ip, mac, dev
        self.extra = {} if extra is None else extra


class DiskState(_Record):
    FIELDS = ("name", "dev", "path", "format", "base", "base_format")

    def __init__(self, name: str, dev: str, path: str, format: str,
                 base: Optional[str] = None, base_format: Optional[str] = None,
                 extra: Optional[Dict[str, Any]] = None) -> None:
        self.name, self.dev, self.path, self.format = name, dev, path, format
        self.base, self.base_format = base, base_format
        self.extra = {} if extra is None else extra


class NetState(_Record):
    FIELDS = ("subnet", "gw", "type", "libvirt_name", "bridge", "dhcp", "own_bridge")
    OMITTED_IF_NONE = ("own_bridge",)

    def __init__(self, subnet: str, gw: str, type: str, libvirt_name: str, bridge: str,
                 dhcp: Optional[Dict[str, str]] = None, own_bridge: Optional[bool] = None,
                 extra: Optional[Dict[str, Any]] = None) -> None:
        self.subnet, self.gw, self.type = subnet, gw, type
        self.libvirt_name, self.bridge, self.dhcp = libvirt_name, bridge, dhcp
        self.own_bridge = own_bridge  # None: a prefix from before lago made bridges itself
        self.extra = {} if extra is None else extra


class VmState(_Record):
    FIELDS = ("libvirt_name", "ip", "management_net", "nics", "disks", "provider", "seed")
    OMITTED_IF_NONE = ("provider", "seed")

    def __init__(self, libvirt_name: Optional[str], ip: Optional[str], management_net: str,
                 nics: List[NicState], disks: Optional[List[DiskState]] = None,
                 provider: Optional[str] = None, seed: Optional[str] = None,
                 extra: Optional[Dict[str, Any]] = None) -> None:
        self.libvirt_name = libvirt_name  # None for a vm-provider ssh machine
        self.ip, self.management_net, self.nics = ip, management_net, nics
        self.disks: List[DiskState] = [] if disks is None else disks
        self.provider = provider  # "ssh": an existing machine lago neither starts nor stops
        self.seed = seed  # its cloud-init seed ISO
        self.extra = {} if extra is None else extra

    @property
    def external(self) -> bool:
        return self.provider == "ssh"

    @classmethod
    def _typed(cls, known: Dict[str, Any]) -> Dict[str, Any]:
        return {**known, "nics": [NicState.from_dict(n) for n in known["nics"]],
                "disks": [DiskState.from_dict(d) for d in known.get("disks", [])]}


class State(_Record):
    FIELDS = ("version", "uuid", "env_file", "domain_type", "ssh_key", "nets", "vms",
              "snapshots")
    OMITTED_IF_NONE = ("snapshots",)

    def __init__(self, version: int, uuid: str, env_file: str, domain_type: str,
                 ssh_key: Optional[str], nets: Dict[str, NetState], vms: Dict[str, VmState],
                 snapshots: Optional[Dict[str, Dict[str, Any]]] = None,
                 has_ssh_key: bool = True, extra: Optional[Dict[str, Any]] = None) -> None:
        self.version, self.uuid, self.env_file = version, uuid, env_file
        self.domain_type = domain_type
        self.ssh_key = ssh_key  # the --ssh-key the env was made with
        self.nets, self.vms = nets, vms
        # Snapshots in snapshots.py's schema; None until the first one is taken.
        self.snapshots = snapshots
        self.has_ssh_key = has_ssh_key  # False: an older prefix's state (not compared)
        self.extra = {} if extra is None else extra

    def replace(self, **changes: Any) -> "State":
        return super().replace(**{"has_ssh_key": self.has_ssh_key, **changes})

    def to_dict(self) -> Dict[str, Any]:
        out = super().to_dict()
        if not self.has_ssh_key:
            del out["ssh_key"]
        return out

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "State":
        st: State = super().from_dict({"version": VERSION, "ssh_key": None, **data})
        st.has_ssh_key = "ssh_key" in data
        return st

    @classmethod
    def _typed(cls, known: Dict[str, Any]) -> Dict[str, Any]:
        return {**known, "nets": {n: NetState.from_dict(v) for n, v in known["nets"].items()},
                "vms": vms_from_dict(known["vms"])}

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
    # The env model is imported here: status and ssh read the state without it.
    from .model import Env
    return Env.from_dict(read_json(paths.env))


def saved_domains(paths: PrefixPaths) -> Dict[str, Dict[str, Any]]:
    """The saved env's domains as the plain objects load_env types: for the read-only paths
    (status, ssh) that need a key or two of them and not the model's import and build."""
    domains: Dict[str, Dict[str, Any]] = read_json(paths.env)["domains"]
    return domains


def save_env(paths: PrefixPaths, env: Env) -> None:
    # env.json holds the env's passwords: readable by the owner only.
    write_json(paths.env, env.to_dict(), mode=0o600)


def read_uuid(paths: PrefixPaths) -> Optional[str]:
    try:
        with open(paths.uuid, encoding="utf-8") as fh:
            return fh.read().strip() or None
    except OSError:
        return None
