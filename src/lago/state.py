"""state.json of a prefix: leases, IPs, MACs, libvirt names — always written atomically.

Schema (version 1)::

    {"version": 1, "uuid": str, "env_file": str, "domain_type": "qemu"|"kvm",
     "nets": {NAME: {"subnet", "gw", "type", "libvirt_name", "bridge", "dhcp": {"start","end"}}},
     "vms":  {NAME: {"libvirt_name", "ip", "management_net",
                     "nics": [{"net", "ip", "mac", "dev"}],
                     "disks": [{"name", "dev", "path", "format", "base", "base_format"}]}}}
"""
from __future__ import annotations

import os
from typing import Any, Dict, Optional

from .fsutil import read_json, write_json
from .paths import PrefixPaths
from .model import Env

VERSION = 1


def load(paths: PrefixPaths) -> Optional[Dict[str, Any]]:
    if not os.path.exists(paths.state):
        return None
    return read_json(paths.state)


def save(paths: PrefixPaths, state: Dict[str, Any]) -> None:
    write_json(paths.state, state)


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
