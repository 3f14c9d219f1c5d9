"""Exports for other tools: Ansible INI inventory, an ssh_config, /etc/hosts lines (pure).

Each takes the facts of the env (``facts()``) so the text can be unit-tested without a prefix.
"""
from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from . import model, safe
from .errors import UsageError
from .ssh import CONTROL_NAME, CONTROL_PERSIST

if TYPE_CHECKING:
    from .prefix import Prefix

# A unix socket address holds 107 bytes; ssh's socket name (CONTROL_NAME) is 40 hex digits,
# and it binds a temporary name 17 bytes longer while it sets the master up.
SOCKET_ADDRESS_MAX = 107
CONTROL_NAME_LEN = 40 + 17


def facts(prefix: Prefix) -> Dict[str, Any]:
    """{"key", "known_hosts", "control_dir", "vms": {vm: {"ip", "user", "groups", "names"}}}
    of an env."""
    st, env = prefix.state, prefix.env
    vms = {}
    for vm, info in st.vms.items():
        dom = env.domains[vm]
        domain = env.nets[info.management_net].dns_domain_name
        vms[vm] = {"ip": info.ip, "user": dom.ssh_user, "groups": list(dom.groups),
                   "names": [vm, f"{vm}.{domain}"] if domain else [vm],
                   "spec": lago_spec(dom)}
    return {"key": prefix.files.ssh_key, "known_hosts": prefix.files.known_hosts,
            "control_dir": prefix.files.ssh_control_dir, "vms": vms}


def _checked(f: Dict[str, Any]) -> Dict[str, Any]:
    """``f`` if every value these files write is one safe token (no line break or control
    character anywhere, no blank or quote in a name, a user that is a login name): a value
    that came from elsewhere can add no line (``ProxyCommand``) and no variable to them."""
    try:
        for key in ("key", "known_hosts", "control_dir"):
            if '"' in safe.one_line(f[key], key):
                raise ValueError(f"{key} holds a double quote: {f[key]!r}")
        for vm, v in f["vms"].items():
            for word in (vm, v["ip"], *v["groups"], *v["names"]):
                _word(word)
            safe.user(v["user"])
    except ValueError as exc:
        raise UsageError(f"not exported: {exc}") from None
    return f


def _word(word: str, allowed: str = "") -> str:
    """``word`` if it can be written as one word of these files, else ValueError."""
    if safe.control_char(word) or not word or \
            any(c in word for c in " \t\"'#[]=" if c not in allowed):
        raise ValueError(f"{word!r} cannot be written as one word")
    return word


def lago_spec(dom: model.Domain) -> Dict[str, Any]:
    """A domain as Lago's spec named it, for ``--keys`` paths ('metadata/role')."""
    return {**dom.upstream, "groups": list(dom.groups), "memory": dom.memory, "vcpu": dom.vcpu,
            "vm-provider": "ssh" if dom.provider == "ssh" else "local-libvirt",
            "distro": dom.distro, "ssh-user": dom.ssh_user, "metadata": dom.metadata,
            "cpu_model": dom.cpu_model, "nested": dom.nested}


def _lookup(spec: Dict[str, Any], key: str) -> Any:
    value: Any = spec
    for part in [p for p in key.split("/") if p]:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _ssh_args(f: Dict[str, Any]) -> str:
    return (f"-o UserKnownHostsFile={f['known_hosts']} -o StrictHostKeyChecking=accept-new "
            "-o IdentitiesOnly=yes")


def ansible_inventory(f: Dict[str, Any], keys: Optional[List[str]] = None) -> str:
    """INI inventory: every VM with its address, user and the env's key; one section per
    group (``groups`` in the env file), and with ``keys`` (Lago's ansible_hosts --keys) one
    section 'KEY=VALUE' per value of each key path in the VM's spec."""
    f = _checked(f)
    lines = ["# lago environment inventory"]
    for vm, v in f["vms"].items():
        lines.append(f"{vm} ansible_host={v['ip']} ansible_user={v['user']} "
                     f"ansible_ssh_private_key_file={shlex.quote(f['key'])} "
                     f"ansible_ssh_common_args={shlex.quote(_ssh_args(f))}")
    groups: Dict[str, List[str]] = {}
    for vm, v in f["vms"].items():
        for g in v["groups"]:
            groups.setdefault(g, []).append(vm)
        for key in keys or ():
            value = _lookup(v.get("spec", {}), key)
            for item in value if isinstance(value, list) else [value]:
                if item is not None and not isinstance(item, (dict, list)):
                    # A section name from the env file's values: one word, or no line at all.
                    try:
                        section = _word(f"{key}={item}", allowed="=")
                    except ValueError as exc:
                        raise UsageError(f"not exported: {exc}") from None
                    groups.setdefault(section, []).append(vm)
    for g in sorted(groups):
        lines += ["", f"[{g}]", *groups[g]]
    return "\n".join(lines) + "\n"


def control_lines(control_dir: str) -> List[str]:
    """ssh_config lines for connection reuse through the env's control directory (the same
    masters ``lago.pyz ssh`` uses), or a comment saying why there is none: an absolute socket
    path under a deep prefix can be longer than a socket address may be."""
    path = f"{control_dir}/{CONTROL_NAME}"
    if len(control_dir) + 1 + CONTROL_NAME_LEN > SOCKET_ADDRESS_MAX:
        return [f"    # no connection reuse: {path} is too long for a unix socket"]
    return ["    ControlMaster auto", f"    ControlPath \"{path}\"",
            f"    ControlPersist {CONTROL_PERSIST}"]


def ssh_config(f: Dict[str, Any]) -> str:
    """An ssh_config for ``ssh -F FILE VM``: one Host block per VM, with the env's own key and
    known_hosts, nothing from the user's configuration needed, and connection reuse (a loop
    of ``ssh -F FILE VM CMD`` pays the login once)."""
    f = _checked(f)
    blocks = []
    reuse = control_lines(f["control_dir"])
    for vm, v in f["vms"].items():
        blocks.append("\n".join([
            f"Host {vm}",
            f"    HostName {v['ip']}",
            f"    User {v['user']}",
            f"    IdentityFile \"{f['key']}\"",
            "    IdentitiesOnly yes",
            f"    UserKnownHostsFile \"{f['known_hosts']}\"",
            "    GlobalKnownHostsFile /dev/null",
            "    StrictHostKeyChecking accept-new",
            "    LogLevel ERROR", *reuse]))
    return "\n\n".join(blocks) + "\n"


def hosts(f: Dict[str, Any]) -> str:
    """/etc/hosts lines: 'IP vm vm.domain'."""
    f = _checked(f)
    return "".join(f"{v['ip']} {' '.join(v['names'])}\n" for v in f["vms"].values())
