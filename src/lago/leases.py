"""Host-wide subnet leases (SPEC §5).

Format of the lease directory (default ``/var/lib/lago/subnets``, mode 0755):

* ``.lock`` — every change happens under an exclusive ``fcntl.flock`` on this file, with a
  bounded wait; the kernel drops it when the holder dies.
* ``192.168.200.0.json`` — one file per leased /24:
  ``{"subnet": "192.168.200.0/24", "prefix": DIR, "uuid_path": FILE, "uuid": UUID}``.

Stale-lease policy: a lease is stale when its ``uuid_path`` is gone or no longer holds its
``uuid`` (the prefix was deleted or re-created), or when the file is not a lease: unreadable,
not plain JSON, or naming another subnet than its file name (which is what a lease is found
and removed by). Stale leases are reclaimed by the next acquire. Files are read only when they
are plain and small: a FIFO or a device in their place never blocks nor fills memory.
"""
from __future__ import annotations

import ipaddress
import json
import os
import re
from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Set

from .errors import LeaseError, UsageError
from .fsutil import flocked, read_small, unlink_if_present, write_json

LOCK_TIMEOUT = 30.0

Subnet = ipaddress.IPv4Network


@dataclass(frozen=True)
class Owner:
    prefix: str
    uuid_path: str
    uuid: str


@dataclass(frozen=True)
class Lease:
    subnet: Subnet
    prefix: str
    uuid_path: str
    uuid: str
    stale: bool

    def to_dict(self) -> dict:
        return {"subnet": str(self.subnet), "prefix": self.prefix, "uuid_path": self.uuid_path,
                "uuid": self.uuid, "stale": self.stale}


def parse_pool(spec: str) -> List[Subnet]:
    """'A.B.C.0/21', 'A.B.C.0-A.B.D.0' or a comma-separated list of either → sorted /24s."""
    nets: Set[Subnet] = set()
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        try:
            if "-" in part:
                first, last = (ipaddress.IPv4Address(x.strip()) for x in part.split("-", 1))
                if int(first) & 0xFF or int(last) & 0xFF or last < first:
                    raise ValueError
                for n in range(int(first) >> 8, (int(last) >> 8) + 1):
                    nets.add(Subnet((n << 8, 24)))
            else:
                net = Subnet(part, strict=True)
                if net.prefixlen > 24:
                    raise ValueError
                nets.update(net.subnets(new_prefix=24))
        except ValueError:
            raise UsageError(f"subnet pool: '{part}' is not a CIDR of /24 or wider nor a range "
                             "like 192.168.200.0-192.168.209.0") from None
    if not nets:
        raise UsageError(f"subnet pool '{spec}' is empty")
    return sorted(nets)


def _file(lease_dir: str, subnet: Subnet) -> str:
    return os.path.join(lease_dir, f"{subnet.network_address}.json")


def _prepare(lease_dir: str) -> None:
    os.makedirs(lease_dir, mode=0o755, exist_ok=True)


_FILE_RE = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.0\.json$")


def _read(path: str) -> Optional[Lease]:
    # The file name is the lease's subnet (what acquire, release and prune act on); raises
    # ValueError for a name that is no /24.
    subnet = Subnet(f"{os.path.basename(path)[:-len('.json')]}/24")
    try:
        data = json.loads(read_small(path))
        if Subnet(data["subnet"]) != subnet:
            raise ValueError("the lease names another subnet than its file")
        if not all(isinstance(data[k], str) for k in ("uuid_path", "uuid")):
            raise TypeError("uuid_path and uuid are strings")
        return Lease(subnet, str(data.get("prefix", "")), data["uuid_path"], data["uuid"],
                     stale=_owner_gone(data["uuid_path"], data["uuid"]))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, OSError):
        # An unreadable lease file is treated as stale: nobody can prove ownership of it.
        return Lease(subnet, "", "", "", stale=True)


def _owner_gone(uuid_path: str, uuid: str) -> bool:
    try:
        return read_small(uuid_path, 4096).strip() != uuid
    except OSError:
        return True


def list_leases(lease_dir: str) -> List[Lease]:
    if not os.path.isdir(lease_dir):
        return []
    out = []
    for name in sorted(os.listdir(lease_dir)):
        if _FILE_RE.match(name):
            try:
                lease = _read(os.path.join(lease_dir, name))
            except ValueError:
                continue
            if lease:
                out.append(lease)
    return sorted(out, key=lambda l: l.subnet)


def acquire(lease_dir: str, pool: Sequence[Subnet], owner: Owner,
            requests: Sequence[Optional[Subnet]], excluded: Iterable[Subnet] = (),
            timeout: float = LOCK_TIMEOUT) -> List[Subnet]:
    """Lease one /24 per request (a given subnet, or None for any free one), all or nothing.

    Subnets the owner already holds are reused first, so a repeated init never takes more.
    """
    _prepare(lease_dir)
    blocked = list(excluded)
    with flocked(os.path.join(lease_dir, ".lock"), timeout, f"lease directory {lease_dir}"):
        held = {l.subnet: l for l in list_leases(lease_dir)}
        mine = [s for s, l in held.items() if not l.stale and l.uuid == owner.uuid]
        busy = {s for s, l in held.items() if not l.stale and l.uuid != owner.uuid}
        out: List[Optional[Subnet]] = [None] * len(requests)
        taken: Set[Subnet] = set()
        for i, req in enumerate(requests):
            if req is None:
                continue
            if req not in pool:
                raise LeaseError(f"subnet {req} is outside the subnet pool",
                                 hint="pick a gw inside the pool or widen subnet_pool")
            if req in busy:
                raise LeaseError(f"subnet {req} is leased by {held[req].prefix}")
            if _overlaps(req, blocked):
                raise LeaseError(f"subnet {req} is already in use on this host (routed)")
            out[i] = req
            taken.add(req)
        reuse = [s for s in mine if s not in taken]
        for i, req in enumerate(requests):
            if req is None:
                if reuse:
                    out[i] = reuse.pop(0)
                else:
                    free = next((s for s in pool if s not in busy and s not in taken
                                 and s not in mine and not _overlaps(s, blocked)), None)
                    if free is None:
                        raise LeaseError(f"no free subnet in the pool ({_pool_text(pool)}): "
                                         f"{len(busy)} leased, others in use on this host",
                                         hint="destroy unused envs, run 'leases --prune', or "
                                              "widen subnet_pool")
                    out[i] = free
                taken.add(out[i])  # type: ignore[arg-type]
        for subnet in taken:
            write_json(_file(lease_dir, subnet),
                       {"subnet": str(subnet), "prefix": owner.prefix,
                        "uuid_path": owner.uuid_path, "uuid": owner.uuid})
        # Leases this owner held but no longer needs (env file changed) are given back.
        for subnet in mine:
            if subnet not in taken:
                unlink_if_present(_file(lease_dir, subnet))
    return [s for s in out if s is not None]


def release(lease_dir: str, owner_uuid: str, subnets: Optional[Iterable[Subnet]] = None,
            timeout: float = LOCK_TIMEOUT) -> List[Subnet]:
    """Drop the owner's leases (all, or only ``subnets``); return what was released."""
    if not os.path.isdir(lease_dir):
        return []
    wanted = set(subnets) if subnets is not None else None
    gone = []
    with flocked(os.path.join(lease_dir, ".lock"), timeout, f"lease directory {lease_dir}"):
        for lease in list_leases(lease_dir):
            if lease.uuid == owner_uuid and (wanted is None or lease.subnet in wanted):
                unlink_if_present(_file(lease_dir, lease.subnet))
                gone.append(lease.subnet)
    return gone


def _overlaps(subnet: Subnet, blocked: Sequence[Subnet]) -> bool:
    return any(subnet.overlaps(b) for b in blocked)


def _pool_text(pool: Sequence[Subnet]) -> str:
    if not pool:
        return "empty"
    return f"{pool[0].network_address}-{pool[-1].network_address}, {len(pool)} subnets"


def prune(lease_dir: str, timeout: float = LOCK_TIMEOUT) -> List[Subnet]:
    """Remove stale leases; return their subnets."""
    if not os.path.isdir(lease_dir):
        return []
    with flocked(os.path.join(lease_dir, ".lock"), timeout, f"lease directory {lease_dir}"):
        stale = [l.subnet for l in list_leases(lease_dir) if l.stale]
        for subnet in stale:
            unlink_if_present(_file(lease_dir, subnet))
    return stale


def release_subnet(lease_dir: str, subnet: Subnet, timeout: float = LOCK_TIMEOUT) -> List[Subnet]:
    """Remove one lease whoever owns it (an operator's decision)."""
    if not os.path.exists(_file(lease_dir, subnet)):
        return []
    with flocked(os.path.join(lease_dir, ".lock"), timeout, f"lease directory {lease_dir}"):
        unlink_if_present(_file(lease_dir, subnet))
    return [subnet]
