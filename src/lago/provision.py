"""First configuration of the guests (SPEC §7), run by init once the overlays exist.

``sysprep``: the boot disks' overlays (the template stays untouched) configured in one
libguestfs appliance for all VMs (guestfish.py), or, for a guest that does not suit it, by one
virt-sysprep run per VM, in parallel. What is written (the root password's hash, the guests'
new host keys) is made in a private (0700) directory inside the prefix, removed when the run
ends.
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import shutil
import tarfile
import tempfile
import time
from typing import Dict, Iterator, List, Optional, Tuple

from . import (addressing, cloudinit, guestfish, guestfs, isoimage, model, netconfig, openssl,
               parallel, ssh)
from .log import logger, step
from .paths import PrefixPaths
from .state import State

LOG = logger("lago")
IQN_BASE = "iqn.2014-07.org.lago"


def sysprep_vms(env: model.Env) -> List[str]:
    return [vm for vm, dom in env.domains.items() if dom.provision == "sysprep"]


def cloud_init_vms(env: model.Env) -> List[str]:
    return [vm for vm, dom in env.domains.items() if dom.provision == "cloud-init"]


def run(paths: PrefixPaths, env: model.Env, uuid: str, planned: State,
        disks: Dict[str, List[Dict[str, str]]], domain_type: str) -> Dict[str, str]:
    """sysprep (in parallel) and cloud-init seeds for the VMs that ask; returns {vm: seed iso}."""
    if sysprep_vms(env):
        with step("Provision %d VM(s) with sysprep", len(sysprep_vms(env))):
            bootstrap(paths, env, uuid, planned, disks, domain_type)
    return seeds(paths, env, uuid, planned)


@dataclasses.dataclass
class Kit:
    """What one VM's sysprep writes, made on the host (in a private directory)."""

    vm: str
    hostname: str  # the VM's name as a host label
    tmp: str  # its private directory
    disk: Tuple[str, str]  # the boot disk's overlay: (path, format)
    pubkey_file: str
    ssh_user: str
    root_hash: Optional[str]
    uploads: List[Tuple[str, str, str]]  # (local file, guest path, mode)
    host_keys: List[str]
    selinux: bool
    iqn: str
    build: List[str]  # the boot disk's virt-customize build steps, as commands-file lines
    family: str


def _shareable(paths: PrefixPaths, dom: model.Domain) -> bool:
    """Whether the shared appliance can configure the VM: plain file writes only (another
    user's key needs the guest's passwd; SELinux needs a relabel; build steps virt-customize)."""
    return dom.ssh_user == "root" and netconfig.family(dom.distro) != "el" and \
        not guestfs.customize_lines(dom.disks[0].build, paths.ssh_pubkey)


def bootstrap(paths: PrefixPaths, env: model.Env, uuid: str, planned: State,
              disks: Dict[str, List[Dict[str, str]]], domain_type: str,
              vms: Optional[List[str]] = None) -> Dict[str, float]:
    """Provision ``vms`` (default: every VM that asks for it); returns seconds per VM. The VMs
    one appliance can serve are configured together in it; the rest, and any whose disk turns
    out not to suit it, by virt-sysprep, one appliance per VM, in parallel."""
    vms = sysprep_vms(env) if vms is None else vms
    t0 = time.monotonic()
    with _private_dir(paths.root, ".sysprep-") as tmp:
        shared = [vm for vm in vms if _shareable(paths, env.domains[vm])]
        app = guestfish.Appliance([(disks[vm][0]["path"], disks[vm][0]["format"])
                                   for vm in shared], guestfs.environment(domain_type), tmp)
        try:
            # The appliance boots (most of a sysprep under TCG, on one core) while the kits
            # are made beside it, on the other cores: their RSA host keys take about a
            # second of CPU apiece, and all at once they would slow the boot down.
            workers = max(1, (os.cpu_count() or 2) - 1) if shared else None
            with parallel.alongside(lambda: _start(app) if shared else None):
                kits = parallel.each(vms, lambda vm: _kit(paths, env, uuid, planned, vm,
                                                          disks[vm][0], os.path.join(tmp, vm)),
                                     workers)
            done = _in_one_appliance(app, [kits[vm] for vm in shared]) if shared else []
        finally:
            app.stop()
        seconds = {vm: time.monotonic() - t0 for vm in done}

        def one(vm: str) -> float:
            with step("Sysprep %s", vm, vm=vm, phase="provision"):
                _virt_sysprep(kits[vm], domain_type)
            return time.monotonic() - t0
        seconds.update(parallel.each([vm for vm in vms if vm not in done], one))
    return seconds


def sysprep_vm(paths: PrefixPaths, env: model.Env, uuid: str, planned: State, vm: str,
               boot_disk: Dict[str, str], domain_type: str) -> None:
    """Provision one VM's boot disk (``boot_disk``) as init does."""
    bootstrap(paths, env, uuid, planned, {vm: [boot_disk]}, domain_type, vms=[vm])


def _kit(paths: PrefixPaths, env: model.Env, uuid: str, planned: State, vm: str,
         boot_disk: Dict[str, str], tmp: str) -> Kit:
    os.mkdir(tmp, 0o700)
    dom = env.domains[vm]
    info, nets = planned.vms[vm], planned.nets
    fam = netconfig.family(dom.distro)
    mgmt = info.management_net
    net_files = netconfig.files(fam, [n.to_dict() for n in info.nics],
                                {n: nets[n].subnet for n in nets}, (mgmt, nets[mgmt].gw))
    uploads = []
    for i, (guest, content, mode) in enumerate(net_files):
        local = os.path.join(tmp, f"net{i}")
        _write_private(local, content)
        uploads.append((local, guest, mode))
    return Kit(vm=vm, hostname=addressing.host_label(vm), tmp=tmp, disk=(boot_disk["path"], boot_disk["format"]),
               pubkey_file=paths.ssh_pubkey, ssh_user=dom.ssh_user,
               root_hash=openssl.password_hash(dom.root_password) if dom.root_password else None,
               uploads=uploads, host_keys=ssh.host_keys(tmp, f"root@{vm}"),
               selinux=fam == "el", iqn=f"{IQN_BASE}:{addressing.short_id(uuid)}:{vm}",
               build=guestfs.customize_lines(dom.disks[0].build, paths.ssh_pubkey), family=fam)


def _virt_sysprep(kit: Kit, domain_type: str) -> None:
    commands = guestfs.sysprep_commands(
        hostname=kit.hostname, pubkey_file=kit.pubkey_file, ssh_user=kit.ssh_user,
        root_hash=kit.root_hash, uploads=kit.uploads, host_keys=kit.host_keys,
        selinux_relabel=kit.selinux, iscsi_iqn=kit.iqn, build=kit.build)
    cmd_file = os.path.join(kit.tmp, "commands")
    _write_private(cmd_file, commands)
    LOG.debug("%s: sysprep commands (family %s):\n%s", kit.vm, kit.family,
              guestfs.masked_commands(commands))
    guestfs.sysprep([kit.disk], cmd_file, domain_type)


# What the shared appliance reads from a guest before it writes: the files it edits on the
# host (and /etc/fstab, to know the guest's root is all it writes to; with their owners and
# modes, which /etc/shadow keeps), and two files it replaces only where the template has them.
_TEXTS = ("/etc/fstab", "/etc/shadow", "/etc/hosts")
_PRESENT = ("/etc/machine-id", "/var/lib/systemd/random-seed")


def _start(app: guestfish.Appliance) -> None:
    with step("Start one appliance for %d disk(s)", len(app.disks)):
        app.start()


def _in_one_appliance(app: guestfish.Appliance, kits: List[Kit]) -> List[str]:
    """Configure the guests of ``kits`` (their disks in this order) in the started appliance;
    returns the VMs done (the others' disks did not suit it, and are left as they were)."""
    done = []
    mark = guestfish.new_mark()
    partitions: List[List[str]] = []  # list-partitions' answer, asked once if at all
    for i, kit in enumerate(kits):
        found = _read_guest(app, guestfish.device(i), mark)
        if "/etc/fstab" not in found.files:  # the whole disk is no root: its partitions
            app.script("umount-all\n")
            root = _partition_root(app, guestfish.device(i), mark, partitions)
            found = _read_guest(app, root, mark) if root else guestfish.Found({}, {}, [])
        if not _suits(kit, found):
            app.script("umount-all\n")
            LOG.info("%s: its disk does not suit the shared appliance; virt-sysprep "
                     "configures it", kit.vm)
            continue
        with step("Sysprep %s", kit.vm, vm=kit.vm, phase="provision"):
            app.script(guestfish.configure_script(_payload(kit, found), found.trees))
        done.append(kit.vm)
    return done


def _read_guest(app: guestfish.Appliance, root: str, mark: str) -> guestfish.Found:
    return guestfish.parse_read(app.script(guestfish.read_script(root, _TEXTS, _PRESENT, mark)),
                                mark)


def _partition_root(app: guestfish.Appliance, dev: str, mark: str,
                    partitions: List[List[str]]) -> Optional[str]:
    """The one partition of ``dev`` that mounts as ext4 and holds an /etc/fstab, or None."""
    if not partitions:
        partitions.append(guestfish.sections(app.script(guestfish.partitions_script(mark)),
                                             mark).get("partitions", []))
    parts = guestfish.partitions_of(dev, partitions[0])
    if not parts:
        return None
    fstabs = guestfish.sections(app.script(guestfish.fstab_script(parts, mark)), mark)
    roots = [fs for fs in parts if fstabs.get(fs) == ["true"]]
    return roots[0] if len(roots) == 1 else None


def _suits(kit: Kit, found: guestfish.Found) -> bool:
    """Whether the shared appliance can configure this guest from what read_script found:
    its root's fstab mounts nothing else it writes to, and the files it edits were read."""
    fstab = found.files.get("/etc/fstab")
    if not fstab or not guestfish.simple_fstab(fstab):
        return False
    if "/etc/hosts" in found.files and found.files["/etc/hosts"] is None:
        return False
    return not kit.root_hash or (found.files.get("/etc/shadow") is not None
                                 and "/etc/shadow" in found.owners)


def _payload(kit: Kit, found: guestfish.Found) -> str:
    """The guest's new files as a private tarball (numeric owners, modes set): among them
    /etc/hosts and /etc/shadow as read and edited here, /etc/shadow with its own owner and
    mode and root's new hash."""
    root = (0, 0)
    entries: List[Tuple[str, bytes, int, Tuple[int, int]]] = [
        ("etc/hostname", f"{kit.hostname}\n".encode(), 0o644, root)]
    files = found.files
    hosts = files.get("/etc/hosts") or ""
    named = guestfs.hosts_naming(hosts, kit.hostname)
    entries.append(("etc/hosts", named.encode("utf-8", "surrogateescape"), 0o644, root))
    entries.append(("root/.ssh/authorized_keys", _read(kit.pubkey_file).encode(), 0o600, root))
    for key in kit.host_keys:
        name = f"etc/ssh/{os.path.basename(key)}"
        entries += [(name, _read(key).encode(), 0o600, root),
                    (f"{name}.pub", _read(key + ".pub").encode(), 0o644, root)]
    entries += [(guest.lstrip("/"), _read(local).encode(), int(mode, 8), root)
                for local, guest, mode in kit.uploads]
    entries.append(("etc/cloud/cloud-init.disabled", b"", 0o644, root))
    entries.append(("etc/iscsi/initiatorname.iscsi", f"InitiatorName={kit.iqn}\n".encode(),
                    0o644, root))
    if "/etc/machine-id" in files:  # empty: systemd makes a new one at the first boot
        entries.append(("etc/machine-id", b"", 0o444, root))
    if "/var/lib/systemd/random-seed" in files:  # clones must not start from one seed
        entries.append(("var/lib/systemd/random-seed", os.urandom(512), 0o600, root))
    if kit.root_hash:
        uid, gid, mode = found.owners["/etc/shadow"]
        shadow = guestfs.with_root_hash(files["/etc/shadow"] or "", kit.root_hash)
        entries.append(("etc/shadow", shadow.encode("utf-8", "surrogateescape"), mode,
                        (uid, gid)))
    tarball = os.path.join(kit.tmp, "files.tar")
    fd = os.open(tarball, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh, tarfile.open(fileobj=fh, mode="w") as tar:
        tar.addfile(_entry("root/.ssh", 0o700, tarfile.DIRTYPE, root))
        for name, data, mode, owner in entries:
            tar.addfile(_entry(name, mode, tarfile.REGTYPE, owner, len(data)), io.BytesIO(data))
    return tarball


def _entry(name: str, mode: int, kind: bytes, owner: Tuple[int, int],
           size: int = 0) -> tarfile.TarInfo:
    """An archive member owned by numeric ids (no user names: tar in the appliance would map
    names through the appliance's own passwd, not the guest's)."""
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.size = kind, mode, size
    info.uid, info.gid = owner
    info.uname = info.gname = ""
    info.mtime = int(time.time())
    return info


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="surrogateescape") as fh:
        return fh.read()


def seeds(paths: PrefixPaths, env: model.Env, uuid: str,
          planned: State) -> Dict[str, str]:
    """A NoCloud seed ISO for every cloud-init VM: {vm: iso path}."""
    out = {}
    for vm in cloud_init_vms(env):
        with step("Make cloud-init seed for %s", vm, vm=vm, phase="provision"):
            out[vm] = seed_vm(paths, env, uuid, planned, vm)
    return out


def seed_vm(paths: PrefixPaths, env: model.Env, uuid: str, planned: State,
            vm: str) -> str:
    dom = env.domains[vm]
    info, nets = planned.vms[vm], planned.nets
    mgmt = info.management_net
    with open(paths.ssh_pubkey, encoding="utf-8") as fh:
        pubkey = fh.read()
    pw_hash = openssl.password_hash(dom.root_password) if dom.root_password else None
    contents = {
        "meta-data": cloudinit.meta_data(vm, f"{uuid}-{vm}"),
        "user-data": cloudinit.user_data(addressing.host_label(vm), pubkey, pw_hash, dom.ssh_user),
        "network-config": cloudinit.network_config(
            [n.to_dict() for n in info.nics], {n: nets[n].subnet for n in nets},
            (mgmt, nets[mgmt].gw)),
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
