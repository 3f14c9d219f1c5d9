"""Host detection (SPEC §11): KVM only when it really works, else TCG."""
from __future__ import annotations

import fcntl
import os
from typing import Any, Dict

from .log import logger

LOG = logger("lago")

KVM_GET_API_VERSION = 0xAE00
KVM_CREATE_VM = 0xAE01
KVM_API_VERSION = 12


def cpu_has_virt(cpuinfo: str) -> bool:
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags = line.split(":", 1)[1].split()
            return "vmx" in flags or "svm" in flags
    return False


def kvm_usable(dev: str = "/dev/kvm", cpuinfo_path: str = "/proc/cpuinfo") -> bool:
    """CPU virtualization flags plus a real probe: the device answers and can create a VM."""
    try:
        with open(cpuinfo_path, encoding="utf-8") as fh:
            if not cpu_has_virt(fh.read()):
                return False
        fd = os.open(dev, os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        if fcntl.ioctl(fd, KVM_GET_API_VERSION) != KVM_API_VERSION:
            return False
        vm_fd = fcntl.ioctl(fd, KVM_CREATE_VM, 0)
        os.close(vm_fd)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def cpu_facts(cpuinfo_path: str = "/proc/cpuinfo") -> Dict[str, Any]:
    """The host CPU's vendor and flags (cpu.host_cpu), for a domain's <cpu>."""
    from . import cpu
    try:
        with open(cpuinfo_path, encoding="utf-8") as fh:
            return cpu.host_cpu(fh.read())
    except OSError:
        return {"vendor": None, "flags": []}


_warned = False


def domain_type(override: str = "") -> str:
    global _warned
    if override:
        return override
    if kvm_usable():
        return "kvm"
    if not _warned:
        LOG.warning("KVM is not usable on this host; VMs run under TCG emulation (slower)")
        _warned = True
    return "qemu"
