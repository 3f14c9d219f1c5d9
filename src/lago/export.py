"""export --output DIR [--standalone]: the env's stopped VMs as disks plus an env file that
``init`` accepts, and the sha256 of every disk.

Layered (default): each disk is an overlay holding only what differs from its template, which
must stay where it is. ``--standalone``: each disk is flattened into one image. ``--bundle``:
layered, and the templates (flattened, once each), the direct-boot kernels and initrds and the
env's lockfile go into DIR too, every path relative, so DIR alone can be carried to another
host (air-gapped) and brought up there. Snapshots are
not exported (qemu-img convert copies the current state). Addresses are not pinned in the new
env file (no ``gw``, no NIC ``ip``), so the export can come up next to the original env.
"""
from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from . import model, qemu_img, templates, virsh
from .bundle import SUMS_FILE, sha256
from .errors import UsageError
from .fsutil import write_atomic, write_json
from .log import step
from .paths import EXPORT_ENV_FILE

if TYPE_CHECKING:
    from .prefix import Prefix


def env_document(env: model.Env, disks: Dict[str, List[Dict[str, Any]]]) -> Dict[str, Any]:
    """The env as an env file (its own keys, not the internal model); ``disks``: per VM the
    exported disks {"name", "dev", "file", "format", "sha256"} (file relative to the file)."""
    domains = {}
    for name, d in env.domains.items():
        if name not in disks:
            continue  # not exported (--vm-names, or a vm-provider ssh machine)
        doc: Dict[str, Any] = {
            "memory": d.memory, "vcpu": d.vcpu,
            "nics": [{"net": n.net} for n in d.nics],
            "disks": [{"name": x["name"], "dev": x["dev"], "type": "file", "path": x["file"],
                       "format": x["format"], "metadata": {"sha256": x["sha256"]}}
                      for x in disks[name]],
            # The disks were provisioned already: running that again would redo it.
            "provision": "none", "ssh-user": d.ssh_user}
        for key, value in (("metadata", d.metadata), ("artifacts", d.artifacts),
                           ("groups", d.groups), ("root-password", d.root_password),
                           ("ssh-password", d.ssh_password), ("distro", d.distro),
                           ("cpu_model", d.cpu_model), ("cpu_custom", d.cpu_custom),
                           ("nested", d.nested)):
            if value:
                doc[key] = value
        if d.wait_for != "ssh":
            doc["wait_for"] = d.wait_for
        if d.boot:
            doc["boot"] = {k: v for k, v in (("kernel", d.boot.kernel),
                                              ("initrd", d.boot.initrd),
                                              ("cmdline", d.boot.cmdline)) if v}
        domains[name] = doc
    nets = {}
    for name, n in env.nets.items():
        doc = {"type": n.type, "management": n.management, "dns_domain_name": n.dns_domain_name}
        for key, value in (("dhcp", n.dhcp), ("dns_records", n.dns_records), ("mtu", n.mtu)):
            if value:
                doc[key] = value
        nets[name] = doc
    return {"nets": nets, "domains": domains}


class _Bundle:
    """Files copied into the export once each, by source path: {source: relative name}."""

    def __init__(self, output: str) -> None:
        self.output = output
        self.copied: Dict[str, str] = {}

    def _name(self, sub: str, src: str, suffix: str = "") -> str:
        base = os.path.basename(src)
        stem, n = base, 1
        taken = set(self.copied.values())
        while f"{sub}/{stem}{suffix}" in taken:
            n += 1
            stem = f"{base}.{n}"
        return f"{sub}/{stem}{suffix}"

    def template(self, src: str) -> str:
        if src not in self.copied:
            rel = self._name("templates", src, ".qcow2")
            os.makedirs(os.path.join(self.output, "templates"), exist_ok=True)
            with step("Bundle template %s", os.path.basename(src)):
                qemu_img.convert(src, os.path.join(self.output, rel))
            self.copied[src] = rel
        return self.copied[src]

    def file(self, src: str) -> str:
        if src not in self.copied:
            rel = self._name("boot", src)
            os.makedirs(os.path.join(self.output, "boot"), exist_ok=True)
            shutil.copyfile(src, os.path.join(self.output, rel))
            self.copied[src] = rel
        return self.copied[src]


def export(prefix: Prefix, output: str, standalone: bool = False, bundle: bool = False,
           vms: Optional[List[str]] = None, compress: bool = False,
           env_name: str = EXPORT_ENV_FILE) -> Dict[str, Any]:
    """Returns {"env_file", "disks": {file: sha256}, "standalone", "bundle"}. ``vms``: only
    those (Lago's --vm-names); ``compress``: compressed qcow2; ``env_name``: the env file's
    name in ``output``. A vm-provider ssh machine has no disks and is not exported."""
    if os.sep in env_name or env_name in ("", ".", ".."):
        raise UsageError(f"'{env_name}' is not a file name")
    wanted = [vm for vm in prefix.vm_names(vms) if prefix.env.domains[vm].provider != "ssh"]
    if standalone and bundle:
        raise UsageError("--standalone and --bundle exclude each other",
                         hint="--bundle keeps the disks layered on templates it carries")
    doms = virsh.domains(prefix.uri)
    running = [vm for vm in wanted
               if doms.get(prefix.state.vms[vm].libvirt_name, "shut off") != "shut off"]
    if running:
        raise UsageError(f"export needs stopped VMs; running: {', '.join(running)}",
                         hint="stop them first: lago.pyz stop (or shutdown)")
    os.makedirs(output, exist_ok=True)
    if os.path.exists(os.path.join(output, env_name)):
        raise UsageError(f"{output} already holds an export", hint="choose an empty directory")
    disks: Dict[str, List[Dict[str, Any]]] = {}
    carried = _Bundle(output) if bundle else None
    for vm in wanted:
        info = prefix.state.vms[vm]
        disks[vm] = []
        for d in info.disks:
            file = f"{vm}-{d.name}.qcow2"
            dst = os.path.join(output, file)
            layered = not standalone and d.base
            with step("Export %s disk %s (%s)", vm, d.name,
                      "layered" if layered else "flattened"):
                if layered and carried:
                    rel = carried.template(d.base)
                    qemu_img.convert(d.path, dst, backing=os.path.join(output, rel),
                                     backing_fmt="qcow2", compress=compress)
                    qemu_img.rebase_unsafe(dst, rel, "qcow2")
                elif layered:
                    qemu_img.convert(d.path, dst, backing=d.base,
                                     backing_fmt=d.base_format, compress=compress)
                else:
                    qemu_img.convert(d.path, dst, compress=compress)
                disks[vm].append({"name": d.name, "dev": d.dev, "file": file,
                                  "format": "qcow2", "sha256": sha256(dst)})
    doc = env_document(prefix.env, disks)
    if carried:
        for vm, dom_doc in doc["domains"].items():
            for key in ("kernel", "initrd"):
                if dom_doc.get("boot", {}).get(key):
                    dom_doc["boot"][key] = carried.file(dom_doc["boot"][key])
        lock = templates.lock_path(prefix.env.path)
        if os.path.exists(lock):
            shutil.copyfile(lock, os.path.join(output, templates.LOCK_NAME))
    env_file = os.path.join(output, env_name)
    write_json(env_file, doc, mode=0o600)  # it may carry the guests' passwords
    sums = {x["file"]: x["sha256"] for per_vm in disks.values() for x in per_vm}
    if carried:
        sums.update({rel: sha256(os.path.join(output, rel)) for rel in carried.copied.values()})
    write_atomic(os.path.join(output, SUMS_FILE),
                 "".join(f"{h}  {f}\n" for f, h in sorted(sums.items())))
    return {"env_file": env_file, "disks": sums, "standalone": standalone, "bundle": bundle}
