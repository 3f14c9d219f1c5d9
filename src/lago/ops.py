"""The operations behind the verbs, shared by the command line and the Python API.

Each takes the effective config, the workdir and a prefix name, composes the orchestrator's
steps (env.py) with the day-2 modules under the prefix lock, and returns data; nothing here
prints. The prefix is loaded afresh on every call, so a caller never works from stale state.
The steps only some verbs need are imported by those (ssh and copy start without them).
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import day2, env, virsh
from .config import Config
from .errors import ExternalError, LagoError, NotFound, UsageError
from .paths import WorkdirPaths


def start(cfg: Config, wd: WorkdirPaths, prefix: str, vms: Optional[Sequence[str]] = None,
          no_wait: bool = False) -> Dict[str, Any]:
    """Networks, then the VMs in parallel; wait for ssh. {"started": [...], "ready": {vm: s}}."""
    from . import readiness

    def action(p: env.Prefix, undo: env.Undo) -> Dict[str, Any]:
        started = p.start(vms, undo)
        ready = {} if no_wait else readiness.wait_ready(p, p.vm_names(vms))
        return {"started": started, "ready": ready}
    result: Dict[str, Any] = env.change(cfg, wd, prefix, action)
    return result


def stop(cfg: Config, wd: WorkdirPaths, prefix: str,
         vms: Optional[Sequence[str]] = None) -> List[str]:
    stopped: List[str] = env.change(cfg, wd, prefix, lambda p, undo: p.stop(vms))
    return stopped


def shutdown(cfg: Config, wd: WorkdirPaths, prefix: str, vms: Optional[Sequence[str]] = None,
             reboot: bool = False, timeout: float = 60.0) -> List[str]:
    done: List[str] = env.change(cfg, wd, prefix,
                                 lambda p, undo: p.shutdown(vms, reboot, timeout))
    return done


def snapshot(cfg: Config, wd: WorkdirPaths, prefix: str, name: str) -> Dict[str, Any]:
    from . import snapshots
    result: Dict[str, Any] = env.change(cfg, wd, prefix,
                                        lambda p, undo: snapshots.create(p, name))
    return result


def revert(cfg: Config, wd: WorkdirPaths, prefix: str, name: str) -> Dict[str, Any]:
    from . import snapshots
    result: Dict[str, Any] = env.change(cfg, wd, prefix,
                                        lambda p, undo: snapshots.revert(p, name, undo))
    return result


def collect(cfg: Config, wd: WorkdirPaths, prefix: str, output: str,
            vms: Optional[List[str]] = None) -> Dict[str, Any]:
    from .collect import collect as collect_into
    result: Dict[str, Any] = env.change(cfg, wd, prefix,
                                        lambda p, undo: collect_into(p, output, vms))
    return result


def deploy(cfg: Config, wd: WorkdirPaths, prefix: str,
           vms: Optional[List[str]] = None) -> Dict[str, Any]:
    result: Dict[str, Any] = env.change(cfg, wd, prefix, lambda p, undo: day2.deploy(p, vms))
    return result


def destroy(cfg: Config, wd: WorkdirPaths, prefix: str) -> str:
    """Close the ssh master connections (they would outlive the env by a minute), then
    remove everything of the env. Returns the prefix name."""
    try:
        day2.close_masters(env.load(cfg, wd, prefix))
    except (LagoError, OSError):
        pass  # best effort: a half-made prefix has none
    return env.destroy(cfg, wd, prefix)


def copy_to(cfg: Config, wd: WorkdirPaths, prefix: str, vm: str, src: str,
            dst: str) -> Dict[str, Any]:
    """Copy a host file or directory into a VM (over ssh); {"src", "dst", ...}."""
    p = env.load(cfg, wd, prefix)
    result: Dict[str, Any] = day2.copy_to(p, p.resolve_vm(vm), src, dst)
    return result


def copy_from(cfg: Config, wd: WorkdirPaths, prefix: str, vm: str, src: str,
              dst: str) -> Dict[str, Any]:
    """Copy a file or directory out of a VM (over ssh); {"src", "dst", ...}."""
    p = env.load(cfg, wd, prefix)
    result: Dict[str, Any] = day2.copy_from(p, p.resolve_vm(vm), src, dst)
    return result


def ssh_session(cfg: Config, wd: WorkdirPaths, prefix: str, vm: str, command: List[str],
                script: Optional[str] = None, tty: bool = False) -> Tuple[List[str], str]:
    """(ssh argv, the directory to run it in) for a shell, a command or a local script (fed
    on stdin) in a VM, through its reused master connection."""
    from . import ssh
    p = env.load(cfg, wd, prefix)
    target = day2.target(p, p.resolve_vm(vm))
    if script:
        if not os.path.isfile(script):
            raise UsageError(f"{script}: no such script")
        command = ssh.script_command(command)
    # The ControlPath is relative to the control directory: ssh runs there.
    return ssh.command_argv(target, command or None, tty=tty), str(target.control_dir)


def console_argv(cfg: Config, wd: WorkdirPaths, prefix: str, vm: str) -> Tuple[str, List[str]]:
    """(the VM's name, the argv that attaches to its serial console); UsageError unless it
    is a running libvirt domain."""
    p = env.load(cfg, wd, prefix)
    vm = p.resolve_vm(vm)
    lv = p.state.vms[vm].libvirt_name
    if lv is None:
        raise UsageError(f"{vm} is an existing machine (vm-provider ssh): it has no console "
                         "here", hint=f"lago.pyz ssh {vm}")
    if virsh.domains(p.uri).get(lv) != "running":
        raise UsageError(f"VM {vm} is not running", hint="start it: lago.pyz start " + vm)
    return vm, virsh.console_argv(p.uri, lv)


def service(cfg: Config, wd: WorkdirPaths, prefix: str, vm: str, name: str,
            action: str = "status", container: Optional[str] = None) -> Dict[str, Any]:
    """Ask for (or start, or stop) a service in a running VM. The guest's service manager is
    looked up on every call. Returns {"vm", "service", "manager", "state"} with the state
    after the action: "missing", "inactive" or "active"."""
    from . import services
    if action not in services.ACTIONS:
        raise UsageError(f"service action must be one of {', '.join(services.ACTIONS)}")
    p = env.load(cfg, wd, prefix)
    vm = p.resolve_vm(vm)
    require_running(p, vm)
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


def require_running(p: env.Prefix, vm: str) -> None:
    if p.state.vms[vm].external:
        return  # an existing machine: reached over ssh or not at all
    lv_state = virsh.domains(p.uri).get(str(p.state.vms[vm].libvirt_name), "undefined")
    if lv_state != "running":
        raise UsageError(f"VM {vm} is {lv_state}", hint=f"start it: lago.pyz start {vm}")


def _guest(p: env.Prefix, vm: str, argv: List[str], what: str) -> Any:
    res = day2.run(p, vm, argv, timeout=p.cfg.ssh_timeout)
    if res.returncode == 255:  # ssh's own failure, not the command's
        raise ExternalError(f"{vm}: ssh failed while {what}: "
                            f"{res.stderr.strip()[-200:] or 'no output'}")
    return res
