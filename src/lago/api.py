"""The Python API: environments, VMs, networks and guest services as objects.

    import sys; sys.path.insert(0, "/path/to/lago.pyz")
    import lago

    env = lago.up("env.yaml", workdir="/var/tmp/work/.lago")
    vm = env.vm("web")
    assert vm.ssh(["hostname"]).stdout.strip() == "web"

An Env's verbs are its ``lago.Prefix``'s methods, the ones the command line calls; a VM's
ssh and copies are its ``lago.virt.VM``'s, as for ``lago.pyz ssh``. The objects hold only
names: every call reads the prefix's files and asks libvirt or the guest again, so what
the command line changes is seen by the next call, and the other way round. Errors are the
typed exceptions of ``lago.errors`` that the command line turns into exit codes.
"""
from __future__ import annotations

import dataclasses
import logging
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import config, services, workdir
from .errors import NotFound, UsageError
from .paths import WorkdirPaths
from .prefix import Prefix
from .state import State
from .vm import VM as ReferenceVM
from .vm import _Service

__all__ = ["load", "init", "up", "Env", "VM", "Network", "Service", "CommandResult"]


def _settings(workdir_: Optional[str], settings: Dict[str, Any]) -> config.Config:
    """The effective config as the command line builds it (files, LAGO_* variables), with
    ``settings`` (config keys, e.g. libvirt_url, lease_dir) in place of its options."""
    known = set(config.Config._fields)
    unknown = sorted(set(settings) - known)
    if unknown:
        raise UsageError(f"unknown setting(s): {', '.join(unknown)}",
                         hint=f"known: {', '.join(sorted(known))}")
    cfg, _ = config.load({**settings, "workdir": workdir_})
    _quiet_logging()
    return cfg


def _quiet_logging() -> None:
    """Unless the program set up the 'lago' logger itself: warnings on stderr (like -q), and
    everything at debug level into each env's logs/lago.log, as with the command line."""
    logger = logging.getLogger("lago")
    if not logger.handlers or all(isinstance(h, logging.FileHandler) for h in logger.handlers):
        from . import log
        log.setup(verbosity=-1)


def _prefix_name(prefix: Optional[str]) -> str:
    return prefix or os.environ.get("LAGO_PREFIX", "")


def load(workdir: Optional[str] = None, prefix: Optional[str] = None,
         **settings: Any) -> "Env":
    """An existing environment: ``prefix`` (default: the workdir's current one) in ``workdir``
    (default: the nearest ``.lago`` walking up from the current directory)."""
    cfg = _settings(workdir, settings)
    wd = _find(cfg)
    return Env(cfg, wd, _existing(wd, _prefix_name(prefix)))


def init(envfile: str, workdir: Optional[str] = None, prefix: Optional[str] = None,
         ssh_key: Optional[str] = None, skip_bootstrap: bool = False,
         **settings: Any) -> "Env":
    """Create the environment of ``envfile`` (prefix, keys, leases, disks); nothing runs.
    ``ssh_key``: a private key to use instead of a new key pair; ``skip_bootstrap``: use the
    images as they are (no sysprep or cloud-init)."""
    cfg = _settings(workdir, settings)
    wd = _find(cfg)
    name = Prefix.create(cfg, wd, _prefix_name(prefix), envfile, ssh_key=ssh_key,
                         skip_bootstrap=skip_bootstrap)
    return Env(cfg, wd, name)


def up(envfile: str, workdir: Optional[str] = None, prefix: Optional[str] = None,
       wait: bool = True, ssh_key: Optional[str] = None, skip_bootstrap: bool = False,
       **settings: Any) -> "Env":
    """``lago.pyz up``: create the environment if needed, start it, wait until every VM
    answers ssh (unless ``wait=False``); a new environment runs its deploy scripts."""
    cfg = _settings(workdir, settings)
    wd = _find(cfg)
    result = Prefix.up(cfg, wd, _prefix_name(prefix), envfile, no_wait=not wait,
                       ssh_key=ssh_key, skip_bootstrap=skip_bootstrap)
    return Env(cfg, wd, result["prefix"])


def _find(cfg: config.Config) -> WorkdirPaths:
    return workdir.find(cfg.workdir)


def _existing(wd: WorkdirPaths, prefix: str) -> str:
    # The name, not 'current': the object keeps meaning this env if current moves on.
    return workdir.existing(wd, prefix).name


@dataclasses.dataclass(frozen=True)
class CommandResult:
    """What a command in a guest gave: its exit code, stdout and stderr (text)."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def code(self) -> int:
        return self.returncode

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class Env:
    """One environment (prefix). Holds its config, workdir and name; nothing else."""

    def __init__(self, cfg: config.Config, wd: WorkdirPaths, name: str) -> None:
        self._cfg, self._wd, self.name = cfg, wd, name

    def __repr__(self) -> str:
        return f"<lago.Env {self.name} in {self._wd.root}>"

    def _prefix(self) -> Prefix:
        """The env's lago.Prefix, read afresh: every change goes through its methods."""
        return Prefix.of(self._cfg, self._wd, self.name)

    @property
    def path(self) -> str:
        return self._wd.prefix(self.name).root

    # -- the whole env ---------------------------------------------------------------------
    def status(self) -> Dict[str, Any]:
        """The data of ``lago.pyz status --json``."""
        return self._prefix().status()

    def start(self, vms: Optional[Sequence[str]] = None, wait: bool = True) -> Dict[str, Any]:
        """Networks, then the VMs (default: all) in parallel; wait for ssh unless told not."""
        return self._prefix().start(vms, no_wait=not wait)

    def stop(self, vms: Optional[Sequence[str]] = None) -> List[str]:
        """Hard power-off; returns the VMs that were running."""
        return self._prefix().stop(vms)

    def shutdown(self, vms: Optional[Sequence[str]] = None, reboot: bool = False,
                 timeout: float = 60.0) -> List[str]:
        return self._prefix().shutdown(vms, reboot, timeout)

    def snapshot(self, name: str) -> Dict[str, Any]:
        """Snapshot every VM at one consistent point (running ones are paused meanwhile)."""
        return self._prefix().create_snapshots(name)

    def revert(self, name: str) -> Dict[str, Any]:
        """Every VM back to the snapshot, in the run state it had then."""
        return self._prefix().revert_snapshots(name)

    def snapshots(self) -> List[Dict[str, Any]]:
        return list(self.status()["snapshots"])

    def collect(self, output: str, vms: Optional[List[str]] = None) -> Dict[str, Any]:
        """Each VM's ``artifacts`` into OUTPUT/VM/… (running VMs over ssh, stopped from disk)."""
        return self._prefix().collect(output, vms)

    def deploy(self, vms: Optional[List[str]] = None) -> Dict[str, Any]:
        return self._prefix().deploy(vms)

    def destroy(self) -> None:
        """Remove the VMs, networks, leases and the prefix; this object is of no use after."""
        self._prefix().destroy()

    # -- its parts -------------------------------------------------------------------------
    def vms(self) -> List["VM"]:
        return [VM(self, vm) for vm in self._prefix().state.vms]

    def vm(self, name: str) -> "VM":
        """A VM by name (or a unique suffix of it); NotFound if there is none."""
        return VM(self, self._prefix().resolve_vm(name))

    def nets(self) -> List["Network"]:
        return [Network(self, n) for n in self._prefix().state.nets]

    def net(self, name: str) -> "Network":
        if name not in self._prefix().state.nets:
            raise NotFound(f"no network '{name}' in environment '{self.name}'")
        return Network(self, name)


class VM:
    """One VM of an env, by name. Every attribute is read when asked for."""

    def __init__(self, env_: Env, name: str) -> None:
        self.env, self.name = env_, name

    def __repr__(self) -> str:
        return f"<lago.VM {self.name} of {self.env.name}>"

    def _vm(self) -> ReferenceVM:
        """This VM as lago.virt.VM, bound to its prefix as read now: the owner of its
        operations."""
        prefix = self.env._prefix()
        if self.name not in prefix.state.vms:
            raise NotFound(f"no VM '{self.name}' in environment '{self.env.name}'")
        return prefix.vm(self.name)

    @property
    def ip(self) -> str:
        """The address on its management net."""
        return str(self._vm().ip())

    @property
    def nics(self) -> List[Dict[str, str]]:
        """[{"dev", "net", "ip", "mac"}], in the order of the env file."""
        return [{k: n[k] for k in ("dev", "net", "ip", "mac")} for n in self._vm().nics()]

    @property
    def distro(self) -> Optional[str]:
        return self._vm().distro()

    @property
    def libvirt_name(self) -> str:
        return self._vm()._libvirt_name()

    # -- power -----------------------------------------------------------------------------
    def state(self) -> str:
        """libvirt's state ('running', 'shut off', 'paused', …) or 'undefined'; 'external'
        for a vm-provider ssh machine."""
        return self._vm().run_state()

    def alive(self) -> bool:
        """Running (a vm-provider ssh machine: answering ssh)."""
        vm = self._vm()
        now = vm.run_state()
        return vm.answers() if now == "external" else now == "running"

    def start(self, wait: bool = True) -> Dict[str, Any]:
        return self.env.start([self.name], wait=wait)

    def stop(self) -> List[str]:
        return self.env.stop([self.name])

    def shutdown(self, reboot: bool = False, timeout: float = 60.0) -> List[str]:
        return self.env.shutdown([self.name], reboot=reboot, timeout=timeout)

    # -- ssh -------------------------------------------------------------------------------
    def ssh(self, argv: Sequence[str], input: Optional[str] = None,
            timeout: Optional[float] = None) -> CommandResult:
        """Run argv in the VM (its words reach the guest unchanged); any exit code is
        returned, not raised. ``input`` is sent on stdin; past ``timeout`` s: lago.Timeout."""
        if isinstance(argv, (str, bytes)):
            raise TypeError("ssh() takes a list of words, e.g. ['sh', '-c', 'ls | wc -l']")
        res = self._vm().run([str(a) for a in argv], input=input, timeout=timeout)
        return CommandResult(res.returncode, res.stdout, res.stderr)

    def ssh_script(self, path: str, args: Sequence[str] = (),
                   timeout: Optional[float] = None) -> CommandResult:
        """Run a local script in the VM (its #! line counts) with ``args``."""
        res = self._vm().run_script(path, args, timeout=timeout)
        return CommandResult(res.returncode, res.stdout, res.stderr)

    def interactive_ssh(self) -> int:
        """A login shell in the VM on this terminal; returns its exit code."""
        return self._vm().login()

    def wait_for_ssh(self, timeout: Optional[float] = None) -> float:
        """Wait until the VM answers ssh with the env's key (and its ``wait_for`` command, if
        the env file gives one, succeeds); returns the seconds waited.
        lago.Timeout after ``timeout`` s (default: the boot_timeout setting)."""
        return self._vm().wait_ready(timeout)

    def copy_to(self, src: str, dst: str) -> str:
        """Copy a local file or directory into the VM; returns where it landed."""
        return str(self._vm().upload(src, dst)["dst"])

    def copy_from(self, src: str, dst: str) -> str:
        """Copy a file or directory out of the VM; returns where it landed."""
        return str(self._vm().download(src, dst)["dst"])

    def extract_paths(self, paths: Sequence[Tuple[str, str]]) -> List[str]:
        """Copy [(guest path, host path), …] out of the VM, running (over ssh) or stopped
        (from its disks, with libguestfs); returns the host paths written."""
        return self._vm().extract_paths(paths)

    # -- what the domain offers ------------------------------------------------------------
    def vnc_port(self) -> Optional[int]:
        """The TCP port of the VM's VNC display (on 127.0.0.1), None while it is not running."""
        return self._vm().vnc_port()

    def guest_agent(self) -> bool:
        """Is a QEMU guest agent answering in the VM (guest-ping)?"""
        return self._vm().agent_answers()

    def service(self, name: str, container: Optional[str] = None) -> "Service":
        """A service in the guest (systemd unit or SysV script; with ``container``, a
        systemd unit inside that podman/docker container on the guest)."""
        services.check_name(name)
        if container is not None:
            services.check_container(container)
        return Service(self, name, container)


class Service:
    """A service inside a VM; its manager is looked up in the guest on every call."""

    def __init__(self, vm: VM, name: str, container: Optional[str] = None) -> None:
        self.vm, self.name, self.container = vm, name, container

    def __repr__(self) -> str:
        return f"<lago.Service {self.name} on {self.vm.name}>"

    def _do(self, action: str) -> Dict[str, Any]:
        return _Service(self.vm._vm(), self.name, self.container).result(action)

    def state(self) -> str:
        """'missing', 'inactive' or 'active'."""
        return str(self._do("status")["state"])

    def manager(self) -> str:
        """'systemd', 'sysv', 'container' or 'none'."""
        return str(self._do("status")["manager"])

    def alive(self) -> bool:
        return self.state() == services.ACTIVE

    def start(self) -> str:
        """Start it; returns its state afterwards. lago.NotFound if the guest has no such
        service."""
        return str(self._do("start")["state"])

    def stop(self) -> str:
        return str(self._do("stop")["state"])


class Network:
    """One network of an env, by name."""

    def __init__(self, env_: Env, name: str) -> None:
        self.env, self.name = env_, name

    def __repr__(self) -> str:
        return f"<lago.Network {self.name} of {self.env.name}>"

    def _state(self) -> State:
        st = self.env._prefix().state
        if self.name not in st.nets:
            raise NotFound(f"no network '{self.name}' in environment '{self.env.name}'")
        return st

    @property
    def subnet(self) -> str:
        return self._state().nets[self.name].subnet

    @property
    def gw(self) -> str:
        return self._state().nets[self.name].gw

    @property
    def is_management(self) -> bool:
        """True if it is the management net (the one whose address is used) of a VM."""
        return any(v.management_net == self.name for v in self._state().vms.values())

    def resolve(self, vmname: str) -> str:
        """The address of VM ``vmname`` on this network; NotFound if it has no NIC here."""
        vms = self._state().vms
        if vmname not in vms:
            raise NotFound(f"no VM '{vmname}' in environment '{self.env.name}'")
        for nic in vms[vmname].nics:
            if nic.net == self.name:
                return str(nic.ip)
        raise NotFound(f"VM {vmname} has no NIC on network '{self.name}'")
