"""The order of operations for an env that exists (start, stop, shutdown, destroy), the
prefix lock and the rollback: ``Lifecycle``, mixed into ``lago.Prefix`` (prefix.py).

lago.Prefix's up and create make an env from create.py's steps the same way. This composes the
leaf modules (leases, addressing, virsh, iproute), networks.py and domains.py (an env's
libvirt networks and domains), and records an undo step for everything it creates, so a
failure part way leaves the host as it found it (the prefix's log is kept). The steps are
private methods: the verbs (running.py) call them under ``transaction``.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from . import (addressing, domains, iproute, leases, model, networks, parallel, state, virsh,
               workdir)
from .config import Config
from .fsutil import flocked, unlink_if_present
from .log import attach_file, logger, step
from .paths import PrefixPaths, WorkdirPaths
from .undo import Undo

if TYPE_CHECKING:
    from .prefix import Prefix
    from .vm import VM

LOG = logger("lago")

# ssh (and the socket and thread modules behind it) is imported where it is used: `status`
# needs none of it, and every module read from the zip costs start-up time.


class Lifecycle:
    """One environment on disk and in libvirt: its saved state, lock and power. Prefix gives
    it ``cfg``, ``files`` (the prefix's PrefixPaths) and the way to open a fresh copy."""

    cfg: Config
    files: PrefixPaths
    _state: Optional[state.State]
    _env: Optional[model.Env]

    def _ops(self) -> Tuple[Config, WorkdirPaths, str]:
        raise NotImplementedError

    # -- loading ---------------------------------------------------------------------------
    @property
    def initialized(self) -> bool:
        return os.path.exists(self.files.initialized)

    @property
    def state(self) -> state.State:
        if self._state is None:
            self._state = state.require(self.files)
        return self._state

    @property
    def env(self) -> model.Env:
        if self._env is None:
            self._env = state.load_env(self.files)
        return self._env

    def loaded(self, new_state: state.State, env: model.Env) -> None:
        """The state and env this process has just written: no need to read them back."""
        self._state, self._env = new_state, env

    def _engine(self) -> "Prefix":
        """This env as its files say now (a fresh copy: a verb never works from stale
        state); NotFound unless the prefix exists."""
        from .prefix import Prefix
        return Prefix.of(*self._ops())

    @property
    def uri(self) -> str:
        return self.cfg.libvirt_url

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        os.makedirs(self.files.root, exist_ok=True)
        with flocked(self.files.lock, self.cfg.lock_timeout, f"environment '{self.files.name}'"):
            yield

    def open_log(self) -> None:
        os.makedirs(self.files.logs, exist_ok=True)
        attach_file(self.files.log)

    def vm_names(self, wanted: Optional[Sequence[str]] = None) -> List[str]:
        names = list(self.state.vms)
        if not wanted:
            return names
        return [self.resolve_vm(w) for w in wanted]

    def libvirt_vms(self) -> Dict[str, state.VmState]:
        """The state of the VMs that are libvirt domains: not the vm-provider ssh machines,
        which lago neither starts, stops nor snapshots."""
        return self.state.libvirt_vms()

    def external(self, names: Sequence[str]) -> List[str]:
        """Those of ``names`` that are vm-provider ssh machines (said so, not acted on)."""
        out = [vm for vm in names if self.state.vms[vm].external]
        for vm in out:
            LOG.info("%s is an existing machine (vm-provider ssh): lago does not power it", vm)
        return out

    def resolve_vm(self, name: str) -> str:
        """A VM by exact name or by a unique suffix."""
        from .session import resolve_vm
        return resolve_vm(self.state, self.files.name, name)

    def vm(self, name: str) -> "VM":
        """VM ``name`` (exact) of this env as loaded: vm.VM, the owner of its guest's
        operations (ssh, copies, deploy scripts)."""
        from .vm import VM
        return VM.of(self, name)  # type: ignore[arg-type]

    def _close_masters(self) -> None:
        """Close every VM's master connection (the guests' side of them is gone, e.g.
        revert)."""
        for vm in self.state.vms:
            self.vm(vm).close_master()

    # -- the lock and the rollback ---------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Undo]:
        """Hold the prefix lock and log to its file; on any failure undo what this run
        created."""
        undo = Undo()
        parallel.CANCEL.clear()
        with self.locked():
            self.open_log()
            try:
                yield undo
            except BaseException:
                LOG.debug("command failed", exc_info=True)
                undo.rollback()
                raise

    def _change(self, action: Callable[["Prefix", Undo], Any]) -> Any:
        """Run ``action`` on this env, read afresh, under its lock, rolling back on error."""
        p = self._engine()
        with p.transaction() as undo:
            return action(p, undo)

    def _ensure_networks(self, undo: Undo, names: Optional[Sequence[str]] = None) -> None:
        """The env's networks (or ``names`` of them) defined and started, as start makes
        them; for a VM's revert and a Network's start (vm.py, virt.py)."""
        if names is None:
            networks.ensure_all(self, undo)
            return
        defined = virsh.networks(self.uri)
        for name in names:
            networks.ensure(self, name, self.state.nets[name], defined, undo)

    # -- start / wait ----------------------------------------------------------------------
    def _start_vms(self, vms: Optional[Sequence[str]], undo: Undo,
                   known: Optional[Tuple[Dict[str, str], Dict[str, bool]]] = None) -> List[str]:
        """Networks, and meanwhile the VMs' definitions; then the VMs in parallel. Returns the
        VMs this call started. ``known``: the host's domains and networks as virsh.inventory
        would list them, from a caller that has just made them (saves asking libvirt)."""
        st = self.state
        names = self.vm_names(vms)
        names = [vm for vm in names if vm not in self.external(names)]
        defined, defined_nets = known if known is not None else virsh.inventory(self.uri)
        started = [vm for vm in names if defined.get(st.vms[vm].libvirt_name) != "running"]
        undefined = [vm for vm in started if st.vms[vm].libvirt_name not in defined]
        # libvirt checks a domain's network when it starts, not when it is defined.
        with parallel.alongside(lambda: networks.ensure_all(self, undo, defined_nets)):
            parallel.each(undefined, lambda vm: domains.define(self, vm, undo))

        def boot(vm: str) -> None:
            with step("Start VM %s", vm):
                domains.boot(self, vm, defined, undo)
        parallel.each(started, boot)
        return started

    # -- stop / destroy --------------------------------------------------------------------
    def _power_off(self, vms: Optional[Sequence[str]]) -> List[str]:
        """Hard power-off; when every VM is down, the networks go down too."""
        names = self.vm_names(vms)
        running = self._running([vm for vm in names if vm not in self.external(names)])
        parallel.each(running, lambda vm: virsh.destroy(self.uri, self.state.vms[vm].libvirt_name))
        self._stop_networks_if_idle()
        return running

    def _shut_down(self, vms: Optional[Sequence[str]], reboot: bool = False,
                   timeout: float = 60.0) -> List[str]:
        """Graceful: ACPI power button, then `poweroff` over ssh, then hard off at the timeout."""
        wanted = self.vm_names(vms)
        names = self._running([vm for vm in wanted if vm not in self.external(wanted)])

        def one(vm: str) -> None:
            lv = self.state.vms[vm].libvirt_name
            with step("%s %s", "Reboot" if reboot else "Shut down", vm):
                if reboot:
                    virsh.reboot(self.uri, lv)
                    return
                virsh.shutdown(self.uri, lv)
                if self._wait_off(lv, time.monotonic() + timeout / 2):
                    return
                LOG.info("%s ignored ACPI shutdown; trying poweroff over ssh", vm)
                from . import ssh
                ssh.run(self.vm(vm).direct_target(), ["poweroff"],
                        timeout=self.cfg.ssh_timeout)
                if not self._wait_off(lv, time.monotonic() + timeout / 2):
                    LOG.warning("%s did not power off within %g s; forcing it off", vm, timeout)
                    virsh.destroy(self.uri, lv)
        parallel.each(names, one)
        if not reboot:
            self._stop_networks_if_idle()
        return names

    def _wait_off(self, libvirt_name: str, deadline: float) -> bool:
        delay = 0.2
        while time.monotonic() < deadline:
            if virsh.domains(self.uri).get(libvirt_name) in (None, "shut off"):
                return True
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)
        return False

    def _running(self, names: Sequence[str]) -> List[str]:
        doms = virsh.domains(self.uri)
        return [vm for vm in names
                if doms.get(self.state.vms[vm].libvirt_name) not in (None, "shut off")]

    def _stop_networks_if_idle(self) -> None:
        if self._running(list(self.libvirt_vms())):
            return
        active = virsh.networks(self.uri)
        for net in self.state.nets.values():
            if active.get(net.libvirt_name):
                virsh.net_destroy(self.uri, net.libvirt_name)

    def _remove_libvirt_objects(self) -> None:
        """Destroy and undefine every domain and network of this env (by its uuid's names)."""
        uuid = state.read_uuid(self.files)
        if uuid is None:
            return
        mark = f"lago-{addressing.short_id(uuid)}-"
        doms = [n for n in virsh.domains(self.uri) if n.startswith(mark)]

        def remove(name: str) -> None:
            virsh.destroy(self.uri, name)
            virsh.undefine(self.uri, name)
        # A VM that will not go does not keep the networks and bridges: they go now, and the
        # VM's error is raised at the end (the prefix stays, so destroy can be run again).
        with step("Remove %d VM(s)", len(doms)):
            _, failed = parallel.settle(doms, remove)
        nets = [n for n in virsh.networks(self.uri) if n.startswith(mark)]
        with step("Remove %d network(s)", len(nets)):
            for name in nets:
                virsh.net_destroy(self.uri, name)
                virsh.net_undefine(self.uri, name)
        # Bridges lago made for bridge-type nets carry the env's mark too; libvirt removed
        # its own NAT/isolated bridges with their networks, so what is left is ours.
        for link in iproute.link_names():
            if link.startswith(addressing.bridge_prefix(uuid)):
                iproute.delete_link(link)
        if failed:
            raise next(iter(failed.values()))

    def _remove_all(self) -> None:
        # First say the prefix should not exist: if this run dies part way, the next init
        # or 'doctor --fix' finishes the job instead of trusting a half-removed env.
        unlink_if_present(self.files.initialized)
        self._remove_libvirt_objects()
        uuid = state.read_uuid(self.files)
        if uuid:
            leases.release(self.cfg.lease_dir, uuid)
        shutil.rmtree(self.files.root)

    # -- status ----------------------------------------------------------------------------
    def status(self) -> Dict[str, Any]:
        """The env as data (the schema of `status --json`, documented in the README)."""
        from .envstatus import describe
        return describe(self.uri, self.files, self.state,
                        {vm: d.distro for vm, d in self.env.domains.items()})


    def _destroy_env(self) -> str:
        """Remove everything of this env under its lock; returns the prefix name."""
        name = self.files.name
        with self.locked():
            self.open_log()  # if destroy dies part way, what it did is in the prefix's log
            with step("Destroy environment %s", name):
                self._remove_all()
        workdir.clear_current_if(self._ops()[1], name)
        return name
