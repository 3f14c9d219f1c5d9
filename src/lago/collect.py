"""collect --output DIR: each VM's ``artifacts`` into DIR/VM/<path in the guest>.

A running VM sends one tar stream over ssh; a stopped VM's disks are read with libguestfs
(virt-copy-out into a staging directory). Either way the files pass through the same checked
unpacking (transfer.unpack), so nothing a guest holds can land outside DIR/VM.
"""
from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from . import guestfs, parallel, ssh, transfer, virsh
from .errors import CommandFailed, ExternalError, UsageError
from .log import logger, step

if TYPE_CHECKING:
    from .prefix import Prefix

LOG = logger("lago")


def relative_paths(artifacts: List[str]) -> List[str]:
    """Guest paths as tar members below '/': absolute, normalized, never '/' itself."""
    out = []
    for path in artifacts:
        norm = posixpath.normpath("/" + path.lstrip("/"))
        if norm == "/":
            raise UsageError("an artifact path of '/' would collect the whole guest")
        out.append(norm.lstrip("/"))
    return out


def collect(prefix: Prefix, output: str, vms: Optional[List[str]] = None) -> Dict[str, Any]:
    """Returns {vm: {"from": "ssh"|"disk", "dir", "refused": [...], "warnings": [...]}}."""
    os.makedirs(output, exist_ok=True)
    names = [vm for vm in prefix.vm_names(vms) if prefix.env.domains[vm].artifacts]
    doms = virsh.domains(prefix.uri)

    def one(vm: str) -> Dict[str, Any]:
        paths = relative_paths(prefix.env.domains[vm].artifacts)
        info = prefix.state.vms[vm]
        # A vm-provider ssh machine has no disks here: it is always asked over ssh.
        running = info.external or doms.get(info.libvirt_name) == "running"
        dest = os.path.join(output, vm)
        os.makedirs(dest, exist_ok=True)
        stage = tempfile.mkdtemp(prefix=".lago-collect-", dir=output)
        try:
            with step("Collect from %s (%s)", vm, "ssh" if running else "disk"):
                tar = os.path.join(stage, "stream.tar")
                warnings = (_over_ssh(prefix, vm, paths, tar) if running
                            else _from_disk(prefix, vm, paths, stage, tar))
                refused = transfer.unpack(tar, dest)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        for w in warnings:
            LOG.warning("%s: %s", vm, w)
        return {"from": "ssh" if running else "disk", "dir": dest, "refused": refused,
                "warnings": warnings}
    return parallel.each(names, one)


def _over_ssh(prefix: Prefix, vm: str, paths: List[str], tar: str) -> List[str]:
    res = ssh.run_binary(prefix.vm(vm).target(), ["tar", "-c", "-f", "-", "-C", "/", *paths],
                         stdout_path=tar)
    # tar exits non-zero when an artifact is missing but still sends the others.
    return [line for line in res.stderr.strip().splitlines()] if res.returncode else []


def _from_disk(prefix: Prefix, vm: str, paths: List[str], stage: str, tar: str) -> List[str]:
    disks = [(d.path, d.format) for d in prefix.state.vms[vm].disks]
    tree = os.path.join(stage, "tree")
    warnings = []
    # virt-copy-out puts each path into one local directory: group them by their parent.
    by_parent: Dict[str, List[str]] = {}
    for rel in paths:
        by_parent.setdefault(posixpath.dirname(rel), []).append("/" + rel)
    for parent, group in by_parent.items():
        local = os.path.join(tree, parent)
        os.makedirs(local, exist_ok=True)
        try:
            guestfs.copy_out(disks, group, local, prefix.state.domain_type)
        except CommandFailed as exc:
            warnings.append(f"virt-copy-out {' '.join(group)}: {exc.message}")
    # Re-packed so the staging tree goes through the same checks as an ssh stream.
    transfer.pack_contents(tree, tar)
    return warnings


# -- extract_paths: chosen guest paths to chosen host paths -----------------------------------

def extract_paths(prefix: Prefix, vm: str,
                  pairs: Sequence[Tuple[str, str]]) -> List[Dict[str, Any]]:
    """Copy each guest path to its host path ([(guest, host)], as copy-from places it: into
    ``host`` if that is a directory, else as ``host``). A running VM sends them over ssh; a
    stopped (or undefined) one is read from its disks with libguestfs. Either way the files
    pass the same checks and land at the same places. Returns [{"src", "dst", "from"}]."""
    lv_state = virsh.domains(prefix.uri).get(prefix.state.vms[vm].libvirt_name)
    if lv_state == "running":
        return [{**prefix.vm(vm).download(guest, host), "from": "ssh"}
                for guest, host in pairs]
    if lv_state not in (None, "shut off"):
        # QEMU still holds the disks (paused, in shutdown): neither ssh nor a reader works.
        raise UsageError(f"VM {vm} is {lv_state}: extract paths from a running or a stopped VM")
    wanted = [(transfer.remote_path(guest), host) for guest, host in pairs]
    disks = [(d.path, d.format) for d in prefix.state.vms[vm].disks]
    out = []
    with tempfile.TemporaryDirectory(prefix="lago-extract-") as stage:
        with step("Read %d path(s) from the disks of %s", len(wanted), vm):
            local = _copy_out_batches(disks, [g for g, _ in wanted], stage,
                                      prefix.state.domain_type, vm)
        for (guest, host), got in zip(wanted, local):
            def fill(tar: str, got: str = got, guest: str = guest) -> None:
                transfer.pack(got, posixpath.basename(guest), tar)
            out.append({**transfer.receive(vm, guest, host, fill), "from": "disk"})
    return out


def batches(paths: Sequence[str]) -> List[List[int]]:
    """Indexes of ``paths`` in groups whose basenames differ: virt-copy-out puts every path
    of one call into one directory, and each libguestfs start costs seconds."""
    groups: List[List[int]] = []
    names: List[set] = []
    for i, path in enumerate(paths):
        base = posixpath.basename(path)
        for group, seen in zip(groups, names):
            if base not in seen:
                group.append(i)
                seen.add(base)
                break
        else:
            groups.append([i])
            names.append({base})
    return groups


def _copy_out_batches(disks: List[Tuple[str, str]], paths: List[str], stage: str,
                      domain_type: str, vm: str) -> List[str]:
    """virt-copy-out every path; returns the local copy of each, in order."""
    local = [""] * len(paths)
    for n, group in enumerate(batches(paths)):
        into = os.path.join(stage, str(n))
        os.mkdir(into)
        try:
            guestfs.copy_out(disks, [paths[i] for i in group], into, domain_type)
        except CommandFailed as exc:
            raise ExternalError(f"{vm}: reading {', '.join(paths[i] for i in group)} from "
                                f"the disks failed: {exc.message}") from None
        for i in group:
            local[i] = os.path.join(into, posixpath.basename(paths[i]))
            if not os.path.lexists(local[i]):
                raise ExternalError(f"{vm}: {paths[i]} was not found on the disks")
    return local
