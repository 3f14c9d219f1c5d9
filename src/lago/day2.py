"""Day-2 work on a running env over ssh: copy files in and out, run deploy scripts.

Every ssh here shares one master connection per VM (ControlMaster, socket in the prefix's
ssh/ directory), so a series of commands pays the login once.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import posixpath
import shlex
import shutil
import tempfile
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence

from . import events, parallel, runner, ssh, transfer, virsh
from .errors import CommandFailed, ExternalError, Timeout, UsageError
from .fsutil import write_atomic
from .log import step

if TYPE_CHECKING:
    from .prefix import Prefix

LOG = logging.getLogger("lago")


def target(prefix: Prefix, vm: str) -> ssh.Target:
    """The VM's ssh target with connection reuse through the prefix's control directory.

    A master connection outlives the guest it talks to when the VM is stopped and started
    again (no FIN ever arrives), and the next command through it would fail. So the domain's
    id, new on every start, is kept beside the socket, and a master from an earlier boot is
    closed first. (revert closes the masters itself: the domain id survives a revert.)"""
    control = prefix.files.ssh_control_dir
    os.makedirs(control, mode=0o700, exist_ok=True)
    t = dataclasses.replace(prefix.ssh_target(vm), control_dir=control)
    if prefix.state.vms[vm].external:
        return t  # an existing machine: no libvirt domain, no boots of lago's to tell apart
    boot = virsh.domid(prefix.uri, str(prefix.state.vms[vm].libvirt_name))
    stamp = os.path.join(control, f"{vm}.boot")
    try:
        with open(stamp, encoding="utf-8") as fh:
            seen = fh.read().strip()
    except FileNotFoundError:
        seen = None
    if seen != boot:
        if seen is not None:
            ssh.close_master(t)
        write_atomic(stamp, boot + "\n", mode=0o600)
    return t


def require_running(prefix: Prefix, vm: str) -> None:
    """UsageError unless the VM runs (a vm-provider ssh machine is reached or not at all)."""
    if prefix.state.vms[vm].external:
        return
    lv_state = virsh.domains(prefix.uri).get(str(prefix.state.vms[vm].libvirt_name), "undefined")
    if lv_state != "running":
        raise UsageError(f"VM {vm} is {lv_state}", hint=f"start it: lago.pyz start {vm}")


def close_masters(prefix: Prefix) -> None:
    """Close every VM's master connection (the guests' side of them is gone, e.g. revert)."""
    for vm in prefix.state.vms:
        control = prefix.files.ssh_control_dir
        if os.path.isdir(control):
            ssh.close_master(dataclasses.replace(prefix.ssh_target(vm), control_dir=control))


def remote_path(path: str) -> str:
    norm = posixpath.normpath(path)
    if norm in ("/", "."):
        raise UsageError(f"'{path}' names no file or directory to copy")
    return norm


def copy_to(prefix: Prefix, vm: str, src: str, dst: str) -> Dict[str, Any]:
    """Copy a local file or directory (recursively, modes kept) to ``dst`` in the VM: into
    ``dst`` if it is a directory there, else as ``dst``."""
    if not os.path.lexists(src):
        raise UsageError(f"{src}: no such file or directory")
    t = target(prefix, vm)
    dst = posixpath.normpath(dst)
    is_dir = ssh.run(t, ["test", "-d", dst], timeout=prefix.cfg.ssh_timeout).returncode == 0
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


def copy_from(prefix: Prefix, vm: str, src: str, dst: str) -> Dict[str, Any]:
    """Copy ``src`` (file or directory, recursively, modes kept) from the VM to local ``dst``:
    into ``dst`` if it is a directory, else as ``dst``. Nothing lands outside that place,
    whatever the guest sends."""
    src = remote_path(src)
    t = target(prefix, vm)

    def over_ssh(tar: str) -> None:
        res = ssh.run_binary(t, ["tar", "-c", "-f", "-", "-C", posixpath.dirname(src) or "/",
                                 posixpath.basename(src)], stdout_path=tar)
        if res.returncode != 0:
            raise ExternalError(f"{vm}: reading {src} failed (tar exit {res.returncode}): "
                                f"{_last(res.stderr)}")
    return receive(vm, src, dst, over_ssh)


def receive(vm: str, src: str, dst: str, fill: Callable[[str], None]) -> Dict[str, Any]:
    """Place guest path ``src`` at local ``dst`` (into it if it is a directory, else as it)
    from a tar stream that ``fill(tar_path)`` writes, holding ``basename(src)`` at its top.
    The stream is unpacked with transfer's checks into a fresh directory beside the
    destination, and only the one expected entry is moved into place."""
    name = posixpath.basename(src)
    if os.path.isdir(dst):
        into, final = dst, os.path.join(dst, name)
    else:
        into, final = os.path.dirname(os.path.abspath(dst)), os.path.abspath(dst)
        if not os.path.isdir(into):
            raise UsageError(f"{into}: no such directory")
    # Unpack into a fresh directory beside the destination, then move the one expected
    # entry into place: only what the command asked for can appear.
    stage = tempfile.mkdtemp(prefix=".lago-copy-", dir=into)
    try:
        tar = os.path.join(stage, ".stream.tar")
        fill(tar)
        unpacked = os.path.join(stage, "out")
        os.mkdir(unpacked)
        transfer.unpack(tar, unpacked, top=name)
        got = os.path.join(unpacked, name)
        if not os.path.lexists(got):
            raise ExternalError(f"{vm}: the copy of {src} came back empty")
        if os.path.isdir(final) and not os.path.islink(final) and final != dst:
            raise UsageError(f"{final} already exists and is a directory")
        os.replace(got, final)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return {"vm": vm, "src": src, "dst": final}


def run(prefix: Prefix, vm: str, command: Sequence[str], input: Optional[str] = None,
        timeout: Optional[float] = None) -> runner.Result:
    """Run ``command`` (an argv) in the VM over the shared connection; any exit code is
    returned. A command still running at ``timeout`` seconds is a Timeout error."""
    try:
        return ssh.run(target(prefix, vm), command, input=input, timeout=timeout)
    except CommandFailed as exc:
        if exc.timed_out:
            raise Timeout(f"{vm}: {shlex.join(command)[:200]} did not finish within "
                          f"{timeout:g} s") from None
        raise


def run_script(prefix: Prefix, vm: str, script: str, args: Sequence[str] = (),
               timeout: Optional[float] = None) -> runner.Result:
    """Run a local script in the VM (its #! line counts) with ``args``; any exit code is
    returned."""
    if not os.path.isfile(script):
        raise UsageError(f"{script}: no such script")
    with open(script, encoding="utf-8", errors="surrogateescape") as fh:
        body = fh.read()
    return run(prefix, vm, ssh.script_command(args), input=body, timeout=timeout)


def interactive(prefix: Prefix, vm: str) -> int:
    """A login shell in the VM on this terminal; returns its exit code."""
    t = target(prefix, vm)
    return runner.run_attached(ssh.command_argv(t, None, tty=True), cwd=t.control_dir)


# -- deploy -----------------------------------------------------------------------------------

class ScriptFailed(ExternalError):
    """A deploy script exited non-zero."""

    def __init__(self, vm: str, script: str, code: int) -> None:
        super().__init__(f"{vm}: deploy script {script} failed with exit code {code}",
                         hint="its output is in the env's logs/lago.log")
        self.vm, self.script, self.code = vm, script, code


def deploy(prefix: Prefix, vms: Optional[List[str]] = None) -> Dict[str, Any]:
    """Each VM's deploy-scripts, in order; VMs in parallel; a failure stops that VM's chain.

    Returns {vm: [{"script", "exit", "seconds"}]}; raises ScriptFailed for the first failing
    VM (in env order) after every VM has finished."""
    names = prefix.vm_names(vms)
    plan = {vm: list(prefix.env.domains[vm].metadata.get("deploy-scripts", []))
            for vm in names}

    def one(vm: str) -> List[Dict[str, Any]]:
        with events.timed("deployed", vm):
            return run_chain(vm)

    def run_chain(vm: str) -> List[Dict[str, Any]]:
        t = target(prefix, vm)
        done = []
        for i, script in enumerate(plan[vm]):
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
    results, errors = parallel.settle([vm for vm in names if plan[vm]], one)
    if errors:
        raise next(iter(errors.values()))
    return {vm: results.get(vm, []) for vm in names}


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
