"""cloud-init NoCloud seed contents (pure): meta-data, user-data, network-config v2.

The files are JSON, which is YAML too: no YAML emitter needed, and no quoting surprises. The
root password goes in only as a crypt hash.
"""
from __future__ import annotations

import ipaddress
import json
from typing import Any, Dict, List, Optional, Tuple

VOLUME_ID = "cidata"  # the label NoCloud looks for


def meta_data(vm: str, instance_id: str) -> str:
    return json.dumps({"instance-id": instance_id, "local-hostname": vm}, indent=2) + "\n"


def user_data(vm: str, pubkey: str, password_hash: Optional[str], ssh_user: str = "root") -> str:
    """Hostname, the env's key for ssh_user (and root), the root password hash."""
    cfg: Dict[str, Any] = {
        "hostname": vm,
        "preserve_hostname": False,
        # No default distro user: the env names its own ssh-user.
        "users": [] if ssh_user == "root" else [
            {"name": ssh_user, "ssh_authorized_keys": [pubkey.strip()], "lock_passwd": True,
             "sudo": "ALL=(ALL) NOPASSWD:ALL", "shell": "/bin/bash"}],
        # Else cloud-init puts "please log in as ..." in front of root's key.
        "disable_root": False,
        "ssh_authorized_keys": [pubkey.strip()],
        # lago configures identity, access and network only; the modules that would need
        # packages minimal images lack (locales, grub) stay off instead of failing the run.
        "locale": False,
        "grub_dpkg": {"enabled": False},
    }
    if password_hash:
        cfg["chpasswd"] = {"expire": False,
                           "users": [{"name": "root", "password": password_hash, "type": "hash"}]}
    return "#cloud-config\n" + json.dumps(cfg, indent=2) + "\n"


def network_config(nics: List[Dict[str, str]], subnets: Dict[str, str],
                   management: Tuple[str, str]) -> str:
    """Every NIC matched by MAC with its reserved address; route and DNS on the management NIC."""
    ethernets: Dict[str, Any] = {}
    gw_given = False
    for nic in nics:
        prefix = ipaddress.IPv4Network(subnets[nic["net"]]).prefixlen
        eth: Dict[str, Any] = {"match": {"macaddress": nic["mac"]}, "set-name": nic["dev"],
                               "addresses": [f"{nic['ip']}/{prefix}"], "dhcp4": False}
        if nic["net"] == management[0] and not gw_given:
            eth["routes"] = [{"to": "0.0.0.0/0", "via": management[1]}]
            eth["nameservers"] = {"addresses": [management[1]]}
            gw_given = True
        ethernets[nic["dev"]] = eth
    return json.dumps({"version": 2, "ethernets": ethernets}, indent=2) + "\n"
