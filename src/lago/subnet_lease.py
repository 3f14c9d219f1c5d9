"""Upstream Lago's ``lago.subnet_lease``: /24 leases for a prefix, by its uuid file.

The store is this build's (``leases.py``): one JSON file per leased /24 in the lease
directory, naming the owner's uuid file and the uuid it held; every change under an
exclusive ``flock``; a lease whose uuid file is gone or holds another uuid is stale and taken
again. ``LEASE_DIR`` is the configured ``lease_dir`` (``LAGO_LEASE_DIR``) and the range is
the configured ``subnet_pool``, both read when this module is imported; assigning
``LEASE_DIR``, ``MIN_SUBNET`` or ``MAX_SUBNET`` later changes where and what the next call
leases.
"""
from __future__ import annotations

import ipaddress
import os
from typing import List

from . import config, iproute, leases
from .errors import ExternalError, NotFound, UsageError

_CFG = config.load()[0]
_POOL = leases.parse_pool(_CFG.subnet_pool)

#: Path to the directory where the net leases are stored
LEASE_DIR = os.path.join(_CFG.lease_dir, "")
#: Path to the net leases lock
LOCK_FILE = os.path.join(LEASE_DIR, ".lock")
#: Lower and upper third octet of the allowed 192.168.X.0/24 subnets (of the pool)
MIN_SUBNET = int(_POOL[0].network_address.packed[2])
MAX_SUBNET = int(_POOL[-1].network_address.packed[2])


def _pool() -> List[ipaddress.IPv4Network]:
    return [s for s in _POOL if MIN_SUBNET <= s.network_address.packed[2] <= MAX_SUBNET]


def _subnet_of(subnet: str) -> ipaddress.IPv4Network:
    """The /24 holding ``subnet`` (a dotted address or network, 'X.Y.Z' too)."""
    text = str(subnet).split("/")[0]
    parts = text.split(".")
    if len(parts) == 3:
        parts.append("0")
    try:
        return ipaddress.IPv4Network(f"{'.'.join(parts)}/24", strict=False)
    except ValueError:
        raise UsageError(f"'{subnet}' is not an IPv4 address or network") from None


def _in_use() -> List[ipaddress.IPv4Network]:
    """Subnets this host routes or a libvirt network claims: never handed out."""
    taken = iproute.routed_subnets()
    from . import virsh
    try:
        taken += virsh.network_subnets(_CFG.libvirt_url)
    except ExternalError:
        pass  # no libvirt reachable: then no libvirt network can collide either
    return taken


def acquire(uuid_path: str) -> str:
    """Lease a free /24 for the prefix whose uuid file is ``uuid_path``; returns the dotted
    address of its gateway (.1). The prefix's other leases are kept. lago.LeaseError
    (exit 2) when none is free."""
    uuid_path = os.path.abspath(uuid_path)
    try:
        with open(uuid_path, encoding="utf-8") as fh:
            uuid = fh.read().strip()
    except OSError:
        raise NotFound(f"{uuid_path}: no uuid file to lease a subnet for") from None
    if not uuid:
        raise UsageError(f"{uuid_path} is empty: no uuid to lease a subnet for")
    owner = leases.Owner(os.path.dirname(uuid_path), uuid_path, uuid)
    # What the owner holds is asked for again, so acquire keeps it and adds one new /24.
    held = [l.subnet for l in leases.list_leases(LEASE_DIR)
            if not l.stale and l.uuid == uuid and l.subnet in _pool()]
    got = leases.acquire(LEASE_DIR, _pool(), owner, [*held, None], excluded=_in_use())
    new = [s for s in got if s not in held]
    return str(new[0].network_address + 1)


def release(subnet: str) -> None:
    """Free the lease of ``subnet`` (a dotted address or network), whoever holds it."""
    leases.release_subnet(LEASE_DIR, _subnet_of(subnet))


def is_leasable_subnet(subnet: str) -> bool:
    """Is ``subnet`` (or the /24 of an address) inside the range leases come from?"""
    try:
        return _subnet_of(subnet) in _pool()
    except UsageError:
        return False


__all__ = ["LEASE_DIR", "LOCK_FILE", "MIN_SUBNET", "MAX_SUBNET", "acquire", "release",
           "is_leasable_subnet"]
