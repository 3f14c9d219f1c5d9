"""First configuration of the guests (SPEC §7), run by init once the overlays exist.

``sysprep``: one virt-sysprep run per VM on its boot disk's overlay (the template stays
untouched), all VMs in parallel. The commands file (it holds the root password's hash) and
the guest's new host keys live in a private (0700) directory inside the prefix and are
removed when the run ends.
"""
from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
from typing import Any, Dict, Iterator, List

from . import addressing, cloudinit, guestfs, isoimage, model, netconfig, openssl, parallel, ssh
from .log import step
from .paths import PrefixPaths

LOG = logging.getLogger("lago")
IQN_BASE = "iqn.2014-07.org.lago"


def sysprep_vms(env: model.Env) -> List[str]:
    return [vm for vm, dom in env.domains.items() if dom.provision == "sysprep"]


def cloud_init_vms(env: model.Env) -> List[str]:
    return [vm for vm, dom in env.domains.items() if dom.provision == "cloud-init"]


def run(paths: PrefixPaths, env: model.Env, uuid: str, planned: Dict[str, Any],
        disks: Dict[str, List[Dict[str, str]]], domain_type: str) -> Dict[str, str]:
    """sysprep (in parallel) and cloud-init seeds for the VMs that ask; returns {vm: seed iso}."""
    if sysprep_vms(env):
        with step("Provision %d VM(s) with virt-sysprep", len(sysprep_vms(env))):
            bootstrap(paths, env, uuid, planned, disks, domain_type)
    return seeds(paths, env, uuid, planned)


def bootstrap(paths: PrefixPaths, env: model.Env, uuid: str, planned: Dict[str, Any],
              disks: Dict[str, List[Dict[str, str]]], domain_type: str) -> Dict[str, float]:
    """Provision every VM that asks for it; returns seconds per VM."""
    def one(vm: str) -> float:
        t0 = time.monotonic()
        with step("Sysprep %s", vm, vm=vm, phase="provision"):
            sysprep_vm(paths, env, uuid, planned, vm, disks[vm][0], domain_type)
        return time.monotonic() - t0
    return parallel.each(sysprep_vms(env), one)


def sysprep_vm(paths: PrefixPaths, env: model.Env, uuid: str, planned: Dict[str, Any], vm: str,
               boot_disk: Dict[str, str], domain_type: str) -> None:
    dom = env.domains[vm]
    info = planned["vms"][vm]
    nets = planned["nets"]
    fam = netconfig.family(dom.distro)
    mgmt = info["management_net"]
    net_files = netconfig.files(fam, info["nics"], {n: nets[n]["subnet"] for n in nets},
                                (mgmt, nets[mgmt]["gw"]))
    with _private_dir(paths.root, f".sysprep-{vm}-") as tmp:
        uploads = []
        for i, (guest, content, mode) in enumerate(net_files):
            local = os.path.join(tmp, f"net{i}")
            _write_private(local, content)
            uploads.append((local, guest, mode))
        root_hash = openssl.password_hash(dom.root_password) if dom.root_password else None
        iqn = f"{IQN_BASE}:{addressing.short_id(uuid)}:{vm}"
        commands = guestfs.sysprep_commands(
            hostname=addressing.host_label(vm), pubkey_file=paths.ssh_pubkey, ssh_user=dom.ssh_user,
            root_hash=root_hash, uploads=uploads,
            host_keys=ssh.host_keys(tmp, f"root@{vm}"), selinux_relabel=fam == "el",
            iscsi_iqn=iqn, build=guestfs.customize_lines(dom.disks[0].build, paths.ssh_pubkey))
        cmd_file = os.path.join(tmp, "commands")
        _write_private(cmd_file, commands)
        LOG.debug("%s: sysprep commands (family %s):\n%s", vm, fam,
                  guestfs.masked_commands(commands))
        guestfs.sysprep([(boot_disk["path"], boot_disk["format"])], cmd_file, domain_type)


def seeds(paths: PrefixPaths, env: model.Env, uuid: str,
          planned: Dict[str, Any]) -> Dict[str, str]:
    """A NoCloud seed ISO for every cloud-init VM: {vm: iso path}."""
    out = {}
    for vm in cloud_init_vms(env):
        with step("Make cloud-init seed for %s", vm, vm=vm, phase="provision"):
            out[vm] = seed_vm(paths, env, uuid, planned, vm)
    return out


def seed_vm(paths: PrefixPaths, env: model.Env, uuid: str, planned: Dict[str, Any],
            vm: str) -> str:
    dom = env.domains[vm]
    info, nets = planned["vms"][vm], planned["nets"]
    mgmt = info["management_net"]
    with open(paths.ssh_pubkey, encoding="utf-8") as fh:
        pubkey = fh.read()
    pw_hash = openssl.password_hash(dom.root_password) if dom.root_password else None
    contents = {
        "meta-data": cloudinit.meta_data(vm, f"{uuid}-{vm}"),
        "user-data": cloudinit.user_data(addressing.host_label(vm), pubkey, pw_hash, dom.ssh_user),
        "network-config": cloudinit.network_config(
            info["nics"], {n: nets[n]["subnet"] for n in nets}, (mgmt, nets[mgmt]["gw"])),
    }
    iso = os.path.join(paths.images, f"{vm}-seed.iso")
    with _private_dir(paths.root, f".seed-{vm}-") as tmp:
        files = []
        for name, text in contents.items():
            files.append(os.path.join(tmp, name))
            _write_private(files[-1], text)
        # Made in the private directory and moved into place 0600: it holds the root
        # password's hash (libvirt lends it to QEMU's user while the VM runs, as the overlays).
        made = os.path.join(tmp, "seed.iso")
        isoimage.create(made, cloudinit.VOLUME_ID, files)
        os.chmod(made, 0o600)
        os.replace(made, iso)
    return iso


@contextlib.contextmanager
def _private_dir(parent: str, prefix: str) -> Iterator[str]:
    path = tempfile.mkdtemp(prefix=prefix, dir=parent)  # mkdtemp makes it 0700
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _write_private(path: str, content: str) -> None:
    """Created 0600 from the start, so a password is never readable by others, not even briefly."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(content)
