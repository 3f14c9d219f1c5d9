"""Making an env's prefix from an env file, the steps ``lago.Prefix.up``/``create`` (and
``virt_conf``) compose: the env file checked and loaded (``load``); then ``reserve`` — uuid,
key pair, leases, addresses, all the networks need — and ``build`` — overlays, provisioning,
build steps, the saved state. Every step records its undo first, so a failure part way leaves
the host as it found it (the log is kept).

Only the verbs that create an env import this module, and with it the env-file loader, the
template store and provisioning: `status` and `ssh` start without them.
"""
from __future__ import annotations

import os
import shutil
import uuid as uuidlib
from typing import TYPE_CHECKING, Dict, List, Optional

from . import (addressing, cpu, events, guestfs, host, iproute, leases, model, parallel,
               provision, qemu_img, ssh, state, templates, virsh, workdir)
from .config import Config
from .envfile import DEFAULT_USER_VAR, load_env
from .fsutil import unlink_if_present, write_atomic
from .log import logger, step
from .paths import WorkdirPaths
from .undo import Undo
from .workdir import clear_prefix

if TYPE_CHECKING:
    from .prefix import Prefix

LOG = logger("lago")

IMAGES_MODE = 0o711
OVERLAY_MODE = 0o600


class UserKey:
    """A key pair the user brought (--ssh-key), checked before anything touches the host."""

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)
        self.public = ssh.public_key_of(self.path)


def initialize(prefix: Prefix, env: model.Env, undo: Undo,
               user_key: Optional[UserKey] = None) -> None:
    """Create the prefix: uuid, key pair (``user_key``'s, or a new one), leases, addresses,
    overlays, provisioning. Nothing runs."""
    build(prefix, env, undo, reserve(prefix, env, undo, user_key))


def reserve(prefix: Prefix, env: model.Env, undo: Undo,
             user_key: Optional[UserKey]) -> state.State:
    """The first half of initialize: uuid, key pair, leases and addresses — all the networks
    need. Returns the draft state (no disks yet), which the prefix holds from now on."""
    p, cfg = prefix.files, prefix.cfg
    prefix.open_log()
    _forget_abandoned(prefix)
    for d in (p.root, p.images, p.logs):
        os.makedirs(d, exist_ok=True)
    # QEMU (libvirt's unprivileged user) must pass through to the overlays, nobody list them.
    os.chmod(p.images, IMAGES_MODE)
    uuid = str(uuidlib.uuid4())
    # Every undo step is pushed before its action: an interrupt between the two must not
    # leave the thing behind (each undo tolerates a thing that was never made).
    undo.push("remove prefix files", lambda: clear_prefix(p))
    write_atomic(p.uuid, uuid + "\n")
    if user_key is not None:
        with step("Use ssh key %s", user_key.path):
            with open(user_key.path, encoding="utf-8") as fh:
                write_atomic(p.ssh_key, fh.read(), mode=0o600)
            write_atomic(p.ssh_pubkey, user_key.public + "\n", mode=0o644)
    else:
        with step("Create ssh key"):
            ssh.keygen(p.ssh_key, f"lago-{addressing.short_id(uuid)}")
    domain_type = host.domain_type(cfg.domain_type)
    nested = cpu.nested_unavailable(list(env.domains.values()), domain_type)
    if nested:
        LOG.warning("%s", nested)
    with step("Lease subnets", phase="lease"):
        pool = leases.parse_pool(cfg.subnet_pool)
        owner = leases.Owner(p.root, p.uuid, uuid)
        undo.push("release leases", lambda: leases.release(cfg.lease_dir, uuid))
        leased = leases.acquire(cfg.lease_dir, pool, owner, addressing.subnet_requests(env),
                                excluded=iproute.routed_subnets() +
                                virsh.network_subnets(prefix.uri))
    planned = addressing.plan(env, uuid, addressing.all_subnets(env, leased))
    draft = state.State.from_dict({"uuid": uuid, "env_file": env.path, "domain_type": domain_type,
                                   "ssh_key": user_key.path if user_key is not None else None,
                                   **planned})
    prefix.loaded(draft, env)
    return draft


def build(prefix: Prefix, env: model.Env, undo: Undo, draft: state.State) -> None:
    """The second half of initialize: disks, deploy scripts, provisioning, then the state on
    disk. ``draft`` is not changed (the networks may be starting from it meanwhile)."""
    p, cfg = prefix.files, prefix.cfg
    with step("Create disks"):
        disks = parallel.each(list(env.domains),
                              lambda vm: _create_disks(prefix, env.domains[vm], undo))
    _copy_deploy_scripts(prefix, env)
    seeds = provision.run(p, env, draft.uuid, draft, disks, draft.domain_type)
    _run_build_steps(prefix, env, disks, draft.domain_type)
    vms = {vm: info.replace(disks=[state.DiskState.from_dict(d) for d in disks[vm]],
                            seed=seeds.get(vm))
           for vm, info in draft.vms.items()}
    new_state = draft.replace(vms=vms)
    state.save_env(p, env)
    state.save(p, new_state)
    templates.register(env, cfg.template_store, draft.uuid, p.uuid, p.root)
    write_atomic(p.initialized, "")
    prefix.loaded(new_state, env)


def _run_build_steps(prefix: Prefix, env: model.Env, disks: Dict[str, List[Dict[str, str]]],
                     domain_type: str) -> None:
    """Each disk's ``build`` steps (virt-customize), after provisioning as in Lago; the VMs
    in parallel, a VM's disks in order. A sysprepped boot disk's steps ran in its sysprep."""
    def one(vm: str) -> None:
        dom = env.domains[vm]
        for i, (spec_disk, made) in enumerate(zip(dom.disks, disks[vm])):
            if spec_disk.build and not (i == 0 and dom.provision == "sysprep"):
                with step("Build %s disk %s", vm, spec_disk.name, vm=vm, phase="provision"):
                    guestfs.customize((made["path"], made["format"]), spec_disk.build,
                                      prefix.files.ssh_pubkey, domain_type)
    parallel.each([vm for vm, d in env.domains.items() if any(x.build for x in d.disks)], one)


def _copy_deploy_scripts(prefix: Prefix, env: model.Env) -> None:
    for vm, dom in env.domains.items():
        for i, script in enumerate(dom.metadata.get("deploy-scripts", [])):
            copy = prefix.files.deploy_script(vm, i, script)
            os.makedirs(os.path.dirname(copy), exist_ok=True)
            shutil.copy2(script, copy)


def _forget_abandoned(prefix: Prefix) -> None:
    """An uninitialized prefix we hold the lock of is the remains of a killed init or
    destroy: remove its libvirt objects and leases before its files, then start over."""
    old = state.read_uuid(prefix.files)
    if old:
        LOG.info("removing the remains of an interrupted run in %s", prefix.files.root)
        prefix._remove_libvirt_objects()
        leases.release(prefix.cfg.lease_dir, old)
    clear_prefix(prefix.files)


def _create_disks(prefix: Prefix, dom: model.Domain, undo: Undo) -> List[Dict[str, str]]:
    with events.timed("overlay", dom.name):
        out = []
        for disk in dom.disks:
            path = prefix.files.disk(dom.name, disk.name)
            entry = {"name": disk.name, "dev": disk.dev, "path": path, "format": "qcow2",
                     "base": disk.path, "base_format": None}
            undo.push(f"remove {path}", lambda path=path: unlink_if_present(path))
            if disk.type == "empty":
                qemu_img.create(path, fmt=disk.format, size=disk.size)
                entry["format"] = disk.format
            elif disk.make_a_copy:
                # Lago's make_a_copy (and url): the env's own full copy, not an overlay.
                qemu_img.convert(disk.path, path)
                entry["base"] = None
            else:
                base_format = base_format_of(disk, qemu_img.info(disk.path)["format"])
                qemu_img.create(path, backing=disk.path, backing_fmt=base_format)
                entry["base_format"] = base_format
            # The overlay will hold the guest's host keys and password hash: the owner's
            # alone (libvirt gives it to QEMU's user while the VM runs and takes it back).
            os.chmod(path, OVERLAY_MODE)
            out.append(entry)
        return out


def base_format_of(disk: model.Disk, probed: str) -> str:
    """The format an overlay reads its base as. A disk said to be raw is read as raw: a raw
    disk's content is its guest's to write, and a guest that wrote a qcow2 header naming a
    host file into it would have that file read next time, if the format were probed."""
    return "raw" if disk.format == "raw" else probed


def load(wd: WorkdirPaths, prefix_name: str, envfile: str,
          cfg: Optional[Config] = None) -> model.Env:
    """The env file, validated; what it says that Lago ignored is logged as a warning."""
    variables = _variables(wd, prefix_name, envfile)
    if cfg is not None:
        # Lago's --ssh-user: the user of every VM that names none.
        variables[DEFAULT_USER_VAR] = cfg.ssh_user
    env = load_env(envfile, variables)
    for warning in env.warnings:
        LOG.warning("%s", warning)
    return env


def _variables(wd: WorkdirPaths, prefix_name: str, envfile: str) -> Dict[str, str]:
    paths = workdir.prefix_for_new(wd, prefix_name)
    return {"LAGO_PREFIX_PATH": paths.root, "LAGO_WORKDIR_PATH": wd.root,
            "LAGO_INITFILE_PATH": os.path.dirname(os.path.abspath(envfile))}
