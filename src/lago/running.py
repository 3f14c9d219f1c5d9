"""An env that exists, run through its ``lago.Prefix``: the verbs of the command line and of
both Python APIs (start, stop, shutdown, snapshots, collect, deploy, destroy, a guest's
services, copies, ssh and console sessions) are these methods, mixed into Prefix.

Each loads the prefix afresh (a caller never works from stale state), composes the
orchestrator's steps (env.py) with the day-2 modules under the prefix lock, and returns data;
nothing here prints. The steps only some verbs need are imported by those, so ssh and copy
start without them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import parallel, state, virsh
from .errors import ExternalError, LagoError, NotFound, UsageError
from .fsutil import unlink_if_present
from .paths import EXPORT_ENV_FILE
from .undo import Undo

if TYPE_CHECKING:
    from .prefix import Prefix


class Running:
    """The operations on an existing env, mixed into Prefix: each works on a fresh copy of
    the prefix (Lifecycle's ``_engine``), under its lock (``_change``)."""

    # Prefix provides _engine, _change (env.Lifecycle), _fresh and _release_subnets.
    _virt_env: Any
    _engine: Callable[[], "Prefix"]
    _fresh: Callable[[], "Prefix"]
    _change: Callable[[Callable[["Prefix", Undo], Any]], Any]
    _release_subnets: Callable[[str], None]

    def start(self, vm_names: Optional[Sequence[str]] = None,
              no_wait: bool = False) -> Dict[str, Any]:
        """Networks, then the VMs (all, or ``vm_names``) in parallel; wait until each answers
        ssh with the env's key. {"started": [...], "ready": {vm: s}}."""
        from . import readiness

        def action(p: "Prefix", undo: Undo) -> Dict[str, Any]:
            started = p._start_vms(vm_names, undo)
            ready = {} if no_wait else readiness.wait_ready(p, p.vm_names(vm_names))
            return {"started": started, "ready": ready}
        result: Dict[str, Any] = self._change(action)
        return result

    def stop(self, vm_names: Optional[Sequence[str]] = None) -> List[str]:
        """Power the VMs (all, or ``vm_names``) off; the networks go down with the last.
        Returns the VMs that were running."""
        stopped: List[str] = self._change(lambda p, undo: p._power_off(vm_names))
        return stopped

    def shutdown(self, vm_names: Optional[Sequence[str]] = None, reboot: bool = False,
                 timeout: float = 60.0) -> List[str]:
        """Graceful power-off (or reboot) of the VMs; hard off at ``timeout``."""
        done: List[str] = self._change(
            lambda p, undo: p._shut_down(vm_names, reboot, timeout))
        return done

    def create_snapshots(self, name: str) -> Dict[str, Any]:
        """One snapshot ``name`` of every VM, at one consistent point."""
        from . import snapshots
        result: Dict[str, Any] = self._change(lambda p, undo: snapshots.create(p, name))
        return result

    def revert_snapshots(self, name: str) -> Dict[str, Any]:
        """Every VM back to snapshot ``name``, in the run state it had then."""
        from . import snapshots
        result: Dict[str, Any] = self._change(lambda p, undo: snapshots.revert(p, name, undo))
        return result

    def list_snapshots(self) -> List[Dict[str, Any]]:
        """[{"name", "created", "vms": {vm: state at the snapshot}}] oldest first."""
        from . import snapshots
        return snapshots.listing(self._engine())

    def delete_snapshot(self, name: str) -> Dict[str, Any]:
        """Remove snapshot ``name`` from every VM."""
        from . import snapshots
        result: Dict[str, Any] = self._change(lambda p, undo: snapshots.delete(p, name))
        return result

    def remove_libvirt_objects(self) -> None:
        """Every VM and network of the env out of libvirt; the prefix stays ('start' brings
        them back)."""
        self._change(lambda p, undo: p._remove_libvirt_objects())

    def collect(self, output: str, vms: Optional[List[str]] = None) -> Dict[str, Any]:
        """Each VM's ``artifacts`` into OUTPUT/VM/… (running VMs over ssh, stopped from disk)."""
        from .collect import collect as collect_into
        result: Dict[str, Any] = self._change(lambda p, undo: collect_into(p, output, vms))
        return result

    def deploy(self, vms: Optional[List[str]] = None) -> Dict[str, Any]:
        """Run the VMs' deploy scripts."""
        result: Dict[str, Any] = self._change(lambda p, undo: p._deploy(vms))
        return result

    def _deploy(self: "Prefix", vms: Optional[List[str]] = None) -> Dict[str, Any]:
        """Each VM's deploy-scripts (vm.VM.deploy_scripts), VMs in parallel. Returns {vm:
        [{"script", "exit", "seconds"}]}; raises ScriptFailed for the first failing VM (in
        env order) after every VM has finished."""
        names = self.vm_names(vms)
        with_scripts = [vm for vm in names
                        if self.env.domains[vm].metadata.get("deploy-scripts", [])]
        results, errors = parallel.settle(with_scripts,
                                          lambda vm: self.vm(vm).deploy_scripts())
        if errors:
            raise next(iter(errors.values()))
        return {vm: results.get(vm, []) for vm in names}

    def destroy(self) -> str:
        """Close the ssh master connections (they would outlive the env by a minute), then
        remove everything of the env. Returns the prefix name."""
        try:
            self._engine()._close_masters()
        except (LagoError, OSError):
            pass  # best effort: a half-made prefix has none
        return self._engine()._destroy_env()

    def export(self, output: str, standalone: bool = False, bundle: bool = False,
               vms: Optional[List[str]] = None, compress: bool = False,
               env_name: Optional[str] = None) -> Dict[str, Any]:
        """The stopped VMs' disks and an env file init accepts, into ``output`` (see
        export.export); {"env_file", "disks": {file: sha256}, "standalone", "bundle"}."""
        from . import export as export_mod
        name = EXPORT_ENV_FILE if env_name is None else env_name
        result: Dict[str, Any] = self._change(lambda p, undo: export_mod.export(
            p, output, standalone, bundle, vms=vms, compress=compress, env_name=name))
        return result

    def inventory_facts(self) -> Dict[str, Any]:
        """What the ansible inventory, ssh_config and hosts lines are made of (inventory.py)."""
        from . import inventory
        return inventory.facts(self._engine())

    def cleanup(self) -> None:
        """Stop everything of the env, remove its VMs, networks and bridges from the host,
        release its subnets and mark the prefix uninitialized; its files stay (remove the
        directory afterwards, or run ``lago.pyz doctor --fix``)."""
        p = self._fresh()
        with p.transaction():
            # First say the prefix holds no env: a cleanup killed part way is then seen as
            # abandoned (by doctor), not trusted.
            unlink_if_present(p.files.initialized)
            try:
                p._close_masters()
            except (LagoError, OSError):
                pass  # best effort: a half-made prefix has none
            p._remove_libvirt_objects()
            uuid = state.read_uuid(p.files)
            if uuid:
                self._release_subnets(uuid)
        self._virt_env = None


    # -- a VM's guest ------------------------------------------------------------------------
    def copy_to(self, vm: str, src: str, dst: str) -> Dict[str, Any]:
        """Copy a host file or directory into a VM (over ssh); {"src", "dst", ...}."""
        p = self._engine()
        result: Dict[str, Any] = p.vm(p.resolve_vm(vm)).upload(src, dst)
        return result

    def copy_from(self, vm: str, src: str, dst: str) -> Dict[str, Any]:
        """Copy a file or directory out of a VM (over ssh); {"src", "dst", ...}."""
        p = self._engine()
        result: Dict[str, Any] = p.vm(p.resolve_vm(vm)).download(src, dst)
        return result

    def ssh_session(self, vm: str, command: List[str], script: Optional[str] = None,
                    tty: bool = False) -> Tuple[List[str], str]:
        """(ssh argv, the directory to run it in) for a shell, a command or a local script
        (fed on stdin) in a VM, through its reused master connection."""
        from . import session
        p = self._engine()
        return session.session_argv(p.vm(p.resolve_vm(vm)).target(), command, script, tty)

    def console_argv(self, vm: str) -> Tuple[str, List[str]]:
        """(the VM's name, the argv that attaches to its serial console); UsageError unless
        it is a running libvirt domain."""
        p = self._engine()
        vm = p.resolve_vm(vm)
        lv = p.state.vms[vm].libvirt_name
        if lv is None:
            raise UsageError(f"{vm} is an existing machine (vm-provider ssh): it has no "
                             "console here", hint=f"lago.pyz ssh {vm}")
        if virsh.domains(p.uri).get(lv) != "running":
            raise UsageError(f"VM {vm} is not running", hint="start it: lago.pyz start " + vm)
        return vm, virsh.console_argv(p.uri, lv)

    def console_wait(self, vm: str, text: str, timeout: float) -> Dict[str, Any]:
        """Attach to the VM's serial console until ``text`` shows on it (Timeout after
        ``timeout`` s); {"vm", "text", "seconds"}."""
        from . import console
        vm, argv = self.console_argv(vm)
        return {"vm": vm, "text": text, "seconds": console.wait_for(argv, text, timeout, vm)}

    def service(self, vm: str, name: str, action: str = "status",
                container: Optional[str] = None) -> Dict[str, Any]:
        """Ask for (or start, or stop) a service in a running VM. The guest's service manager
        is looked up on every call. Returns {"vm", "service", "manager", "state"} with the
        state after the action: "missing", "inactive" or "active"."""
        from . import services
        if action not in services.ACTIONS:
            raise UsageError(f"service action must be one of {', '.join(services.ACTIONS)}")
        p = self._engine()
        vm = p.resolve_vm(vm)
        p.vm(vm).require_running()
        probe = _guest(p, vm, services.probe_argv(name), "looking for its service manager")
        facts = services.parse_probe(probe.stdout)
        kind = services.manager(facts, container)

        def state() -> str:
            if kind == "none":
                return services.MISSING
            res = _guest(p, vm, services.status_argv(kind, name, facts, container),
                         f"asking for service {name}")
            return services.parse_status(kind, res.returncode, res.stdout, facts)
        now = state()
        if action != "status":
            if now == services.MISSING:
                raise NotFound(f"{vm}: no service '{name}' "
                               f"({'no systemd or SysV init' if kind == 'none' else kind})")
            res = _guest(p, vm, services.action_argv(kind, action, name, facts, container),
                         f"{action} {name}")
            if res.returncode != 0:
                detail = (res.stderr or res.stdout).strip().splitlines()
                raise ExternalError(f"{vm}: {action} {name} failed (exit {res.returncode}): "
                                    f"{detail[-1] if detail else 'no output'}")
            now = state()
        return {"vm": vm, "service": name, "manager": kind, "state": now}


def _guest(p: "Prefix", vm: str, argv: List[str], what: str) -> Any:
    res = p.vm(vm).run(argv, timeout=p.cfg.ssh_timeout)
    if res.returncode == 255:  # ssh's own failure, not the command's
        raise ExternalError(f"{vm}: ssh failed while {what}: "
                            f"{res.stderr.strip()[-200:] or 'no output'}")
    return res
