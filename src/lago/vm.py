"""Upstream Lago's ``lago.virt.VM`` and guest services (``ServiceState``, ``_Service``).

A VM holds its name and the spec it was made from (its state.json entry); everything else is
read from the prefix, libvirt or the guest when asked. Its guest's operations (ssh target with
connection reuse, commands, copies, deploy scripts) are the Guest mixin's (guest.py): the
verbs and both Python APIs call them there. Commands run over the OpenSSH client with the
env's key and shared master connection, as ``lago.pyz ssh`` runs them.
As upstream, ``ssh(command)`` joins the words with spaces and the guest's shell reads the
line: ``vm.ssh(["ls", "/tmp/*.log", "|", "wc", "-l"])`` is a pipeline.
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from . import virsh
from .guest import Guest
from .errors import NotFound, UsageError
from .fsutil import write_json
from .log import logger
from .utils import CommandStatus, SSHChannel, drain_ssh_channel, interactive_ssh_channel

if TYPE_CHECKING:
    from .prefix import Prefix
    from .virt import VirtEnv

LOG = logger("lago")


def _ip_to_mac(ip: str) -> str:
    """A NIC's MAC: 54:52 and the four bytes of its IPv4 address."""
    from .addressing import mac_for
    return mac_for(ip)


class ServiceState:
    MISSING = 0
    INACTIVE = 1
    ACTIVE = 2


_STATES = {"missing": ServiceState.MISSING, "inactive": ServiceState.INACTIVE,
           "active": ServiceState.ACTIVE}


class _Service:
    """A service in a running VM: systemd unit or SysV script, whichever manager the guest
    has (asked on every call, as the ``service`` verb does)."""

    def __init__(self, vm: "VM", name: str, container: Optional[str] = None) -> None:
        self._vm = vm
        self._name = name
        self._container = container  # a systemd unit inside this podman/docker container

    def __repr__(self) -> str:
        return f"<lago service {self._name} on {self._vm.name()}>"

    def result(self, action: str = "status") -> Dict[str, Any]:
        """The ``service`` verb's answer: {"vm", "service", "manager", "state"}, the state
        ("missing", "inactive", "active") after ``action`` (status, start or stop)."""
        out: Dict[str, Any] = self._vm._owner().service(self._vm.name(), self._name, action,
                                                         self._container)
        return out

    def _do(self, action: str) -> int:
        return _STATES[self.result(action)["state"]]

    @classmethod
    def is_supported(cls, vm: "VM") -> bool:
        return True  # the manager is found per call; a guest without one has none 'missing'

    def state(self) -> int:
        """ServiceState.MISSING, INACTIVE or ACTIVE."""
        return self._do("status")

    def exists(self) -> bool:
        return self.state() != ServiceState.MISSING

    def alive(self) -> bool:
        return self.state() == ServiceState.ACTIVE

    def start(self) -> None:
        """Start it (NotFound if the guest has no such service)."""
        self._do("start")

    def stop(self) -> None:
        self._do("stop")


class VM(Guest):
    """One VM of an env: name, cpus, memory, disks, metadata, NICs."""

    def __init__(self, env: "VirtEnv", spec: Dict[str, Any]) -> None:
        self._env = env
        self._spec = spec
        self._bound: Optional["Prefix"] = None

    @classmethod
    def of(cls, prefix: "Prefix", name: str) -> "VM":
        """VM ``name`` of ``prefix`` as that is loaded (the verbs and steps hold a fresh one):
        no second read of the saved state."""
        vm = cls(None, {**prefix.state.vms[name].to_dict(), "name": name})  # type: ignore
        vm._bound = prefix
        return vm

    def __repr__(self) -> str:
        return f"<lago.virt.VM {self.name()}>"

    # -- facts -----------------------------------------------------------------------------
    def _here(self) -> "VM":
        """This VM bound to its prefix as read now: the guest operations of one call read
        the saved state once."""
        return self if self._bound is not None else VM.of(self._prefix(), self.name())

    def virt_env(self) -> "VirtEnv":
        if self._env is None and self._bound is not None:
            self._env = self._bound.virt_env
        return self._env

    def name(self) -> str:
        return str(self._spec["name"])

    def ip(self) -> str:
        """The address on its management network."""
        return str(self._spec["ip"])

    def nics(self) -> List[Dict[str, str]]:
        """[{"net", "ip", "mac", "dev"}] in the order of the env file."""
        return [dict(n) for n in self._spec["nics"]]

    def nets(self) -> List[str]:
        return [n["net"] for n in self._spec["nics"]]

    def _prefix(self) -> "Prefix":
        if self._bound is not None:
            return self._bound
        p = self._env.prefix._loaded()
        if self.name() not in p.state.vms:
            raise NotFound(f"no VM '{self.name()}' in {self._env.prefix.paths.prefix()}")
        return p

    def _domain(self) -> Any:
        return self._prefix().env.domains[self.name()]

    def distro(self) -> Optional[str]:
        return self._domain().distro

    def root_password(self) -> Optional[str]:
        return self._domain().root_password

    @property
    def metadata(self) -> Dict[str, Any]:
        return dict(self._domain().metadata)

    def iscsi_name(self) -> str:
        """The iSCSI initiator name provisioning gave the guest."""
        from .addressing import short_id
        from .provision import IQN_BASE
        return f"{IQN_BASE}:{short_id(self._prefix().state.uuid)}:{self.name()}"

    def _libvirt_name(self) -> str:
        return str(self._spec["libvirt_name"])

    def _owner(self) -> "Prefix":
        """The prefix this VM was opened from (its verbs read it afresh)."""
        return self._bound or self._env.prefix

    def _uri(self) -> str:
        return str(self._owner().cfg.libvirt_url)

    def alive(self) -> bool:
        return virsh.domains(self._uri()).get(self._libvirt_name()) == "running"

    def run_state(self) -> str:
        """libvirt's state of the domain ('running', 'shut off', 'paused', …) or
        'undefined'; 'external' for a vm-provider ssh machine."""
        if self._spec.get("libvirt_name") is None:
            return "external"
        return virsh.domains(self._uri()).get(self._libvirt_name(), "undefined")

    def agent_answers(self) -> bool:
        """Does a QEMU guest agent answer in the VM (guest-ping)?"""
        return virsh.agent_answers(self._uri(), self._libvirt_name())

    def vnc_port(self) -> Optional[int]:
        """The VNC display's TCP port (on 127.0.0.1); None while the VM is off."""
        xml = virsh.dumpxml(self._uri(), self._libvirt_name())
        return virsh.parse_vnc_port(xml) if xml else None

    # -- power and disks ---------------------------------------------------------------------
    def start(self) -> None:
        self._env.start([self.name()])

    def stop(self) -> None:
        self._env.stop([self.name()])

    def bootstrap(self) -> None:
        """Provision the (stopped) VM's boot disk as init did (``provision: sysprep``)."""
        from . import provision
        p = self._prefix()
        if p.env.domains[self.name()].provision != "sysprep":
            return
        if self.alive():
            raise UsageError(f"VM {self.name()} is running", hint="stop it first")
        with p.transaction():
            provision.sysprep_vm(p.files, p.env, p.state.uuid, p.state, self.name(),
                                 p.state.vms[self.name()].disks[0].to_dict(),
                                 p.state.domain_type)

    def create_snapshot(self, name: str) -> None:
        """A snapshot ``name`` of this VM alone (disks, and memory while it runs)."""
        from .snapshots import validate_name
        validate_name(name)
        with self._prefix().transaction():
            virsh.snapshot_create(self._uri(), self._libvirt_name(), name)

    def revert_snapshot(self, name: str) -> None:
        """This VM back to its snapshot ``name`` (made by create_snapshot or
        Prefix.create_snapshots), in the run state it had then."""
        p = self._prefix()
        if name not in virsh.snapshot_names(self._uri(), self._libvirt_name()):
            raise NotFound(f"VM {self.name()} has no snapshot '{name}'")
        with p.transaction() as undo:
            p._ensure_networks(undo)
            virsh.snapshot_revert(self._uri(), self._libvirt_name(), name)
            # The guest no longer knows the ssh connections made after the snapshot.
            p._close_masters()

    def save(self, path: Optional[str] = None) -> None:
        """Write this VM's spec as JSON to ``path`` (default: the prefix's virt/vm-NAME)."""
        import os
        path = path or self._env.virt_path(f"vm-{self.name()}")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        write_json(path, self._spec)

    # -- in the guest --------------------------------------------------------------------------
    def _channel(self) -> SSHChannel:
        vm = self._here()
        vm.require_running()
        return SSHChannel(vm.target())

    def ssh(self, command: Sequence[str], data: Optional[str] = None,
            show_output: bool = True) -> CommandStatus:
        """Run ``command`` (words joined into one shell line) in the VM; ``data`` on its
        stdin. (code, out, err); the output is also shown on this process's stdout/stderr
        unless ``show_output`` is false."""
        if isinstance(command, (str, bytes)):
            command = [command if isinstance(command, str) else command.decode()]
        chan = self._channel()
        chan.exec_command(" ".join(str(c) for c in command))
        if data is not None:
            chan.send(data)
        streams = {"stdout": sys.stdout, "stderr": sys.stderr} if show_output else \
            {"stdout": None, "stderr": None}
        res = drain_ssh_channel(chan, **streams)
        LOG.debug("%s: %s: exit %d", self.name(), chan.command, res.code)
        return res

    def ssh_script(self, path: str, show_output: bool = True) -> CommandStatus:
        """Run the local script ``path`` in the VM (its #! line counts)."""
        res = self._here().run_script(path)
        if show_output:
            sys.stdout.write(res.stdout)
            sys.stderr.write(res.stderr)
        return CommandStatus(res.returncode, res.stdout, res.stderr)

    def interactive_ssh(self, command: Optional[Sequence[str]] = None) -> CommandStatus:
        """``command`` (or a login shell) on this terminal; its exit code in a CommandStatus
        (the output went to the terminal)."""
        line = " ".join(command) if command else None
        return CommandStatus(interactive_ssh_channel(self._channel(), line), "", "")

    def wait_for_ssh(self, connect_retries: int = 50) -> None:
        """Wait until the VM answers ssh with the env's key (and its wait_for command
        succeeds), for about ``connect_retries`` seconds; lago.Timeout after that."""
        self._here().wait_ready(float(max(connect_retries, 1)))

    def wait_ready(self, timeout: Optional[float] = None) -> float:
        """Wait until the running VM answers ssh with the env's key (and its ``wait_for``
        command, if the env file gives one, succeeds); the seconds waited. lago.Timeout
        after ``timeout`` s (default: the boot_timeout setting)."""
        from . import readiness
        self.require_running()
        p = self._prefix()
        if timeout is not None:
            p.cfg = p.cfg._replace(boot_timeout=float(timeout))
        return float(readiness.wait_ready(p, [self.name()])[self.name()])

    def copy_to(self, local_path: str, remote_path: str) -> None:
        """A local file or directory (recursively) into the VM."""
        self._here().upload(local_path, remote_path)

    def copy_from(self, remote_path: str, local_path: str) -> None:
        """A file or directory (recursively) out of the VM."""
        self._here().download(remote_path, local_path)

    def extract_paths(self, paths: Sequence[Tuple[str, str]]) -> List[str]:
        """[(guest path, host path)] out of the VM: over ssh while it runs, from its disks
        (libguestfs) while it is off; returns the host paths written."""
        from .collect import extract_paths
        return [r["dst"] for r in extract_paths(self._prefix(), self.name(), list(paths))]

    def service(self, name: str, container: Optional[str] = None) -> _Service:
        """A service in the guest (systemd unit or SysV script; with ``container``, a systemd
        unit inside that podman/docker container on the guest)."""
        from .services import check_container, check_name
        check_name(name)
        if container is not None:
            check_container(container)
        self._here().require_running()
        return _Service(self, name, container)

    def guest_agent(self) -> _Service:
        """The guest's QEMU guest agent service (qemu-ga or qemu-guest-agent)."""
        for name in ("qemu-ga", "qemu-guest-agent"):
            svc = self.service(name)
            if svc.exists():
                return svc
        raise NotFound(f"VM {self.name()} has no guest agent service (qemu-ga)")
