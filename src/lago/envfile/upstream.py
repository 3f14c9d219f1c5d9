"""Upstream Lago's env-file keys beyond the core ones, with Lago's meaning (SPEC §4).

check.py walks the document; this module checks what Lago's own files carry on top: the
domain's CPU (``cpu_model``, ``cpu_custom``, ``nested``), ``vm-provider: ssh`` (an existing
machine reached over ssh), a disk's ``build`` steps, ``url`` and ``make_a_copy``, and the
scalars Lago coerced (an integer password is a string). ``chk`` is check.py's
located-problem collector.
"""
from __future__ import annotations

import difflib
from typing import Any, Dict, Optional, Tuple

from .. import cpu, guestfs
from ..model import Disk, Domain

DOMAIN_KEYS = ("vm-provider", "cpu_model", "cpu_custom", "nested")
DISK_KEYS = ("url", "make_a_copy", "build")
# Lago's net keys that change nothing here (NAT is libvirt's own; DNS forwarding is its default).
NET_KEYS = ("nat-settings", "dns_forward")
KEPT = ("vm-type", "service_provider")
PROVIDERS = {"local-libvirt": "libvirt", "libvirt": "libvirt", "ssh": "ssh"}
# A key this similar to a known one is a typo (an error); a less similar one is a key Lago
# would have ignored (a warning). 0.7 catches one swapped, dropped or doubled letter.
CLOSE = 0.7
_PASSWORDS = ("root-password", "ssh-password")
# The variable that carries the configured default ssh user (config ssh_user, --ssh-user).
DEFAULT_USER_VAR = "LAGO_SSH_USER"
Loc = Tuple[Any, ...]


def close_match(key: str, allowed: Tuple[str, ...]) -> Optional[str]:
    """The known key ``key`` is a misspelling of, if any (case does not hide a typo)."""
    lowered = {k.lower(): k for k in allowed}
    found = difflib.get_close_matches(key.lower(), list(lowered), n=1, cutoff=CLOSE)
    return lowered[found[0]] if found else None


def coerce_domain(raw: Dict[str, Any], variables: Dict[str, str]) -> Dict[str, Any]:
    """Scalars as Lago read them: a password written as a number is that string
    (``root-password: 123456``); memory and vcpu written as digit strings are numbers. A
    domain that names no ssh-user gets the configured one."""
    out = dict(raw)
    if variables.get(DEFAULT_USER_VAR) and "ssh-user" not in out:
        out["ssh-user"] = variables[DEFAULT_USER_VAR]
    for key in _PASSWORDS:
        value = out.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = str(value)
    for key in ("memory", "vcpu"):
        value = out.get(key)
        if isinstance(value, str) and value.strip().isdigit():
            out[key] = int(value)
    return out


def is_ssh(raw: Dict[str, Any]) -> bool:
    return raw.get("vm-provider") == "ssh"


def check_domain(chk: Any, raw: Dict[str, Any], dom: Domain, loc: Loc) -> None:
    """vm-provider and the CPU keys, into ``dom``."""
    provider = chk.typed(raw, "vm-provider", str, loc, "local-libvirt")
    if provider not in PROVIDERS:
        chk.bad(loc + ("vm-provider",),
                f"'{provider}' is not one of {', '.join(sorted(PROVIDERS))}")
    dom.provider = PROVIDERS.get(provider, "libvirt")
    # Kept for Lago's 'ansible_hosts --keys' grouping; they change nothing else here.
    dom.upstream = {k: raw[k] for k in KEPT if k in raw and isinstance(raw[k], (str, int))}
    dom.cpu_model = chk.typed(raw, "cpu_model", str, loc)
    dom.cpu_custom = chk.typed(raw, "cpu_custom", dict, loc)
    dom.nested = chk.typed(raw, "nested", bool, loc, False)
    if dom.cpu_model is not None and not cpu.MODEL_RE.match(dom.cpu_model):
        chk.bad(loc + ("cpu_model",), f"'{dom.cpu_model}' is not a CPU model name "
                                      "(see 'virsh cpu-models x86_64')")
    if dom.cpu_model and dom.cpu_custom:
        chk.bad(loc + ("cpu_custom",), "cpu_model and cpu_custom exclude each other "
                                       "(as in Lago): keep one")
    if dom.cpu_custom:
        try:
            cpu.custom_element(dom.cpu_custom)
        except ValueError as exc:
            chk.bad(loc + ("cpu_custom",), str(exc))


def check_ssh_domain(chk: Any, raw: Dict[str, Any], dom: Domain, loc: Loc) -> None:
    """A ``vm-provider: ssh`` domain is a machine that exists: no disks, nothing to provision,
    its address is its first NIC's ``ip``."""
    if raw.get("disks"):
        chk.bad(loc + ("disks",), "a vm-provider ssh domain is an existing machine: it has "
                                  "no disks")
    if raw.get("provision", "none") != "none" or raw.get("bootstrap"):
        chk.bad(loc + ("provision",), "a vm-provider ssh domain is not provisioned by lago "
                                      "(leave provision/bootstrap out)")
    dom.bootstrap, dom.provision = False, "none"
    if dom.nics and not dom.nics[0].ip:
        chk.bad(loc + ("nics", 0), "a vm-provider ssh domain needs its address as 'ip'")
    if dom.boot is not None or dom.cpu_model or dom.cpu_custom or dom.nested:
        chk.bad(loc, "boot and CPU keys do not apply to a vm-provider ssh domain")


def check_disk(chk: Any, d: Dict[str, Any], disk: Disk, dloc: Loc) -> None:
    """``url`` (a local file only: nothing is downloaded), ``make_a_copy``, ``build``."""
    disk.make_a_copy = bool(chk.typed(d, "make_a_copy", bool, dloc, False))
    url = chk.typed(d, "url", str, dloc)
    if url is not None:
        if disk.type != "file":
            chk.bad(dloc + ("url",), "only a disk of type file takes a url (as in Lago)")
        elif "://" in url and not url.startswith("file://"):
            chk.bad(dloc + ("url",), f"'{url}' would be downloaded, and lago works offline: "
                                     "fetch it yourself and name the file as 'path'")
        else:
            local = url[len("file://"):] if url.startswith("file://") else url
            disk.path = chk.host_file(local, dloc + ("url",), "disk image")
            # Lago fetched a url into the prefix: the env's disk is its own copy.
            disk.make_a_copy = True
    steps = chk.typed(d, "build", list, dloc)
    if steps is None:
        return
    if disk.type == "empty":
        chk.bad(dloc + ("build",), "build steps need a disk with an OS, not an empty one")
    for i, item in enumerate(steps):
        sloc = dloc + ("build", i)
        if not isinstance(item, dict) or list(item) != ["virt-customize"] or \
                not isinstance(item["virt-customize"], dict):
            chk.bad(sloc, "a build step is {virt-customize: {OPTION: ARGUMENT, ...}}")
            continue
        options = item["virt-customize"]
        for problem_key, problem in guestfs.customize_problems(options):
            chk.bad(sloc + ("virt-customize", problem_key), problem)
        disk.build.append({str(k): _arguments(v) for k, v in options.items()})


def _arguments(value: Any) -> Any:
    """An option's argument(s) as strings: a list means the option once per item."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return "" if value is None else str(value)

