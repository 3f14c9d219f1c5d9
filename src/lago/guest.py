"""A VM's guest over ssh, the part of ``vm.VM`` that talks to it (the ``Guest`` mixin): its
ssh target with connection reuse, commands, scripts, a login shell, copies in and out, and
its deploy scripts. Each returns data; the verbs and both Python APIs call these.

Every ssh here shares one master connection per VM (ControlMaster, socket in the prefix's
ssh/ directory), so a series of commands pays the login once.
"""
from __future__ import annotations

import os
import posixpath
import shlex
import tempfile
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence

from . import events, runner, ssh, transfer
from .errors import CommandFailed, ExternalError, Timeout, UsageError
from .log import logger, step

if TYPE_CHECKING:
    from .prefix import Prefix

LOG = logger("lago")


class ScriptFailed(ExternalError):
    """A deploy script exited non-zero."""

    def __init__(self, vm: str, script: str, code: int) -> None:
        super().__init__(f"{vm}: deploy script {script} failed with exit code {code}",
                         hint="its output is in the env's logs/lago.log")
        self.vm, self.script, self.code = vm, script, code


class Guest:
    """Mixed into vm.VM, which gives it the VM's name and its prefix as loaded."""

    name: Callable[[], str]
    _prefix: Callable[[], "Prefix"]
    run_state: Callable[[], str]

    def direct_target(self) -> ssh.Target:
        """The VM's address, user and the env's key (no connection reuse)."""
        from . import session
        p, vm = self._prefix(), self.name()
        return session.direct_target(p.files, p.state, vm, p.env.domains[vm].ssh_user)

    def target(self) -> ssh.Target:
        """The VM's ssh target with connection reuse through the prefix's control directory;
        a master from an earlier boot of the VM is closed first (session.target; revert
        closes the masters itself)."""
        from . import session
        p, vm = self._prefix(), self.name()
        return session.target(p.files, p.state, p.uri, vm, p.env.domains[vm].ssh_user)

    def require_running(self) -> None:
        """UsageError unless the VM runs (a vm-provider ssh machine is reached or not at
        all)."""
        lv_state, vm = self.run_state(), self.name()
        if lv_state not in ("running", "external"):
            raise UsageError(f"VM {vm} is {lv_state}", hint=f"start it: lago.pyz start {vm}")

    def answers(self) -> bool:
        """Does the VM take the env's key over ssh (how a vm-provider ssh machine is
        alive)?"""
        return ssh.key_works(self.target(), timeout=self._prefix().cfg.ssh_timeout)

    def close_master(self) -> None:
        """Close the VM's master connection (the guest's side of it is gone, e.g. revert)."""
        control = self._prefix().files.ssh_control_dir
        if os.path.isdir(control):
            ssh.close_master(self.direct_target()._replace(control_dir=control))

    # -- commands ----------------------------------------------------------------------------
    def run(self, command: Sequence[str], input: Optional[str] = None,
            timeout: Optional[float] = None) -> runner.Result:
        """Run ``command`` (an argv) in the VM over the shared connection; any exit code is
        returned. A command still running at ``timeout`` seconds is a Timeout error."""
        try:
            return ssh.run(self.target(), command, input=input, timeout=timeout)
        except CommandFailed as exc:
            if exc.timed_out:
                raise Timeout(f"{self.name()}: {shlex.join(command)[:200]} did not finish "
                              f"within {timeout:g} s") from None
            raise

    def run_script(self, script: str, args: Sequence[str] = (),
                   timeout: Optional[float] = None) -> runner.Result:
        """Run a local script in the VM (its #! line counts) with ``args``; any exit code is
        returned."""
        if not os.path.isfile(script):
            raise UsageError(f"{script}: no such script")
        with open(script, encoding="utf-8", errors="surrogateescape") as fh:
            body = fh.read()
        return self.run(ssh.script_command(args), input=body, timeout=timeout)

    def login(self) -> int:
        """A login shell in the VM on this terminal; returns its exit code."""
        t = self.target()
        return runner.run_attached(ssh.command_argv(t, None, tty=True), cwd=t.control_dir)

    # -- copies ------------------------------------------------------------------------------
    def upload(self, src: str, dst: str) -> Dict[str, Any]:
        """Copy a local file or directory (recursively, modes kept) to ``dst`` in the VM:
        into ``dst`` if it is a directory there, else as ``dst``. {"vm", "src", "dst"}."""
        vm = self.name()
        if not os.path.lexists(src):
            raise UsageError(f"{src}: no such file or directory")
        t = self.target()
        dst = posixpath.normpath(dst)
        is_dir = ssh.run(t, ["test", "-d", dst],
                         timeout=self._prefix().cfg.ssh_timeout).returncode == 0
        if is_dir:
            into, name = dst, os.path.basename(os.path.normpath(src))
        else:
            into, name = posixpath.dirname(dst) or ".", posixpath.basename(dst)
        with tempfile.TemporaryDirectory(prefix="lago-copy-") as tmp:
            tar = os.path.join(tmp, "stream.tar")
            transfer.pack(src, name, tar)
            res = ssh.run_binary(t, ["tar", "-x", "-f", "-", "-C", into], stdin_path=tar)
        if res.returncode != 0:
            raise ExternalError(f"{vm}: copying {src} to {dst} failed (tar exit "
                                f"{res.returncode}): {_last(res.stderr)}")
        return {"vm": vm, "src": src, "dst": posixpath.join(into, name)}

    def download(self, src: str, dst: str) -> Dict[str, Any]:
        """Copy ``src`` (file or directory, recursively, modes kept) from the VM to local
        ``dst``: into ``dst`` if it is a directory, else as ``dst``. Nothing lands outside
        that place, whatever the guest sends. {"vm", "src", "dst"}."""
        vm = self.name()
        src = transfer.remote_path(src)
        t = self.target()

        def over_ssh(tar: str) -> None:
            res = ssh.run_binary(t, ["tar", "-c", "-f", "-", "-C",
                                     posixpath.dirname(src) or "/", posixpath.basename(src)],
                                 stdout_path=tar)
            if res.returncode != 0:
                raise ExternalError(f"{vm}: reading {src} failed (tar exit "
                                    f"{res.returncode}): {_last(res.stderr)}")
        return transfer.receive(vm, src, dst, over_ssh)

    # -- deploy ------------------------------------------------------------------------------
    def deploy_scripts(self) -> List[Dict[str, Any]]:
        """The VM's deploy-scripts, in order; the first failure stops the chain
        (ScriptFailed). [{"script", "exit", "seconds"}]."""
        prefix, vm = self._prefix(), self.name()
        with events.timed("deployed", vm):
            t = self.target()
            done = []
            scripts = prefix.env.domains[vm].metadata.get("deploy-scripts", [])
            for i, script in enumerate(scripts):
                copy = prefix.files.deploy_script(vm, i, script)
                with step("Deploy %s on %s", os.path.basename(script), vm):
                    t0 = time.monotonic()
                    # The prefix's copy (an env made before copies existed runs the original).
                    res = _script_logged(t, vm, copy if os.path.exists(copy) else script)
                    done.append({"script": script, "exit": res.returncode,
                                 "seconds": round(time.monotonic() - t0, 2)})
                    if res.returncode != 0:
                        raise ScriptFailed(vm, script, res.returncode)
            return done


def _script_logged(t: ssh.Target, vm: str, script: str) -> Any:
    """Run the script with its output (stdout and stderr) going to the env's log."""
    with tempfile.NamedTemporaryFile(prefix="lago-deploy-", suffix=".out") as out:
        res = ssh.run_binary(t, ssh.script_command(), stdin_path=script, stdout_path=out.name)
        with open(out.name, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    for line in (text + res.stderr).splitlines():
        LOG.debug("%s %s: %s", vm, os.path.basename(script), line)
    LOG.debug("%s %s: exit %d", vm, os.path.basename(script), res.returncode)
    return res


def _last(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else "no output"
