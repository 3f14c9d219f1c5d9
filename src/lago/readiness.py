"""When is a VM ready: its sshd answers, the env's key logs in (installed with the password on
first contact with a `provision: none` guest), cloud-init has finished, and its ``wait_for``
command exits 0. Every VM is waited for in parallel, against one deadline (boot_timeout).

The login that proves the key stays open as the VM's master connection (vm.VM.target), so the
deploy scripts, ``lago ssh`` and the API's commands right after ``up`` skip the handshake.
"""
from __future__ import annotations

import os
import shlex
import time
from typing import TYPE_CHECKING, Dict, Sequence

from . import events, parallel, ssh
from .errors import CommandFailed, ExternalError, Timeout
from .fsutil import write_atomic
from .log import step

if TYPE_CHECKING:
    from .prefix import Prefix


def wait_ready(prefix: Prefix, vms: Sequence[str]) -> Dict[str, float]:
    """Wait until every VM answers ssh with the env's key; returns seconds per VM."""
    deadline = time.monotonic() + prefix.cfg.boot_timeout
    pubkey = open(prefix.files.ssh_pubkey, encoding="utf-8").read()
    t0 = time.monotonic()

    def wait(vm: str) -> float:
        with step("Wait for ssh on %s", vm, vm=vm, phase="ssh-ready"):
            _wait_one(prefix, vm, deadline, pubkey)
        dom = prefix.env.domains[vm]
        if dom.provision == "cloud-init":
            with step("Wait for cloud-init on %s", vm, vm=vm, phase="provisioned"):
                _wait_cloud_init(prefix, vm, deadline)
        if dom.wait_for != "ssh":
            with step("Wait for %s on %s", dom.wait_for, vm, vm=vm, phase="wait-for"):
                _wait_command(prefix, vm, dom.wait_for, deadline)
        return time.monotonic() - t0
    return parallel.each(list(vms), wait)


def _wait_one(prefix: Prefix, vm: str, deadline: float, pubkey: str) -> None:
    target = prefix.vm(vm).direct_target()
    # Asked while the guest boots: the master's boot stamp needs one virsh call.
    shared = prefix.vm(vm).target()
    with events.timed("banner", vm):
        answered = ssh.wait_banner(target.host, deadline, target.port, stop=parallel.CANCEL)
    if not answered:
        raise Timeout(f"{vm}: ssh on {target.host} did not answer within "
                      f"{prefix.cfg.boot_timeout:g} s",
                      hint=f"see {os.path.join(prefix.files.logs, vm + '.console.log')}")
    dom = prefix.env.domains[vm]
    password = dom.ssh_password or prefix.cfg.ssh_password
    marker = prefix.files.key_installed(vm)
    installed = False
    if (password and dom.provision == "none" and not os.path.exists(marker)
            and not prefix.state.ssh_key):
        # First contact with a VM nothing provisioned: the env's own new key cannot be
        # there yet, so log in with the password at once (one handshake less, each costs
        # under TCG). A key the user brought (--ssh-key) may well be trusted already.
        installed = _install_key(prefix, vm, target, password, pubkey)
    delay = 0.25
    # The password login above must not become the master: the key is proved by a login
    # of its own, which then stays as the master (a master already up for this boot is
    # proof enough).
    while not ssh.key_works(shared, timeout=prefix.cfg.ssh_timeout):
        if installed:
            raise ExternalError(f"{vm}: the env's key was installed but is not accepted",
                                hint="check the guest's sshd and the user's home permissions")
        if password:
            installed = _install_key(prefix, vm, target, password, pubkey)
            continue
        if time.monotonic() > deadline or parallel.CANCEL.is_set():
            raise Timeout(f"{vm}: ssh answers but refuses the env's key and no "
                          "ssh-password is set")
        time.sleep(delay)  # provisioning may still be writing the key
        delay = min(delay * 1.5, 1.0)
    os.makedirs(os.path.dirname(marker), exist_ok=True)
    write_atomic(marker, "")


def _install_key(prefix: Prefix, vm: str, target: ssh.Target, password: str,
                 pubkey: str) -> bool:
    """The first-contact password login that installs the env's key (phase key-install)."""
    with events.timed("key-install", vm):
        ssh.install_key(target, password, pubkey, timeout=prefix.cfg.ssh_timeout)
    return True


def _wait_command(prefix: Prefix, vm: str, command: str, deadline: float) -> None:
    """``wait_for: CMD``: run CMD in the guest (``sh -c``) until it exits 0."""
    target, delay = prefix.vm(vm).target(), 0.5
    while True:
        left = max(deadline - time.monotonic(), 1.0)
        try:
            res = ssh.run(target, ["sh", "-c", command], timeout=left)
            code, said = res.returncode, (res.stdout + res.stderr).strip()
        except CommandFailed as exc:  # timed out: the deadline decides below
            code, said = exc.returncode, "no answer"
        if code == 0:
            return
        if time.monotonic() + delay > deadline or parallel.CANCEL.is_set():
            raise Timeout(f"{vm}: wait_for command did not succeed within "
                          f"{prefix.cfg.boot_timeout:g} s (last exit {code}"
                          f"{': ' + said.splitlines()[-1][:200] if said else ''})",
                          hint=f"try it: lago.pyz ssh {vm} -- sh -c {shlex.quote(command)}")
        time.sleep(delay)
        delay = min(delay * 1.5, 3.0)


def _wait_cloud_init(prefix: Prefix, vm: str, deadline: float) -> None:
    """ssh answers before cloud-init's last stage has run: a VM is ready once cloud-init
    says it is done (exit 0) or done with recoverable errors (exit 2)."""
    left = max(deadline - time.monotonic(), 1.0)
    try:
        res = ssh.run(prefix.vm(vm).target(), ["cloud-init", "status", "--wait"],
                      timeout=left)
    except CommandFailed as exc:
        if not exc.timed_out:
            raise
        raise Timeout(f"{vm}: cloud-init did not finish within {prefix.cfg.boot_timeout:g} s",
                      hint=f"in the VM: cloud-init status --long; "
                           f"see {os.path.join(prefix.files.logs, vm + '.console.log')}")
    if res.returncode in (0, 2):
        return
    if res.returncode == 127:
        raise ExternalError(f"{vm}: provision is cloud-init but the image has no cloud-init",
                            hint="use a cloud image, or provision: sysprep")
    raise ExternalError(f"{vm}: cloud-init failed (cloud-init status exit {res.returncode}): "
                        f"{(res.stdout + res.stderr).strip()[-300:]}",
                        hint=f"lago ssh {vm} -- cloud-init status --long")
